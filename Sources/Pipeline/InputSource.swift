import V4L2Kit

/// Where frames come from: a file, stdin or a camera, chosen from what the user named.
public enum InputSource {
    /// A Y4M stream for `-` and `*.y4m`; an image or a directory of images; otherwise a video file or URL
    /// decoded by ffmpeg. `stop` lets a signal end a stream that is waiting for input.
    /// `skipped` collects the undecodable images of a directory, which are passed over. `part` limits a video
    /// to a stretch of it (ffmpeg seeks to its start; a Y4M stream is read up to it).
    public static func open(
        _ input: String, stop: StopSignal? = nil, skipped: SkippedImages? = nil, part: VideoPart = VideoPart(),
        recursive: Bool = false
    ) throws -> any FrameSource {
        let source: any FrameSource
        if input == "-" || input.lowercased().hasSuffix(".y4m") {
            source = try Y4MSource(path: input, stop: stop)
        } else if VideoSource.handles(input) {
            source = try VideoSource(path: input, stop: stop, start: part.start)
        } else {
            guard part.isWhole else { throw InputError("\(input): --start, --duration, --end and --every need a video") }
            return try ImageSource(path: input, skipped: skipped, recursive: recursive)
        }
        return part.isWhole ? source : PartSource(source, part: part)
    }

    /// As `open`, for the window: a file (Y4M or through ffmpeg) comes back repositionable, reopened at the
    /// frame asked for within `part`; stdin, URLs and images come back as they are.
    public static func openForReplay(
        _ input: String, stop: StopSignal? = nil, skipped: SkippedImages? = nil, part: VideoPart = VideoPart(),
        recursive: Bool = false
    ) throws -> any FrameSource {
        let first = try open(input, stop: stop, skipped: skipped, part: part, recursive: recursive)
        guard input != "-", !input.contains("://"), first.isVideo, let rate = first.frameRate else { return first }
        // Reopened as a part that starts at the frame (PartSource's half-frame slack keeps exactly that frame).
        return SeekableInput(first) { frame in
            try open(input, stop: stop, part: VideoPart(start: max(part.start, Double(frame) / rate), end: part.end))
        }
    }

    /// The camera at `device`.
    public static func camera(_ device: String, request: CaptureRequest) throws -> any FrameSource {
        try CameraSource(path: device, request: request)
    }
}
