import ArgumentParser

/// A time on the command line: seconds (`90`, `12.5`), `MM:SS` or `HH:MM:SS` (fractions allowed on the
/// seconds), as ffmpeg and media players write them.
struct TimeArgument: ExpressibleByArgument, Equatable {
    let seconds: Double

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), let last = Double(parts.last!), last.isFinite, last >= 0 else {
            return nil
        }
        var total = last
        for (place, part) in parts.dropLast().reversed().enumerated() {
            guard let whole = Int(part), whole >= 0, parts.count == 1 || last < 60 else { return nil }
            total += Double(whole) * (place == 0 ? 60 : 3600)
        }
        guard total <= 1e9 else { return nil }
        seconds = total
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
