import ArgumentParser
import Charts
import Frames
import ImageFiles
import Pipeline
import Posix

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chart each face's expressions over time from a run's JSON Lines, and summarise them.",
        discussion: """
            Reads what `fercam --stdout` printed (a file, or '-' for stdin) and draws, per tracked face, the \
            probability of each class over time with the shown label as a band under it (runs without tracks: \
            each frame's largest face). --summary writes each face's time on screen and share of time in each \
            shown expression, as CSV or JSON (by the file's extension). Example:
              fercam --input interview.mp4 --stdout > run.jsonl
              fercam report run.jsonl -o run.png --summary run.csv
            """)

    @Argument(help: ArgumentHelp("JSON Lines from `fercam --stdout`, or '-' for stdin.", valueName: "run.jsonl"))
    var log: String
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The chart to write (PNG).", valueName: "png"))
    var output: String?
    @Option(help: ArgumentHelp("Per-face summary to write: .csv or .json.", valueName: "file"))
    var summary: String?
    @Option(parsing: .unconditional, help: "Chart width in pixels.")
    var width = 1200
    @OptionGroup(title: "Part of the run") var partOptions: PartOptions

    func validate() throws {
        guard output != nil || summary != nil else {
            throw ValidationError("nothing to write: give -o report.png, --summary summary.csv, or both")
        }
        if let summary {
            guard summary.lowercased().hasSuffix(".csv") || summary.lowercased().hasSuffix(".json") else {
                throw ValidationError("--summary must end in .csv or .json (got \(summary))")
            }
        }
        guard (600...4000).contains(width) else {
            throw ValidationError("--width must be from 600 to 4000 pixels (got \(width))")
        }
    }

    func run() throws {
        let timelines = try RunTimelines(jsonLines: log, part: partOptions.part)
        if let output {
            let name = timelines.source.isEmpty ? log : timelines.source
            let title = "Expressions over time: \(name.split(separator: "/").last.map(String.init) ?? name)"
            try ImageFile.writePNG(try EmotionTimeline.render(timelines, title: title, width: width), path: output)
        }
        if let summary {
            let text =
                summary.lowercased().hasSuffix(".json")
                ? JSONLines.timelineSummary(timelines) : timelines.summaryCSV()
            try AtomicFile.write(Array(text.utf8), to: summary)
        }
    }
}
