/// The headless output: one JSON object per frame (see docs/output-format.md).
public enum JSONLines {
    /// Encodes one frame. Without timings the line depends only on the input, so replays are byte-identical.
    /// `includeAttention` adds each face's last-stage CBAM spatial attention as rows of numbers.
    public static func encode(_ analysis: FrameAnalysis, includeTimings: Bool, includeAttention: Bool = false) -> String {
        var line = "{\"frame\":\(analysis.index),\"pts\":\(number(analysis.pts, decimals: 6)),\"source\":\(string(analysis.source))"
        line += ",\"width\":\(analysis.width),\"height\":\(analysis.height),\"faces\":["
        line += analysis.faces.map { encode($0, classNames: analysis.classNames, includeAttention: includeAttention) }.joined(separator: ",")
        line += "]"
        if includeTimings {
            line += ",\"ms\":{" + analysis.milliseconds.map { "\(string($0.stage)):\(number($0.value, decimals: 3))" }.joined(separator: ",") + "}"
        }
        return line + "}"
    }

    static func encode(_ face: DetectedFace, classNames: [String], includeAttention: Bool) -> String {
        let b = face.box
        var object = "{\"box\":[\(b.x),\(b.y),\(b.width),\(b.height)]"
        if let e = face.expression {
            object += ",\"label\":\(string(e.label)),\"score\":\(number(Double(e.score), decimals: 4)),\"scores\":{"
            object += zip(classNames, e.scores).map { "\(string($0)):\(number(Double($1), decimals: 4))" }.joined(separator: ",") + "}"
            if includeAttention {
                let map = e.output.lastAttention
                object += ",\"attention\":[" + (0..<map.height).map { y in
                    "[" + (0..<map.width).map { x in number(Double(map[x, y]), decimals: 3) }.joined(separator: ",") + "]"
                }.joined(separator: ",") + "]"
            }
        }
        return object + "}"
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
        guard value.isFinite else { return "null" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var fraction = String(Int(scaled - Double(whole) * scale))
        fraction = String(repeating: "0", count: max(0, decimals - fraction.count)) + fraction
        while fraction.count > 1 && fraction.hasSuffix("0") { fraction.removeLast() }
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole).\(fraction)"
    }
}
