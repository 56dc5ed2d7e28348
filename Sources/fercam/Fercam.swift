import ArgumentParser
import FaceDetection
import Frames
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

@main
struct Fercam: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fercam",
        abstract: "Real-time facial-expression recognition for Linux webcams.",
        subcommands: [Run.self, Detect.self, Bench.self],
        defaultSubcommand: Run.self
    )
}

/// Detector flags shared by every command that finds faces.
struct DetectorOptions: ParsableArguments {
    @Option(help: "Haar cascade XML (OpenCV's current format).")
    var cascade: String = HaarCascade.defaultPath
    @Option(help: "Pyramid step between scales (OpenCV default 1.1).")
    var scaleFactor: Double = DetectionParameters.live.scaleFactor
    @Option(help: "Neighbouring candidates a face needs; 0 gives raw candidates (OpenCV default 3).")
    var minNeighbors: Int = DetectionParameters.live.minNeighbors
    @Option(help: "Smallest face side in pixels (OpenCV default 0).")
    var minSize: Int = DetectionParameters.live.minSize.width
    @Option(help: "Largest face side in pixels, 0 for no limit (OpenCV default 0).")
    var maxSize: Int = 0
    @Option(help: "Detector threads (pyramid levels run in parallel).")
    var threads: Int = 1

    func validate() throws {
        guard scaleFactor > 1.0001, scaleFactor < 10 else { throw ValidationError("--scale-factor must be above 1 (got \(scaleFactor))") }
        guard minNeighbors >= 0 else { throw ValidationError("--min-neighbors must be 0 or more") }
        guard minSize >= 0, maxSize >= 0 else { throw ValidationError("--min-size and --max-size must be 0 or more") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    }

    var parameters: DetectionParameters {
        DetectionParameters(scaleFactor: scaleFactor, minNeighbors: minNeighbors, minSize: (minSize, minSize), maxSize: (maxSize, maxSize))
    }

    func makeDetector() throws -> HaarDetector {
        try HaarDetector(path: cascade)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse a camera, a Y4M stream (file or '-' for stdin), an image or a directory of images.")

    @Option(name: .long, help: "Y4M file, '-' for Y4M on stdin, an image, or a directory of images.")
    var input: String?
    @Option(help: "V4L2 capture device for live use.")
    var device: String = "/dev/video0"
    @Flag(help: "Print one JSON object per frame on stdout (JSON Lines) instead of opening a window.")
    var stdout = false
    @Flag(help: "Leave out the timing fields, so that replays of the same input are byte-identical.")
    var noTimings = false
    @OptionGroup var detector: DetectorOptions

    func run() throws {
        guard let input else {
            // Live capture comes with the window; without a camera, say how to replay instead.
            if access(device, F_OK) != 0 {
                printError("no camera at \(device). Replay a recording instead:\n"
                    + "  fercam --input clip.y4m --stdout\n"
                    + "  ffmpeg -i clip.mp4 -f yuv4mpegpipe - | fercam --input - --stdout\n"
                    + "  fercam --input photos/ --stdout")
                throw ExitCode(3)
            }
            printError("live capture from \(device) is not available in this build yet; use --input FILE --stdout")
            throw ExitCode(1)
        }
        let analyser = FrameAnalyser(detector: try withContext { try detector.makeDetector() }, parameters: detector.parameters,
                                     threads: detector.threads)
        let headless = HeadlessRun(analyser: analyser, includeTimings: !noTimings)
        let out = ByteWriter(fileDescriptor: 1, name: "stdout", ownsDescriptor: false)
        let emit: (String) throws -> Void = { line in try out.write(Array((line + "\n").utf8)) }
        try withContext {
            let isY4M = input == "-" || input.lowercased().hasSuffix(".y4m")
            if isY4M {
                var source = try Y4MSource(path: input)
                _ = try headless.run(&source, emit: emit)
            } else {
                var source = try ImageSource(path: input)
                _ = try headless.run(&source, emit: emit)
            }
        }
    }
}

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the faces found in each image (for scripts and parity checks).")

    @Argument(help: "Image files (JPEG, PNG, PGM, PPM, ...).")
    var images: [String]
    @Flag(help: "One JSON object per image instead of text.")
    var json = false
    @OptionGroup var detector: DetectorOptions

    func run() throws {
        let haar = try withContext { try detector.makeDetector() }
        for path in images {
            let gray = try withContext { try ImageSource.loadGray(path) }
            let faces = haar.detect(in: gray, parameters: detector.parameters, threads: detector.threads)
                .sorted { ($0.y, $0.x, $0.width) < ($1.y, $1.x, $1.width) }
            if json {
                let boxes = faces.map { "[\($0.x),\($0.y),\($0.width),\($0.height)]" }.joined(separator: ",")
                print("{\"image\":\(JSONLines.string(path)),\"width\":\(gray.width),\"height\":\(gray.height),\"faces\":[\(boxes)]}")
            } else {
                print("\(path): \(faces.count) face\(faces.count == 1 ? "" : "s")" + faces.map { " \($0)" }.joined())
            }
        }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks (see docs/benchmarks.md).", subcommands: [BenchDetect.self])
}

struct BenchDetect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detect",
        abstract: "Time detection on every image of a directory; prints the median per frame as JSON.")

    @Argument(help: "Directory of frames (e.g. 640x480 PGMs written by scripts/reference/bench_detect.py).")
    var frames: String
    @Option(help: "Passes over the frames; the median pass is reported.")
    var repeats: Int = 5
    @OptionGroup var detector: DetectorOptions

    func run() throws {
        let haar = try withContext { try detector.makeDetector() }
        var source = try withContext { try ImageSource(path: frames) }
        var images: [GrayImage] = []
        while let frame = try withContext({ try source.next() }) { images.append(frame.frame.luma) }
        var perFrame: [Double] = []
        var faces = 0
        for _ in 0..<max(1, repeats) {
            let start = monotonicSeconds()
            faces = images.reduce(0) { $0 + haar.detect(in: $1, parameters: detector.parameters, threads: detector.threads).count }
            perFrame.append((monotonicSeconds() - start) * 1000 / Double(images.count))
        }
        perFrame.sort()
        print("{\"frames\":\(images.count),\"threads\":\(detector.threads),\"faces\":\(faces),\"median_ms_per_frame\":\(JSONLines.number(perFrame[perFrame.count / 2], decimals: 3)),\"runs_ms_per_frame\":[\(perFrame.map { JSONLines.number($0, decimals: 3) }.joined(separator: ","))]}")
    }
}

func printError(_ message: String) {
    var text = "fercam: " + message + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Turns the typed errors of the modules into one `fercam: ...` line and exit status 1.
func withContext<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ExitCode { throw error } catch let error as ValidationError { throw error } catch {
        printError("\(error)")
        throw ExitCode.failure
    }
}
