import V4L2Kit

/// Where frames come from: a file, stdin or a camera, chosen from what the user named.
public enum InputSource {
    /// A Y4M stream for `-` and `*.y4m`; an image or a directory of images; otherwise a video file or URL
    /// decoded by ffmpeg. `stop` lets a signal end a stream that is waiting for input.
    /// `skipped` collects the undecodable images of a directory, which are passed over.
    public static func open(
        _ input: String, stop: StopSignal? = nil, skipped: SkippedImages? = nil
    ) throws -> any FrameSource {
        if input == "-" || input.lowercased().hasSuffix(".y4m") { return try Y4MSource(path: input, stop: stop) }
        if VideoSource.handles(input) { return try VideoSource(path: input, stop: stop) }
        return try ImageSource(path: input, skipped: skipped)
    }

    /// The camera at `device`.
    public static func camera(_ device: String, request: CaptureRequest) throws -> any FrameSource {
        try CameraSource(path: device, request: request)
    }
}
