import Foundation

/// `fercam eval --predictions`: one CSV row per image, where error analysis starts. Columns, in order
/// (docs/output-format.md; names stable across versions):
///
///     path, true_folder, true_<labels file stem>..., predicted, score, face_found,
///     box_x, box_y, box_w, box_h, p_<class>...
///
/// Labels are class names (empty where a label set has none for the image); `predicted`, `score`, the box
/// and the probabilities are empty for an image without a face (`face_found` 0). Fields holding a comma, a
/// quote or a line break are quoted as RFC 4180 says.
public enum PredictionsTable {
    public static func csv(_ evaluation: Evaluation, labels: [(column: String, file: LabelsFile)]) -> String {
        let names = evaluation.classNames
        let header =
            ["path", "true_folder"] + labels.map { "true_" + $0.column }
            + ["predicted", "score", "face_found", "box_x", "box_y", "box_w", "box_h"] + names.map { "p_" + $0 }
        var lines = [header.map(field).joined(separator: ",")]
        for image in evaluation.images {
            let truth = [names[image.folderLabel]] + labels.map { $0.file.label(for: image.path).map { names[$0] } ?? "" }
            var row = [image.path] + truth
            if let predicted = image.predicted, let box = image.box {
                row += [names[predicted], number(image.probabilities[predicted]), "1"]
                row += [box.x, box.y, box.width, box.height].map(String.init)
                row += image.probabilities.map(number)
            } else {
                row += ["", "", "0", "", "", "", ""] + names.map { _ in "" }
            }
            lines.append(row.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A labels file's column name: its file name without directory and extension, in lower case letters,
    /// digits and underscores (`ferplus.csv` gives `ferplus`).
    public static func column(forLabelsFile path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? name
        return String(stem.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static func number(_ value: Float) -> String { FaceTable.number(value) }
    static func field(_ text: String) -> String { FaceTable.field(text) }
}
