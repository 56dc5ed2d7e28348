import ArgumentParser
import DNNLKit
import ExpressionModel
import FaceDetection
import Frames
import LiveView
import Pipeline
import SDLKit
import Posix
import V4L2Kit
import Glibc

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Show the camera (or a replayed file) with faces, expressions and attention; \
            or print JSON Lines with --stdout.
            """,
        discussion: """
            Examples:
              fercam                                     # the camera at /dev/video0
              fercam --input interview.mp4               # a video (anything ffmpeg reads)
              fercam --input clip.mp4 --stdout > r.jsonl # JSON Lines, one object a frame
              fercam --input clip.mp4 --csv faces.csv    # one CSV row a face and frame
              fercam --input clip.mp4 --render out.mp4   # the window's drawing, as video
              fercam --input talk.mp4 --start 10:00 --duration 90 --every 5 --csv f.csv
              fercam --record session.y4m                # the camera, recorded
              fercam --list-devices                      # cameras, formats, sizes
            """)

    @Option(
        name: .long,
        help: """
            Instead of the camera: a video file or URL (anything ffmpeg reads), a Y4M file, '-' for Y4M on \
            stdin, an image, or a directory of images.
            """)
    var input: String?
    @Option(help: "V4L2 capture device.")
    var device: String = "/dev/video0"
    @Option(help: "Capture size, WIDTHxHEIGHT.")
    var size: String = "640x480"
    @Option(parsing: .unconditional, help: "Capture frame rate (cameras; a replay keeps its file's rate, see --fast).")
    var fps: Double?
    @Flag(help: "List the V4L2 devices with their formats, sizes and frame rates, and exit.")
    var listDevices = false
    @Option(help: "Record what the camera (or input) delivers to this Y4M file; the r key in the window toggles it.")
    var record: String?
    @Flag(help: "Replay files as fast as possible instead of at their frame rate.")
    var fast = false
    @Flag(help: "Close the window when the input ends (default: keep showing the last frame until q).")
    var exitAtEnd = false
    @Flag(help: "Print one JSON object per frame on stdout (JSON Lines) instead of opening a window.")
    var stdout = false
    @Option(
        help: ArgumentHelp(
            """
            Draw what the window shows onto every frame, without a window, and write it as a video \
            (.mp4, .mkv, .webm, ... through ffmpeg, or .y4m). Combines with --stdout.
            """, valueName: "video"))
    var render: String?
    @Option(
        help: ArgumentHelp(
            "Also write one CSV row per face and frame: box, track, shown label, smoothed and raw probabilities "
                + "(columns in docs/output-format.md). Runs headless, like --stdout.", valueName: "csv"))
    var csv: String?
    @Option(help: "What --stdout prints: json (JSON Lines, one object a frame) or csv (the --csv columns).")
    var format: OutputFormat = .json
    @Flag(help: "With --render, leave out the source's sound (by default it is copied, in sync, where the container allows).")
    var noAudio = false
    @Flag(help: "With --input DIR: the images in its subfolders too, at any depth, in sorted path order.")
    var recursive = false
    @Flag(help: "Leave out the timing fields, so that replays of the same input are byte-identical.")
    var noTimings = false
    @Flag(
        help: """
            Add each face's attention map (a grid of 0-1 weights; what it measures depends on the model, \
            see docs/output-format.md) to the JSON output.
            """)
    var attention = false
    @Flag(help: "Only detect faces; do not load the expression model.")
    var noExpressions = false
    @Flag(help: "Print fercam's version, the model it loads (path and SHA-256) and the CPU's instruction set.")
    var version = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many frames (window: displayed frames).", visibility: .hidden))
    var frames: Int?
    @OptionGroup(title: "Part of a recording") var partOptions: PartOptions
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup(title: "Tracking and smoothing (video and cameras)") var trackingOptions: TrackingOptions

    func validate() throws {
        guard captureSize != nil else {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            if parts.count == 2, parts.allSatisfy({ $0 > 0 }) {
                throw ValidationError("--size \(size) is too large: at most 8192x8192")
            }
            throw ValidationError("--size must look like 640x480 (got \(size))")
        }
        if let fps {
            guard fps > 0, fps <= 1000 else { throw ValidationError("--fps must be above 0 and at most 1000 (got \(fps))") }
            if input != nil {
                throw ValidationError(
                    "--fps sets a camera's rate; a replay runs at its file's rate (--fast runs it as fast as possible)")
            }
        }
        if let record, !record.lowercased().hasSuffix(".y4m") {
            throw ValidationError("--record writes Y4M: name the file .y4m (got \(record)); --render writes other formats")
        }
        if let frames { guard frames > 0 else { throw ValidationError("--frames must be 1 or more") } }
        if render != nil && listDevices { throw ValidationError("--render and --list-devices do not combine") }
        if input == nil && !part.isWhole {
            throw ValidationError("--start, --duration, --end and --every apply to a replayed input (--input)")
        }
        if format == .csv && !stdout { throw ValidationError("--format csv is what --stdout prints; add --stdout") }
        try refuseBadOutputs()
    }

    enum OutputFormat: String, ExpressibleByArgument { case json, csv }

    /// The stretch of the input that --start, --duration, --end and --every ask for.
    var part: VideoPart { partOptions.part }

    /// Outputs that cannot be written: a directory, or the file being read (writing the annotated video or
    /// the recording over it would truncate it before its first frame is read), told by identity (device and
    /// inode), so that links to the input count too.
    func refuseBadOutputs() throws {
        let source = input.flatMap { $0 == "-" ? FileIdentity(descriptor: 0) : FileIdentity(path: $0) }
        for case let (flag, output?) in [("--render", render), ("--record", record), ("--csv", csv)] {
            if case .directory? = try? FileKind(path: output) {
                throw ValidationError("\(flag) \(output) is a directory; name a file")
            }
            if let source, FileIdentity(path: output) == source {
                throw ValidationError(
                    "\(flag) \(output) is the input file itself\(input == "-" ? " (stdin)" : ""); "
                        + "writing it would destroy the input: choose another name")
            }
        }
    }

    var captureSize: FrameSize? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[0] <= 8192, parts[1] <= 8192 else { return nil }
        return FrameSize(width: parts[0], height: parts[1])
    }

    func makeAnalyser() throws -> FrameAnalyser {
        // The model first: a missing model is the error to report, before the detectors `auto` loads.
        let classifier = noExpressions ? nil : try modelOptions.makeClassifier()
        let finder = try detector.makeFinder(fallback: "auto")
        return FrameAnalyser(finder: finder, classifier: classifier)
    }

    func run() throws {
        if version { return print(versionText()) }
        if listDevices { return try listAllDevices() }
        if input == nil && access(device, F_OK) != 0 {
            printError(
                "no camera at \(device) (see `fercam --list-devices`). Replay a recording instead:\n"
                    + "  fercam --input clip.mp4                      (window; any video ffmpeg reads, or .y4m)\n"
                    + "  fercam --input clip.mp4 --stdout             (JSON Lines)\n"
                    + "  fercam --input clip.mp4 --render out.mp4     (annotated video)\n"
                    + "  fercam --input photos/ --stdout")
            throw ExitCode(3)
        }
        guard stdout || render != nil || csv != nil else { return try runWindow(try makeAnalyser()) }
        // Before any other thread exists (oneDNN's, the detector's): a thread started earlier would not block
        // SIGINT and SIGTERM, take the signal, and end fercam on the spot, leaving its ffmpeg children running.
        let stop = StopSignal()
        try runHeadless(try makeAnalyser(), stop: stop)
    }

    /// `seekable`: a replayed file comes back repositionable (the window's stepping keys).
    func openInput(
        stop: StopSignal? = nil, skipped: SkippedImages? = nil, seekable: Bool = false
    ) throws -> (source: any FrameSource, name: String, live: Bool) {
        if let input {
            let source =
                seekable
                ? try InputSource.openForReplay(input, stop: stop, skipped: skipped, part: part, recursive: recursive)
                : try InputSource.open(input, stop: stop, skipped: skipped, part: part, recursive: recursive)
            return (source, input == "-" ? "stdin" : input, false)
        }
        let request = CaptureRequest(size: captureSize!, framesPerSecond: fps ?? 30)
        return (try InputSource.camera(device, request: request), device, true)
    }

    func runHeadless(_ analyser: FrameAnalyser, stop: StopSignal) throws {
        let headless = HeadlessRun(
            analyser: analyser, includeTimings: !noTimings, includeAttention: attention,
            tracking: trackingOptions.makeTracking())
        let out = ByteWriter(fileDescriptor: 1, name: "stdout", ownsDescriptor: false)
        var written = 0
        var progress: ProgressBar?
        let emit: (String) throws -> Void = { line in
            progress?.update(written + 1)
            if stdout && format == .json { try out.write(Array((line + "\n").utf8)) }
            written += 1
            if let frames, written >= frames { stop.requestStop() }
        }
        let skipped = SkippedImages(report: { printError($0) })
        let opened: (source: any FrameSource, name: String, live: Bool)
        do { opened = try openInput(stop: stop, skipped: skipped) } catch {
            // A signal while ffmpeg was still opening the input (a FIFO, a silent server) is a stop, not a fault.
            if let status = stop.exitStatus { throw ExitCode(status) }
            throw error
        }
        var source: any FrameSource = StoppableSource(opened.source, stop: stop)
        // A part of known length gets a progress bar on a terminal (a whole stream's length is not known ahead).
        if let rate = source.frameRate, let end = part.end {
            let frames = Int(((end - part.start) * rate / Double(part.every)).rounded(.up))
            progress = ProgressBar(total: frames, label: "\(part.start == 0 ? "0" : JSONLines.number(part.start, decimals: 1))-\(JSONLines.number(end, decimals: 1)) s")
        }
        if let record { source = RecordingSource(source, path: record) }
        var video: AnnotatedVideo?
        // With --every N the video holds every Nth frame at 1/N of the rate, so that it lasts as long as the part.
        let frameRate = source.frameRate.map { $0 / Double(part.every) }
        // The sound comes from the file ffmpeg reads (not from Y4M, stdin or images, which have none).
        let audio = noAudio ? nil : input.flatMap { VideoSource.handles($0) ? AudioTrack(path: $0, start: part.start) : nil }
        // The CSV file appears whole when the run ends (also after a fault in the input, with every row before it).
        let table: AtomicFile?
        if let csv {
            do { table = try AtomicFile(path: csv) } catch { throw FileWriteError(path: csv, cause: error) }
        } else {
            table = nil
        }
        var tableStarted = false
        let tabulate: (FrameAnalysis) throws -> Void = { analysis in
            guard table != nil || (stdout && format == .csv) else { return }
            var text = tableStarted ? "" : FaceTable.header(classNames: analysis.classNames)
            tableStarted = true
            text += FaceTable.rows(analysis)
            let bytes = Array(text.utf8)
            if let table {
                do throws(SystemCallError) { try table.write(bytes) } catch {
                    throw FileWriteError(path: table.path, cause: error)
                }
            }
            if stdout && format == .csv { try out.write(bytes) }
        }
        let draw: (SourceFrame, FrameAnalysis) throws -> Void = { frame, analysis in
            try tabulate(analysis)
            guard let render else { return }
            if video == nil {
                video = try AnnotatedVideo(
                    path: render, width: frame.frame.width, height: frame.frame.height, frameRate: frameRate,
                    sourceName: opened.name.split(separator: "/").last.map(String.init) ?? opened.name,
                    cropping: analyser.classifier?.cropping ?? FaceCropping(), audio: audio)
            }
            try video?.write(frame, analysis)
        }
        let count: Int
        do {
            count = try headless.run(&source, each: draw, emit: emit)
        } catch {
            // The frames drawn so far still make a playable file; the input's fault is what is reported.
            try? video?.finish()
            if !(error is FileWriteError) { try? table?.commit() }
            throw error
        }
        progress?.finish()
        try video?.finish()
        if let table, count > 0 {
            do { try table.commit() } catch { throw FileWriteError(path: table.path, cause: error) }
        }
        if let status = stop.exitStatus { throw ExitCode(status) }
        try skipped.check()
        // A Y4M header with no frame after it (or a folder of images none of which decoded) is not a run.
        if count == 0 { throw InputError("\(opened.name): no frames in it\(render.map { "; \($0) was not written" } ?? "")") }
    }

    func runWindow(_ analyser: FrameAnalyser) throws {
        let display = try Display()
        try analyser.classifier?.network.prepare(batchSizes: 1...4)
        let skipped = SkippedImages(report: { printError($0) })
        let opened = try openInput(skipped: skipped, seekable: true)
        var source = opened.source
        // Peek at the first frame for the window size, then hand it back in front of the rest.
        guard let first = try source.next() else { throw InputError("\(opened.name): no frames") }
        let options = LiveOptions(
            paced: !fast, recordPath: record, title: "fercam — \(opened.name)", frameLimit: frames,
            exitAtEnd: exitAtEnd,
            tracking: trackingOptions.makeTracking())
        let shortName =
            opened.live ? opened.name : String(opened.name.split(separator: "/").last ?? Substring(opened.name))
        let session = try LiveSession(
            display: display, analyser: analyser, sourceName: shortName, isLive: opened.live,
            size: (first.frame.width, first.frame.height), options: options)
        try session.run(source: PrependedSource(first: first, rest: source))
        try skipped.check()
    }

    func listAllDevices() throws {
        let paths = DeviceList.devicePaths()
        if paths.isEmpty {
            print("no V4L2 devices (/dev/video*) on this machine")
            return
        }
        for path in paths {
            do {
                let device = try V4L2Device(path: path)
                print(DeviceList.render(DeviceList.describe(device)))
            } catch {
                print(CaptureError.from(error, path: path).description)
            }
        }
    }

    /// `fercam --version`: what is running, and exactly which model file it would load.
    func versionText() -> String {
        var lines = ["fercam \(Fercam.version)"]
        do {
            let path = try modelOptions.modelPath()
            let reader = try ByteReader(path: path, regularFileOnly: true)
            var hash = SHA256()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while case let count = try reader.read(into: &buffer, at: 0, count: buffer.count), count > 0 {
                hash.update(buffer[0..<count])
            }
            let name = path.split(separator: "/").last.map(String.init) ?? path
            lines += ["model \(name) sha256 \(hash.hexDigest())", "  \(path)"]
        } catch {
            lines.append("model: \(error)")
        }
        lines.append("oneDNN instruction set: \(Engine.instructionSet)")
        return lines.joined(separator: "\n")
    }
}
