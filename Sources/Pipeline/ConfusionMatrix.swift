import Foundation

/// Counts of (true class, predicted class); `missed` counts faces the detector did not find.
public struct ConfusionMatrix: Sendable, Equatable {
    public let classNames: [String]
    /// counts[true][predicted]
    public private(set) var counts: [[Int]]
    public private(set) var missed: [Int]

    public init(classNames: [String]) {
        self.classNames = classNames
        counts = Array(repeating: Array(repeating: 0, count: classNames.count), count: classNames.count)
        missed = Array(repeating: 0, count: classNames.count)
    }

    public mutating func add(truth: Int, predicted: Int?) {
        if let predicted { counts[truth][predicted] += 1 } else { missed[truth] += 1 }
    }

    public var total: Int { counts.joined().reduce(0, +) + missed.reduce(0, +) }
    public var correct: Int { classNames.indices.reduce(0) { $0 + counts[$1][$1] } }
    /// Correct over all images; a missed face counts as wrong.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    public var recall: [Double] {
        classNames.indices.map { c in
            let row = counts[c].reduce(0, +) + missed[c]
            return row == 0 ? 0 : Double(counts[c][c]) / Double(row)
        }
    }

    public var precision: [Double] {
        classNames.indices.map { c in
            let column = classNames.indices.reduce(0) { $0 + counts[$1][c] }
            return column == 0 ? 0 : Double(counts[c][c]) / Double(column)
        }
    }

    /// Unweighted mean of the per-class F1 scores (as scikit-learn's `f1_score(average="macro")`).
    public var macroF1: Double {
        let p = precision, r = recall
        let f1 = classNames.indices.map { p[$0] + r[$0] == 0 ? 0 : 2 * p[$0] * r[$0] / (p[$0] + r[$0]) }
        return f1.reduce(0, +) / Double(max(1, f1.count))
    }

    /// A table for people: summary, per-class recall, and the matrix (rows true, columns predicted).
    public var report: String {
        let width = max(8, (classNames.map(\.count).max() ?? 0) + 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        var lines = [String(format: "images %d  accuracy %.2f%%  macro-F1 %.4f", total, accuracy * 100, macroF1)]
        if missed.reduce(0, +) > 0 { lines.append("no face found in \(missed.reduce(0, +)) images (counted as wrong)") }
        lines.append("")
        lines.append(
            pad("true \\ predicted") + classNames.map(pad).joined() + (missed.reduce(0, +) > 0 ? pad("no face") : "")
                + pad("recall"))
        for (c, name) in classNames.enumerated() {
            var row = pad(name) + counts[c].map { pad(String($0)) }.joined()
            if missed.reduce(0, +) > 0 { row += pad(String(missed[c])) }
            lines.append(row + pad(String(format: "%.1f%%", recall[c] * 100)))
        }
        return lines.joined(separator: "\n")
    }
}
