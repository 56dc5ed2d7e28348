import ArgumentParser
import Frames
import Pipeline
import Tracking

struct Stability: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "How steady the labels are on a video: switches per track-second, off-majority frames, uncertain frames.",
        discussion: """
            Replays the input once (detection, expressions, tracks) and scores each --compare smoothing time \
            constant on the same tracks; 0 is the raw per-frame label. A switch is a change of a track's shown \
            label between two of its detections; off-majority frames are those whose label is not the track's \
            most common one. With --expect, the share of frames showing that class too (a clip of one held \
            expression). \
            See docs/tracking.md.

            Example:
              fercam stability clip.mp4 --compare 0 0.25 0.5 --expect happy
            """)

    @Argument(help: "A video: a file or URL ffmpeg reads, a Y4M file, or '-' for Y4M on stdin.")
    var input: String
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Smoothing time constants to compare, in seconds (default: 0 and --smoothing).", valueName: "seconds"))
    var compare: [Double] = []
    @Option(help: "The class every face in the clip shows, for a clip of one held expression.")
    var expect: String?
    @Flag(help: "Print one JSON object per setting instead of the table.")
    var json = false
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup(title: "Tracking and smoothing") var trackingOptions: TrackingOptions

    func validate() throws {
        guard compare.count <= 32, compare.allSatisfy({ (0...10).contains($0) }) else {
            throw ValidationError("--compare takes at most 32 time constants, each from 0 to 10 seconds")
        }
    }

    var timeConstants: [Double] { compare.isEmpty ? [0, trackingOptions.smoothing] : compare }

    func run() throws {
        let stop = StopSignal()  // first: threads started before it would not block the signals (see Run)
        let classifier = try modelOptions.makeClassifier()
        var expected: Int?
        if let expect {
            guard let index = classifier.classNames.firstIndex(of: expect) else {
                throw InputError(
                    "--expect \(expect): the model's classes are \(classifier.classNames.joined(separator: ", "))")
            }
            expected = index
        }
        let analyser = FrameAnalyser(finder: try detector.makeFinder(fallback: "auto"), classifier: classifier)
        var source = try InputSource.open(input, stop: stop)
        guard source.isVideo else { throw InputError("\(input): stability needs a video (Y4M), not still images") }
        let run = StabilityRun(
            analyser: analyser, tracking: trackingOptions.tracking,
            settings: timeConstants.map { trackingOptions.smoothing(timeConstant: $0) })
        let summaries = try run.run(&source, expected: expected)
        let rows = zip(timeConstants, summaries).map { (seconds: $0, summary: $1) }
        if json {
            for row in rows { print(JSONLines.stability(row.summary, smoothing: row.seconds, expected: expect)) }
        } else {
            print(Self.table(rows, expected: expect))
        }
    }

    static func table(_ rows: [(seconds: Double, summary: StabilitySummary)], expected: String?) -> String {
        var lines = [
            "smoothing  tracks  frames  track-s  switches  switches/s  off-majority  uncertain  agrees"
                + (expected.map { "  shows \($0)" } ?? "")
        ]
        for (seconds, s) in rows {
            var line = [
                pad(JSONLines.number(seconds, decimals: 2) + " s", 9), pad(String(s.tracks), 6),
                pad(String(s.frames), 6), pad(JSONLines.number(s.seconds, decimals: 1), 7), pad(String(s.switches), 8),
                pad(JSONLines.number(s.switchesPerSecond, decimals: 3), 10), pad(percent(s.offMajorityShare), 12),
                pad(percent(s.uncertainShare), 9), pad(percent(s.agreementShare), 6),
            ].joined(separator: "  ")
            if let expected { line += "  " + pad(percent(s.expectedShare), 6 + expected.count) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ share: Double) -> String { JSONLines.number(100 * share, decimals: 1) + "%" }
    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
