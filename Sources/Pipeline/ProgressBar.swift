import Glibc
import Posix

/// Progress on stderr when it is a terminal: a bar that redraws in place, with an estimate of the time left.
public struct ProgressBar {
    let total: Int
    let label: String
    let enabled: Bool
    private var lastDrawn = -1
    private let started = monotonicSeconds()

    public init(total: Int, label: String) {
        self.total = total
        self.label = label
        enabled = isatty(2) != 0
    }

    /// "1:05 left" from the rate so far; empty until there is a rate to go by.
    public static func remaining(done: Int, total: Int, elapsed: Double) -> String {
        guard done > 0, done < total, elapsed > 0.5 else { return "" }
        let seconds = Int((elapsed / Double(done) * Double(total - done)).rounded())
        let clock = seconds >= 3600
            ? "\(seconds / 3600):" + String(seconds / 60 % 60).leftPadded(2) + ":" + String(seconds % 60).leftPadded(2)
            : "\(seconds / 60):" + String(seconds % 60).leftPadded(2)
        return "  \(clock) left"
    }

    /// Clears the bar (a run that ended before its estimated total leaves none behind).
    public func finish() {
        guard enabled, lastDrawn >= 0 else { return }
        "\r\u{1B}[K".withCString { _ = write(2, $0, 4) }
    }

    public mutating func update(_ done: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        guard percent != lastDrawn || done == total else { return }
        lastDrawn = percent
        let filled = percent * 30 / 100
        var text =
            "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled)
            + "] \(done)/\(total)" + Self.remaining(done: done, total: total, elapsed: monotonicSeconds() - started)
            + "\u{1B}[K"
        if done == total { text += "\r\u{1B}[K" }
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
