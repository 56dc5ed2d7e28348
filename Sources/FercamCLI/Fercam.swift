import ArgumentParser
import BlazeFace
import DNNLKit
import ExpressionModel
import FaceDetection
import Frames
import Pipeline
import V4L2Kit
import Glibc

/// The command tree. A library so that the fuzz harness for flags parses exactly what the binary parses.
public struct Fercam: ParsableCommand {
    public init() {}

    /// Released versions are tagged `v<version>` in git.
    public static let version = "0.5.0"

    public static let configuration = CommandConfiguration(
        commandName: "fercam",
        abstract: "Real-time facial-expression recognition for Linux webcams.",
        discussion: """
            Examples:
              fercam                             # the camera, in a window (keys: h)
              fercam --input interview.mp4 --stdout > run.jsonl
              fercam report run.jsonl -o run.png --summary run.csv
              fercam --input clip.mp4 --render annotated.mp4
              fercam --model cnn-alstm           # another seed system (fercam models)
              fercam --version                   # version, model file, SHA-256

            Options of the default command: fercam run --help.
            """,
        subcommands: [Run.self, Detect.self, Eval.self, Stability.self, Report.self, Models.self, Bench.self],
        defaultSubcommand: Run.self
    )

    /// The one place errors are reported: the argument parser's own (usage, --help, exit codes) as it
    /// words them, every other error as one `fercam: ...` line and exit status 1.
    public static func main() {
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do { try command.run() } catch {
            // The parser's own requests and errors (help, `help SUBCOMMAND`, exit codes, validation) are
            // raised from run() too; the parser words and exits them. Every other error is fercam's.
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { exit(withError: error) }
            printError("\(error)" + hint(for: error))
            exit(withError: ExitCode.failure)
        }
    }

    /// What to type next, for the errors where that is a fercam command or flag: the libraries'
    /// messages say what went wrong and where, only the command line knows its own flags.
    static func hint(for error: any Error) -> String {
        switch error as? CaptureError {
        case .noSuchDevice?:
            return ". List cameras with `fercam --list-devices`, or replay a file with `fercam --input clip.y4m`"
        case .notACaptureDevice?: return "; see `fercam --list-devices`"
        case .unsupportedSize?: return " (choose one with --size)"
        default: return ""
        }
    }
}

/// Detector flags shared by every command that finds faces. Unset flags take the command's defaults
/// (`DetectionParameters.live` for video, OpenCV's for `eval --detect` on photographs).
struct DetectorOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Face detector: haar (OpenCV's cascade, upright frontal faces), blazeface (MediaPipe's short range: "
                + "tilted and turned faces at webcam distance), blazeface-full (MediaPipe's full range: small, far "
                + "faces), a converted BlazeFace .safetensors file, or several, comma-separated, tried in turn "
                + "until one finds a face; auto is blazeface,haar,blazeface-full. Default: auto (haar for "
                + "`detect` and `bench detect`, whose boxes are OpenCV's).", valueName: "name"))
    var detector: String?
    @Flag(
        name: .customLong("no-level"),
        help: "BlazeFace: do not turn each face crop to level the eyes (levelling is on by default).")
    var noLevel = false
    @Option(help: "Haar cascade XML (OpenCV's current format).")
    var cascade: String = HaarCascade.defaultPath
    @Option(parsing: .unconditional, help: "Pyramid step between scales (default 1.1, as OpenCV).")
    var scaleFactor: Double?
    @Option(parsing: .unconditional, help: "Neighbouring candidates a face needs; 0 gives raw candidates (default 5 for video; OpenCV's is 3).")
    var minNeighbors: Int?
    @Option(parsing: .unconditional, help: "Smallest face side in pixels (default 60 for video; OpenCV's is 0).")
    var minSize: Int?
    @Option(parsing: .unconditional, help: "Largest face side in pixels, 0 for no limit (default 0).")
    var maxSize: Int?
    @Option(parsing: .unconditional, help: "Detector threads (pyramid levels run in parallel; default: the online cores, at most 4).")
    var threads: Int = DetectorOptions.defaultThreads

    /// Like OpenCV, use the cores: detection time nearly halves on two (docs/benchmarks.md), and the
    /// levels of one frame do not keep more than a few threads busy.
    static let defaultThreads = min(4, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    func validate() throws {
        // Below 1.01 the pyramid has hundreds of levels per octave: minutes per frame for no better faces.
        if let scaleFactor {
            guard (1.01...10).contains(scaleFactor) else {
                throw ValidationError("--scale-factor must be from 1.01 to 10 (got \(scaleFactor))")
            }
        }
        guard (0...1000).contains(minNeighbors ?? 0) else {
            throw ValidationError("--min-neighbors must be from 0 to 1000")
        }
        guard (0...16384).contains(minSize ?? 0), (0...16384).contains(maxSize ?? 0) else {
            throw ValidationError("--min-size and --max-size must be from 0 to 16384 pixels")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        if let detector {
            let names = DetectorOptions.members(of: detector)
            guard !names.isEmpty, names.allSatisfy({ DetectorOptions.names.contains($0) || $0.hasSuffix(".safetensors") })
            else {
                throw ValidationError(
                    "--detector must be auto, \(DetectorOptions.names.joined(separator: ", ")), a .safetensors file "
                        + "or a comma-separated list of them (got \(detector))")
            }
        }
        if let minSize, let maxSize, maxSize > 0, maxSize < minSize {
            throw ValidationError("--max-size \(maxSize) is below --min-size \(minSize): no face could be found")
        }
    }

    func parameters(defaults: DetectionParameters = .live) -> DetectionParameters {
        let minSide = minSize ?? defaults.minSize.width, maxSide = maxSize ?? defaults.maxSize.width
        return DetectionParameters(
            scaleFactor: scaleFactor ?? defaults.scaleFactor, minNeighbors: minNeighbors ?? defaults.minNeighbors,
            minSize: (minSide, minSide), maxSize: (maxSide, maxSide))
    }

    func makeDetector() throws -> HaarDetector {
        try HaarDetector(path: cascade)
    }

    static let names = ["haar", "blazeface", "blazeface-full"]
    /// `auto`'s order, measured on the three photo sources (docs/detectors.md, "Detectors in turn"): BlazeFace's
    /// short range finds the most faces and frames them best; Haar finds most of what it misses; the full range last.
    static let auto = ["blazeface", "haar", "blazeface-full"]

    /// The detectors a `--detector` value names, in order (`auto` spelled out).
    static func members(of value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false)
            .flatMap { $0 == "auto" ? auto : [String($0)] }
    }

    /// The detector `--detector` names (else `fallback`), with the command's Haar defaults.
    func makeFinder(defaults: DetectionParameters = .live, fallback: String = "haar") throws -> FaceFinder {
        let value = detector ?? fallback
        let names = Self.members(of: value)
        if names.count == 1 { return try makeFinder(named: names[0], defaults: defaults) }
        return .firstFound(name: value, try names.map { try makeFinder(named: $0, defaults: defaults) })
    }

    /// One detector. BlazeFace keeps every face unless --min-size or --max-size is given: it has no small-scale
    /// cost to skip and finds small faces well.
    private func makeFinder(named detector: String, defaults: DetectionParameters) throws -> FaceFinder {
        if detector == "haar" {
            return .haar(try makeDetector(), parameters(defaults: defaults), threads: threads)
        }
        let path: String
        if detector.hasSuffix(".safetensors") {
            path = detector
        } else {
            let file = "detector-\(detector).safetensors"
            let (found, searched) = ModelLocator.installed(file)
            guard let found else {
                throw InputError(
                    "--detector \(detector): \(file) is not in \(searched.joined(separator: ", "))"
                        + " (`make install` puts it in share/fercam)")
            }
            path = found
        }
        return .blazeface(
            try BlazeFaceDetector(path: path), minimumSide: minSize ?? 0, maximumSide: maxSize ?? 0, level: !noLevel)
    }
}

