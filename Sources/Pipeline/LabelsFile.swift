import Frames

/// Labels for an image-folder tree from a CSV file, to score `fercam eval` against something other than
/// the folder names. Two layouts are read, told apart by the header:
/// - FER+ votes (`path,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF`): the label
///   is the most-voted column (the first on a tie); faces whose majority is contempt, unknown or not-a-face,
///   or that have no votes, are left out;
/// - any CSV with `path` and `label` columns, the label being a class name.
/// Rows are matched to images by their last two path components (`<class>/<file>`).
public struct LabelsFile: Sendable {
    /// "FER+ majority" or "labels from NAME".
    public let name: String
    /// Class index per `<class>/<file>` key; nil where the file has the image but no usable label.
    public let labels: [String: Int?]

    static let ferPlusColumns = [
        "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF",
    ]
    static let ferPlusClasses = [
        "neutral": "neutral", "happiness": "happy", "surprise": "surprise", "sadness": "sad",
        "anger": "angry", "disgust": "disgust", "fear": "fear",
    ]

    public init(path: String, classNames: [String]) throws {
        let bytes = try ByteReader(path: path, regularFileOnly: true).readToEnd(limit: 64 << 20)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw InputError("\(path): not UTF-8 text") }
        var rows = text.split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard !rows.isEmpty else { throw InputError("\(path): empty labels file") }
        let header = rows.removeFirst().map { $0.csvTrimmed }
        guard let pathColumn = header.firstIndex(of: "path") else {
            throw InputError("\(path): line 1: no 'path' column")
        }
        var labels: [String: Int?] = [:]
        if Array(header.dropFirst()) == Self.ferPlusColumns && pathColumn == 0 {
            name = "FER+ majority"
            let columnClass = Self.ferPlusColumns.map {
                Self.ferPlusClasses[$0].flatMap { classNames.firstIndex(of: $0) }
            }
            for (line, row) in rows.enumerated() {
                let votes = row.dropFirst().map { Int($0.csvTrimmed) }
                guard row.count == header.count, votes.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                    throw InputError(
                        "\(path): line \(line + 2): expected \(header.count) fields with whole vote counts")
                }
                let counts = votes.map { $0! }
                let top = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
                try Self.insert(counts[top] > 0 ? columnClass[top] : nil, for: row[0], line: line + 2, path: path, into: &labels)
            }
        } else if let labelColumn = header.firstIndex(of: "label") {
            name = "labels from " + (path.split(separator: "/").last.map(String.init) ?? path)
            for (line, row) in rows.enumerated() {
                guard row.count > max(pathColumn, labelColumn) else {
                    throw InputError("\(path): line \(line + 2): too few fields")
                }
                let label = row[labelColumn].csvTrimmed
                guard let index = classNames.firstIndex(of: label) else {
                    let known = classNames.joined(separator: ", ")
                    throw InputError(
                        "\(path): line \(line + 2): unknown class '\(Self.excerpt(label))' (the model knows \(known))")
                }
                try Self.insert(index, for: row[pathColumn], line: line + 2, path: path, into: &labels)
            }
        } else {
            throw InputError("\(path): line 1: expected FER+ vote columns or a 'label' column")
        }
        self.labels = labels
    }

    /// A field as an error message quotes it: at most 60 characters (a 2 MB field once came back whole).
    static func excerpt(_ field: String) -> String {
        field.count <= 60 ? field : String(field.prefix(57)) + "..."
    }

    /// A second row for the same image is an error: a conflicting one makes the score depend on row order,
    /// and even a repeated one says the file is not what its author thinks.
    static func insert(
        _ label: Int?, for imagePath: String, line: Int, path: String, into labels: inout [String: Int?]
    ) throws {
        let key = Self.key(imagePath)
        if let earlier = labels[key] {
            let how = earlier == label ? "repeats" : "contradicts"
            throw InputError("\(path): line \(line): \(excerpt(key)) is listed again and \(how) an earlier row")
        }
        labels[key] = label
    }

    /// The label of the image at `imagePath`: nil when the file does not list it or has no usable label for it.
    public func label(for imagePath: String) -> Int? {
        labels[Self.key(imagePath)] ?? nil
    }

    static func key(_ path: String) -> String {
        path.csvTrimmed.split(separator: "/").suffix(2).joined(separator: "/")
    }
}

extension String {
    /// The field without surrounding spaces and quotes.
    var csvTrimmed: String {
        let padding: (Character) -> Bool = { $0 == " " || $0 == "\"" }
        return String(self.drop(while: padding).reversed().drop(while: padding).reversed())
    }
}
