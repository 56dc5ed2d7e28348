import ArgumentParser
import Pipeline

/// --start, --duration, --end and --every: the stretch of a recording to analyse (run) or to chart (report).
struct PartOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Start this far into the input (seconds, MM:SS or HH:MM:SS); ffmpeg seeks there.", valueName: "time"))
    var start: TimeArgument?
    @Option(parsing: .unconditional, help: ArgumentHelp("Take this long from --start.", valueName: "time"))
    var duration: TimeArgument?
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop at this time of the input (instead of --duration).", valueName: "time"))
    var end: TimeArgument?
    @Option(
        parsing: .unconditional,
        help: "Every Nth frame only; times stay the source's, and tracking follows the gaps.")
    var every: Int = 1

    func validate() throws {
        guard every >= 1, every <= 100_000 else { throw ValidationError("--every must be from 1 to 100000 (got \(every))") }
        if duration != nil && end != nil { throw ValidationError("--duration and --end do not combine: give one") }
        if let duration, duration.seconds <= 0 { throw ValidationError("--duration must be above 0") }
        if let end, end.seconds <= (start?.seconds ?? 0) { throw ValidationError("--end must be after --start") }
    }

    var part: VideoPart {
        let from = start?.seconds ?? 0
        return VideoPart(start: from, end: end?.seconds ?? duration.map { from + $0.seconds }, every: every)
    }
}
