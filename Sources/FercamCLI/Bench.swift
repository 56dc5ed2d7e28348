import ArgumentParser
import DNNLKit
import ExpressionModel
import FaceDetection
import Frames
import Pipeline
import Posix
import Tracking

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (see docs/benchmarks.md).",
        discussion: """
            Examples:
              fercam bench model --precisions fp32 bf16 --batch 1 --batch 8
              fercam bench detect .cache/faces-gray/caltech1999 --threads 1
              fercam bench tracking --faces 10
            """,
        subcommands: [BenchDetect.self, BenchModel.self, BenchTracking.self])
}

struct BenchDetect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Time detection on every image of a directory; prints the median per frame as JSON.",
        discussion: """
            Example:
              fercam bench detect .cache/faces-gray/caltech1999 --threads 1
            """)

    @Argument(help: "Directory of frames (e.g. 640x480 PGMs written by scripts/reference/bench_detect.py).")
    var frames: String
    @Option(parsing: .unconditional, help: "Passes over the frames; the median pass is reported.")
    var repeats: Int = 5
    @OptionGroup var detector: DetectorOptions

    func validate() throws {
        guard (1...1000).contains(repeats) else { throw ValidationError("--repeats must be from 1 to 1000") }
    }

    func run() throws {
        let finder = try detector.makeFinder()
        var source = try ImageSource(path: frames)
        var images: [(gray: GrayImage, rgb: RGBImage?)] = []
        while let frame = try source.next() {
            images.append((frame.frame.luma, finder.needsColour ? frame.frame.rgb() : nil))
        }
        var perFrame: [Double] = []
        var faces = 0
        for _ in 0..<max(1, repeats) {
            let start = monotonicSeconds()
            faces = images.reduce(0) { $0 + finder.find(gray: $1.gray, rgb: { [rgb = $1.rgb] in rgb! }).count }
            perFrame.append((monotonicSeconds() - start) * 1000 / Double(images.count))
        }
        perFrame.sort()
        print(
            JSONValue.object([
                ("frames", .int(images.count)), ("detector", .string(finder.name)),
                ("threads", .int(finder.threads)), ("faces", .int(faces)),
                ("median_ms_per_frame", .number(perFrame[perFrame.count / 2], decimals: 3)),
                ("runs_ms_per_frame", .array(perFrame.map { .number($0, decimals: 3) })),
            ]).encoded)
    }
}

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Per-face latency of the expression model; one JSON line per (precision, batch).",
        discussion: """
            Example:
              fercam bench model --precisions fp32 bf16 --batch 1 --batch 8
            """)

    @Option(name: .customLong("batch"), help: "Batch sizes to time (repeat the flag).")
    var batches: [Int] = [1, 8]
    @Option(
        name: .customLong("precisions"), parsing: .upToNextOption,
        help: "Precisions to time (default: fp32, and bf16 where the CPU has it).")
    var precisions: [Precision] = []
    @Option(parsing: .unconditional, help: "oneDNN threads.")
    var threads: Int = 1
    @Option(parsing: .unconditional, help: "Timed calls per configuration; the median is reported.")
    var repeats: Int = 300
    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard batches.allSatisfy({ (1...ExpressionClassifier.maximumBatch).contains($0) }) else {
            throw ValidationError("--batch must be from 1 to \(ExpressionClassifier.maximumBatch)")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be from 1 to 256") }
        guard (1...100_000).contains(repeats) else { throw ValidationError("--repeats must be from 1 to 100000") }
    }

    func run() throws {
        Engine.setThreadCount(threads)
        let path = try modelOptions.modelPath()
        let chosen = precisions.isEmpty ? (Engine.supportsBF16 ? [.fp32, .bf16] : [.fp32]) : precisions
        for precision in chosen {
            let classifier = try ExpressionClassifier(path: path, precision: precision)
            let size = classifier.description.inputSize
            // Deterministic face-like noise; the network's cost does not depend on the pixels.
            var state: UInt32 = 12345
            let face = GrayImage(
                width: size, height: size,
                pixels: (0..<(size * size)).map { _ in
                    state = state &* 1_103_515_245 &+ 12345
                    return UInt8(truncatingIfNeeded: state >> 16)
                })
            for batch in batches where batch > 0 {
                let faces = Array(repeating: face, count: batch)
                for _ in 0..<20 { _ = try classifier.classify(faces: faces) }
                var times: [Double] = []
                for _ in 0..<max(1, repeats) {
                    let start = monotonicSeconds()
                    _ = try classifier.classify(faces: faces)
                    times.append((monotonicSeconds() - start) * 1000 / Double(batch))
                }
                times.sort()
                print(
                    JSONValue.object([
                        ("engine", "fercam-onednn"), ("model", .string(classifier.description.architecture.rawValue)),
                        ("isa", .string(Engine.instructionSet)),
                        ("precision", .string(precision.rawValue)),
                        ("batch", .int(batch)), ("threads", .int(threads)),
                        ("median_ms_per_face", .number(times[times.count / 2], decimals: 4)),
                        ("p10_ms_per_face", .number(times[times.count / 10], decimals: 4)),
                    ]).encoded)
            }
        }
    }
}

struct BenchTracking: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracking",
        abstract: "Time tracking and smoothing per frame on synthetic moving faces; prints the median pass as JSON.",
        discussion: "Example: fercam bench tracking --faces 10 --frames 10000")

    @Option(parsing: .unconditional, help: "Faces per frame.")
    var faces: Int = 10
    @Option(parsing: .unconditional, help: "Frames per pass.")
    var frames: Int = 10_000
    @Option(parsing: .unconditional, help: "Passes; the median is reported.")
    var repeats: Int = 5

    func validate() throws {
        guard (1...1000).contains(faces) else { throw ValidationError("--faces must be from 1 to 1000") }
        guard (1...1_000_000).contains(frames) else { throw ValidationError("--frames must be from 1 to 1000000") }
        guard (1...1000).contains(repeats) else { throw ValidationError("--repeats must be from 1 to 1000") }
    }

    func run() throws {
        // Faces on a grid drifting a few pixels a frame, with probabilities that wander, at 30 fps.
        let input: [[FaceObservation]] = (0..<frames).map { f in
            (0..<faces).map { i in
                let box = Rect(
                    x: 20 + (i % 8) * 120 + f % 40, y: 20 + (i / 8) * 120 + (f / 3) % 20, width: 80, height: 80)
                var p = [Float](repeating: 0.1, count: 7)
                p[(i + f / 15) % 7] = 0.4
                return FaceObservation(box: box, probabilities: p)
            }
        }
        var times: [Double] = []
        var checksum = 0
        for _ in 0..<repeats {
            var tracker = FaceTracker(smoothing: [SmoothingParameters()])
            let start = monotonicSeconds()
            for (f, observations) in input.enumerated() {
                checksum &+= tracker.update(observations, at: Double(f) / 30).reduce(0) { $0 &+ $1.id }
            }
            times.append((monotonicSeconds() - start) / Double(frames) * 1000)
        }
        print(
            JSONValue.object([
                ("bench", "tracking"), ("faces", .int(faces)), ("frames", .int(frames)),
                ("ms_per_frame", .number(times.sorted()[times.count / 2], decimals: 5)), ("checksum", .int(checksum)),
            ]).encoded)
    }
}
