import Glibc

/// Progress on stderr when it is a terminal: a bar that redraws in place.
public struct ProgressBar {
    let total: Int
    let label: String
    let enabled: Bool
    private var lastDrawn = -1

    public init(total: Int, label: String) {
        self.total = total
        self.label = label
        enabled = isatty(2) != 0
    }

    public mutating func update(_ done: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        guard percent != lastDrawn || done == total else { return }
        lastDrawn = percent
        let filled = percent * 30 / 100
        var text =
            "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled)
            + "] \(done)/\(total)"
        if done == total { text += "\r\u{1B}[K" }
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