/// Expression-model flags.
struct ModelOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            The expression model: a name (\(Architecture.allCases.map(\.rawValue).joined(separator: ", ")); \
            `fercam models` lists what is installed) or a safetensors file. Default: $FERCAM_MODEL, else \
            resnet-cbam.
            """, valueName: "name|path"))
    var model: String?
    @Option(
        help: """
            Convolution arithmetic: auto (bf16 where a start-up measurement finds it faster on this CPU, \
            else fp32), fp32, or bf16 (CPUs with AVX-512 BF16 or AMX). Accuracy agrees to a few \
            faces in a thousand; give fp32 where figures must repeat face for face.
            """)
    var precision: PrecisionChoice.Request = .auto
    @Flag(help: "Say on stderr which precision the model runs in, and why.")
    var verbose = false
    @Option(parsing: .unconditional, help: ArgumentHelp(
            """
            Margin added around each detector box before cropping, as a fraction of the box side (negative: \
            tighter), from \(FaceCropping.marginsText). Default: the model's own (0 for resnet-cbam), else \
            \(FaceCropping().margin).
            """, valueName: "fraction"))
    var margin: Double?

    func validate() throws {
        if let margin, !FaceCropping.margins.contains(margin) {
            throw ValidationError("--margin must be from \(FaceCropping.marginsText) (got \(margin))")
        }
    }

    /// The file `--model` names (a model name is looked up where models are installed).
    func modelPath() throws(ModelLookupError) -> String {
        if let model { return try ModelLocator.path(for: model) }
        if let fromEnvironment = getenv("FERCAM_MODEL") {
            return try ModelLocator.path(for: String(cString: fromEnvironment))
        }
        return try ModelLocator.path(for: Architecture.resnetCBAM.rawValue)
    }

    func makeClassifier() throws -> ExpressionClassifier {
        let modelPath = try modelPath()
        let classifier = try ExpressionClassifier(
            path: modelPath, request: precision, cropping: margin.map { FaceCropping(margin: $0) })
        if verbose { printError("model \(modelPath): \(classifier.precisionChoice.summary)") }
        return classifier
    }
}

extension Precision: ExpressibleByArgument {}
extension PrecisionChoice.Request: ExpressibleByArgument {}

func printError(_ message: String) {
    var text = "fercam: " + message + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
