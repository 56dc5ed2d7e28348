import BlazeFace
import Frames
import Tracking

/// A JSON value whose object keys keep the order they were written in, so output is stable byte for byte.
public indirect enum JSONValue: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case int(Int)
    /// Fixed-point with at most `decimals` decimals (see `decimalText`); non-finite values become null.
    case number(Double, decimals: Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }

    /// A detector box as fercam writes it everywhere: `[x,y,w,h]`.
    public static func box(_ r: Rect) -> JSONValue { .array([.int(r.x), .int(r.y), .int(r.width), .int(r.height)]) }

    public var encoded: String {
        switch self {
        case .int(let v): return String(v)
        case let .number(v, decimals): return JSONLines.number(v, decimals: decimals)
        case .string(let s): return JSONLines.string(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.encoded).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.map { JSONLines.string($0.0) + ":" + $0.1.encoded }.joined(separator: ",") + "}"
        }
    }
}

/// Every JSON fercam writes: the headless output (one object per frame, see docs/output-format.md),
/// `detect --json`, `eval --json` and the benchmark lines.
public enum JSONLines {
    /// Encodes one frame. Without timings the line depends only on the input, so replays are byte-identical.
    /// `includeAttention` adds each face's last-stage CBAM spatial attention as rows of numbers.
    public static func encode(_ analysis: FrameAnalysis, includeTimings: Bool, includeAttention: Bool = false) -> String
    {
        var fields: [(String, JSONValue)] = [
            ("frame", .int(analysis.index)), ("pts", .number(analysis.pts, decimals: 6)),
            ("source", .string(analysis.source)),
            ("width", .int(analysis.width)), ("height", .int(analysis.height)),
            (
                "faces",
                .array(
                    analysis.faces.map { face($0, classNames: analysis.classNames, includeAttention: includeAttention) }
                )
            ),
        ]
        if includeTimings {
            fields.append(("ms", .object(analysis.milliseconds.map { ($0.stage, .number($0.value, decimals: 3)) })))
        }
        return JSONValue.object(fields).encoded
    }

    static func face(_ face: DetectedFace, classNames: [String], includeAttention: Bool) -> JSONValue {
        var fields: [(String, JSONValue)] = [("box", .box(face.box))]
        fields += landmarks(score: face.detectorScore, keypoints: face.keypoints, roll: face.roll)
        if let track = face.track {
            fields += [
                ("id", .int(track.id)), ("age", .int(track.age)), ("age_s", .number(track.seconds, decimals: 3)),
            ]
        }
        if let e = face.expression, let shown = face.shown(classNames: classNames) {
            fields += expression(label: shown.label, score: shown.score, scores: shown.scores, classNames: classNames)
            if face.track != nil {
                fields.append(("uncertain", .bool(shown.uncertain)))
                fields.append(
                    (
                        "raw",
                        .object(expression(label: e.label, score: e.score, scores: e.scores, classNames: classNames))
                    ))
            }
            if includeAttention {
                let map = e.output.attention
                fields.append(
                    (
                        "attention",
                        .array(
                            (0..<map.height).map { y in
                                .array((0..<map.width).map { x in .number(Double(map[x, y]), decimals: 3) })
                            })
                    ))
                if let regions = e.output.regionWeights {
                    fields.append(
                        (
                            "attention_regions",
                            .object(regions.map { ($0.region, .number(Double($0.weight), decimals: 3)) })
                        ))
                }
                if let outline = e.output.samplingOutline {
                    fields.append(
                        (
                            "attention_outline",
                            .array(
                                outline.map {
                                    .array([.number(Double($0.x), decimals: 3), .number(Double($0.y), decimals: 3)])
                                })
                        ))
                }
            }
        }
        return .object(fields)
    }

    static func expression(label: String, score: Float, scores: [Float], classNames: [String]) -> [(String, JSONValue)]
    {
        [
            ("label", .string(label)), ("score", .number(Double(score), decimals: 4)),
            ("scores", .object(zip(classNames, scores).map { ($0, .number(Double($1), decimals: 4)) })),
        ]
    }

