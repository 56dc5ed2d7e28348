import Foundation

/// `fercam eval`'s figures: against the folder labels, and against each labels file given.
public struct EvaluationReport: Sendable {
    public struct LabelSet: Sendable {
        public var name: String
        public var matrix: ConfusionMatrix
        public var calibration: Calibration
    }

    public var folder: LabelSet
    public var others: [LabelSet]
    public var unreadable: [(path: String, reason: String)]
    /// The face finder's name (`--detector`) when faces were detected, nil for face crops.
    public var detector: String?

    public init(_ evaluation: Evaluation, labelsFiles: [LabelsFile] = [], detector: String? = nil) {
        func set(_ name: String, _ truth: (EvaluatedImage) -> Int?) -> LabelSet {
            LabelSet(
                name: name, matrix: evaluation.matrix(truth: truth), calibration: evaluation.calibration(truth: truth))
        }
        folder = set("folder labels") { $0.folderLabel }
        others = labelsFiles.map { file in set(file.name) { file.label(for: $0.path) } }
        unreadable = evaluation.unreadable
        self.detector = detector
    }

    /// Tables for people, one per label set.
    public var text: String {
        var out = detector.map { "faces found by --detector \($0)\n\n" } ?? ""
        out += ([folder] + others).map { set in
            let heading =
                "\(set.name): "
                + String(
                    format: "ECE %.3f over %d classified faces", set.calibration.expectedError, set.calibration.count)
            return heading + "\n" + set.matrix.report
        }.joined(separator: "\n\n")
        if !unreadable.isEmpty {
            out += "\n\n\(unreadable.count) unreadable image\(unreadable.count == 1 ? "" : "s") left out, first:\n"
            out += unreadable.prefix(5).map { "  \($0.path): \($0.reason)" }.joined(separator: "\n")
        }
        return out
    }
}
