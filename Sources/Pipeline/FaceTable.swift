import Foundation

/// `--csv` and `--stdout --format csv`: one row per face and frame, for pandas, R and spreadsheets as they
/// are. The columns are fixed and documented (docs/output-format.md); their names do not change between
/// versions, and new ones are only ever added at the end:
///
///     frame, pts, source, face, id, box_x, box_y, box_w, box_h, detector_score, label, score, uncertain,
///     p_<class>..., raw_label, raw_score, raw_<class>...
///
/// `face` numbers the faces of a frame from 0 in the JSON's order; `id` is the track (empty for still
/// images); `detector_score` is BlazeFace's score, empty for the Haar cascade, which gives none. `label`, `score`, `uncertain`
/// and `p_<class>` are what fercam shows (smoothed over the track); `raw_*` are the frame's own. Without an
/// expression model the expression columns are empty. A frame without a face has no row.
public enum FaceTable {
    public static func header(classNames: [String]) -> String {
        (["frame", "pts", "source", "face", "id", "box_x", "box_y", "box_w", "box_h", "detector_score", "label",
          "score", "uncertain"] + classNames.map { "p_" + $0 } + ["raw_label", "raw_score"]
            + classNames.map { "raw_" + $0 }).joined(separator: ",") + "\n"
    }

    /// The rows of one analysed frame (each ends in a newline; none for a frame without faces).
    public static func rows(_ analysis: FrameAnalysis) -> String {
        let names = analysis.classNames
        var out = ""
        for (index, face) in analysis.faces.enumerated() {
            var row = [
                String(analysis.index), number(analysis.pts), field(analysis.source), String(index),
                face.track.map { String($0.id) } ?? "",
                String(face.box.x), String(face.box.y), String(face.box.width), String(face.box.height),
                face.detectorScore.map { number($0) } ?? "",
            ]
            if let raw = face.expression, let shown = face.shown(classNames: names) {
                row += [shown.label, number(shown.score), shown.uncertain ? "1" : "0"] + shown.scores.map(number)
                row += [raw.label, number(raw.score)] + raw.scores.map(number)
            } else {
                row += Array(repeating: "", count: 5 + 2 * names.count)
            }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    static func number(_ value: Float) -> String { JSONLines.number(Double(value), decimals: 6) }
    static func number(_ value: Double) -> String { JSONLines.number(value, decimals: 6) }

    /// RFC 4180 quoting where a field needs it (a source path with a comma).
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