    /// BlazeFace's fields of a face (none for Haar): `detector_score`, `keypoints` by name as [x, y] in pixels,
    /// `roll_deg` (the eye line's slope, clockwise on screen).
    static func landmarks(score: Float?, keypoints: [Keypoint], roll: Double?) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        if let score { fields.append(("detector_score", .number(Double(score), decimals: 4))) }
        if !keypoints.isEmpty {
            fields.append(
                (
                    "keypoints",
                    .object(
                        zip(Keypoint.names, keypoints).map {
                            ($0, .array([.number($1.x, decimals: 1), .number($1.y, decimals: 1)]))
                        })
                ))
        }
        if let roll { fields.append(("roll_deg", .number(roll * 180 / .pi, decimals: 1))) }
        return fields
    }

    /// `fercam detect --json`: one object per image; with BlazeFace, `details` holds each face's score and
    /// keypoints in the order of `faces`.
    public static func detection(image: String, width: Int, height: Int, faces: [FoundFace]) -> String {
        var fields: [(String, JSONValue)] = [
            ("image", .string(image)), ("width", .int(width)), ("height", .int(height)),
            ("faces", .array(faces.map { .box($0.box) })),
        ]
        if faces.contains(where: { $0.score != nil }) {
            fields.append(
                (
                    "details",
                    .array(
                        faces.map {
                            .object(landmarks(score: $0.score, keypoints: $0.keypoints, roll: $0.roll))
                        })
                ))
        }
        return JSONValue.object(fields).encoded
    }

    /// One label set's figures in `fercam eval --json`.
    public static func scores(_ matrix: ConfusionMatrix, calibration: Calibration) -> [(String, JSONValue)] {
        [
            ("images", .int(matrix.total)), ("accuracy", .number(matrix.accuracy, decimals: 6)),
            ("macro_f1", .number(matrix.macroF1, decimals: 6)),
            ("no_face", .int(matrix.missed.reduce(0, +))), ("classes", .array(matrix.classNames.map(JSONValue.string))),
            ("recall", .object(zip(matrix.classNames, matrix.recall).map { ($0, .number($1, decimals: 6)) })),
            ("confusion", .array(matrix.counts.map { .array($0.map(JSONValue.int)) })),
            ("no_face_by_class", .array(matrix.missed.map(JSONValue.int))),
            ("ece", .number(calibration.expectedError, decimals: 6)),
        ]
    }

    /// `fercam eval --json`: the folder labels' figures at the top level, other label sets under `label_sets`.
    public static func evaluation(_ report: EvaluationReport) -> String {
        var fields = scores(report.folder.matrix, calibration: report.folder.calibration)
        fields.append(("detector", report.detector.map(JSONValue.string) ?? .null))
        fields.append(
            (
                "label_sets",
                .object(report.others.map { ($0.name, .object(scores($0.matrix, calibration: $0.calibration))) })
            ))
        fields.append(
            (
                "unreadable",
                .object([
                    ("count", .int(report.unreadable.count)),
                    ("first", .array(report.unreadable.prefix(5).map { .string("\($0.path): \($0.reason)") })),
                ])
            ))
        return JSONValue.object(fields).encoded
    }

    /// `fercam stability --json`: one smoothing setting's figures.
    /// `fercam report --summary x.json`: the run, then per face its time on screen and shares.
    public static func timelineSummary(_ run: RunTimelines) -> String {
        let faces: [JSONValue] = run.summaries().map { s in
            .object([
                ("face", .int(s.id)), ("first_s", .number(s.first, decimals: 3)),
                ("last_s", .number(s.last, decimals: 3)), ("frames", .int(s.frames)),
                ("seconds", .number(s.seconds, decimals: 3)),
                ("shares", .object(zip(run.classNames, s.shares).map { ($0, .number($1, decimals: 4)) })),
                ("uncertain", .number(s.uncertainShare, decimals: 4)),
            ])
        }
        let summary: JSONValue = .object([
            ("source", .string(run.source)), ("frames", .int(run.frames)), ("tracked", .bool(run.tracked)),
            ("faces", .array(faces)),
        ])
        return summary.encoded + "\n"
    }

    public static func stability(_ s: StabilitySummary, smoothing: Double, expected: String?) -> String {
        var fields: [(String, JSONValue)] = [
            ("smoothing_s", .number(smoothing, decimals: 3)), ("tracks", .int(s.tracks)), ("frames", .int(s.frames)),
            ("track_seconds", .number(s.seconds, decimals: 3)), ("switches", .int(s.switches)),
            ("switches_per_s", .number(s.switchesPerSecond, decimals: 4)),
            ("off_majority", .number(s.offMajorityShare, decimals: 4)),
            ("uncertain", .number(s.uncertainShare, decimals: 4)),
            ("agrees_with_bars", .number(s.agreementShare, decimals: 4)),
        ]
        if let expected {
            fields += [("expected", .string(expected)), ("shows_expected", .number(s.expectedShare, decimals: 4))]
        }
        return JSONValue.object(fields).encoded
    }

    /// A JSON string literal.
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A fixed-point number without exponent, trailing zeros trimmed (but at least one decimal).
    public static func number(_ value: Double, decimals: Int) -> String {
        decimalText(value, decimals: decimals, minimumDecimals: 1)
    }
}
