import ArgumentParser
import ExpressionModel
import FaceDetection
import Frames
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

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
    @Flag(help: "Add each face's CBAM spatial attention map (a grid of 0-1 weights) to the JSON output.")
    var attention = false
    @Flag(help: "Only detect faces; do not load the expression model.")
    var noExpressions = false
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var modelOptions: ModelOptions

    func makeAnalyser() throws -> FrameAnalyser {
        let haar = try withContext { try detector.makeDetector() }
        let classifier = noExpressions ? nil : try modelOptions.makeClassifier()
        return FrameAnalyser(detector: haar, parameters: detector.parameters(), threads: detector.threads, classifier: classifier)
    }

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
        let headless = HeadlessRun(analyser: try makeAnalyser(), includeTimings: !noTimings, includeAttention: attention)
        let out = ByteWriter(fileDescriptor: 1, name: "stdout", ownsDescriptor: false)
        let emit: (String) throws -> Void = { line in try out.write(Array((line + "\n").utf8)) }
        try withContext {
            var source = try openSource(input)
            _ = try headless.run(&source, emit: emit)
        }
    }
}

/// A Y4M stream for `-` and `*.y4m`, otherwise an image or a directory of images.
func openSource(_ input: String) throws -> any FrameSource {
    if input == "-" || input.lowercased().hasSuffix(".y4m") { return try Y4MSource(path: input) }
    return try ImageSource(path: input)
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
            let faces = haar.detect(in: gray, parameters: detector.parameters(), threads: detector.threads)
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
