import ExpressionModel
import Frames
import Pipeline
import SDLKit

/// What the overlay shows; toggled by keys.
public struct OverlayOptions: Sendable, Equatable {
    public var attention = true
    public var bars = true
    public var help = false

    public init(attention: Bool = true, bars: Bool = true, help: Bool = false) {
        self.attention = attention
        self.bars = bars
        self.help = help
    }
}

/// The status lines in the corner.
public struct HeadsUp: Sendable {
    public var source: String
    public var framesPerSecond: Double
    public var milliseconds: [(stage: String, value: Double)]
    public var dropped: Int
    public var recording: String?
    public var status: String?

    public init(
        source: String, framesPerSecond: Double = 0, milliseconds: [(stage: String, value: Double)] = [],
        dropped: Int = 0,
        recording: String? = nil, status: String? = nil
    ) {
        self.source = source
        self.framesPerSecond = framesPerSecond
        self.milliseconds = milliseconds
        self.dropped = dropped
        self.recording = recording
        self.status = status
    }
}

/// Draws a frame with its analysis: boxes, labels, per-class bars, attention heat maps, HUD, help.
public final class OverlayRenderer {

    let window: Window
    let label: Font
    let small: Font
    let cropping: FaceCropping

    public init(window: Window, cropping: FaceCropping) throws(SDLError) {
        self.window = window
        self.cropping = cropping
        label = try Font(path: Font.boldPath, size: 17)
        small = try Font(path: Font.regularPath, size: 12)
    }

    /// Color per expression, chosen to stay apart for common color blindness where possible.
    public static func color(for label: String) -> Color {
        switch label {
        case "angry": return Color(230, 57, 70)
        case "disgust": return Color(106, 176, 76)
        case "fear": return Color(155, 89, 182)
        case "happy": return Color(255, 200, 40)
        case "sad": return Color(52, 120, 246)
        case "surprise": return Color(255, 140, 0)
        case "neutral": return Color(200, 200, 200)
        default: return Color(0, 220, 255)
        }
    }

    public func draw(frame: YUVFrame, analysis: FrameAnalysis?, options: OverlayOptions, hud: HeadsUp) throws(SDLError)
    {
        window.setLogicalSize(width: frame.width, height: frame.height)
        window.clear(Color(0, 0, 0))
        try window.drawVideo(frame)
        if let analysis {
            if options.attention {
                for face in analysis.faces {
                    if let e = face.expression { drawAttention(e.output.lastAttention, box: face.box) }
                }
            }
            let boxes = analysis.faces.map(\.box)
            for face in analysis.faces {
                drawFace(
                    face, classNames: analysis.classNames, frameSize: (frame.width, frame.height), faceBoxes: boxes,
                    bars: options.bars)
            }
        }
        drawHUD(hud)
        if options.help { drawHelp(width: frame.width, height: frame.height) }
    }

    /// The attention map, min-max stretched so that its shape shows, colored from transparent blue to opaque red,
    /// over the square the model actually saw.
    func drawAttention(_ map: AttentionMap, box: Rect) {
        let low = map.values.min() ?? 0, high = map.values.max() ?? 1
        let span = max(high - low, 1e-6)
        var rgba = [UInt8](repeating: 0, count: map.values.count * 4)
        for (i, value) in map.values.enumerated() {
            let t = (value - low) / span
            let c = Self.heat(t)
            rgba[4 * i] = c.r; rgba[4 * i + 1] = c.g; rgba[4 * i + 2] = c.b
            rgba[4 * i + 3] = UInt8(25 + 105 * t)
        }
        let (x, y, side) = cropping.region(for: box)
        window.drawRGBA(
            rgba, width: map.width, height: map.height,
            over: Rect(
                x: Int(x.rounded()), y: Int(y.rounded()), width: Int(side.rounded()), height: Int(side.rounded())))
    }

    /// Black on light tints, white on dark ones.
    static func textColor(on tint: Color) -> Color {
        let luma = 0.299 * Double(tint.r) + 0.587 * Double(tint.g) + 0.114 * Double(tint.b)
        return luma > 140 ? Color(15, 15, 15) : Color(255, 255, 255)
    }

    /// A blue-cyan-yellow-red ramp.
    static func heat(_ t: Float) -> Color {
        let stops: [(Float, Float, Float)] = [(0, 0, 255), (0, 220, 255), (255, 230, 0), (255, 30, 0)]
        let scaled = min(max(t, 0), 1) * Float(stops.count - 1)
        let i = min(Int(scaled), stops.count - 2), f = scaled - Float(i)
        let a = stops[i], b = stops[i + 1]
        return Color(UInt8(a.0 + (b.0 - a.0) * f), UInt8(a.1 + (b.1 - a.1) * f), UInt8(a.2 + (b.2 - a.2) * f))
    }

    func drawFace(
        _ face: DetectedFace, classNames: [String], frameSize: (width: Int, height: Int), faceBoxes: [Rect], bars: Bool
    ) {
        let box = face.box
        let tint = face.expression.map { Self.color(for: $0.label) } ?? Color(0, 220, 255)
        window.outline(box, Color(0, 0, 0, 160), thickness: 5)
        window.outline(
            Rect(x: box.x + 1, y: box.y + 1, width: box.width - 2, height: box.height - 2), tint, thickness: 3)
        guard let e = face.expression else { return }
        let text = "\(e.label) \(Int((e.score * 100).rounded()))%"
        let w = label.width(of: text) + 12, h = label.lineHeight + 4
        let top = box.y - h >= 0 ? box.y - h : box.y
        window.fill(Rect(x: box.x, y: top, width: w, height: h), tint)
        window.text(text, font: label, x: box.x + 6, y: top + 2, color: Self.textColor(on: tint))
        guard bars else { return }
        let rowHeight = small.lineHeight + 2
        let nameWidth = classNames.map { small.width(of: $0) }.max() ?? 50
        let barWidth = 90
        let panelWidth = nameWidth + barWidth + 52
        let panelHeight = rowHeight * classNames.count + 8
        // Right of the face, else left, below or above it: the first place inside the frame that
        // covers no face; if every place does, the one covering the least face area.
        let candidates = [
            Rect(x: box.x + box.width + 8, y: box.y, width: panelWidth, height: panelHeight),
            Rect(x: box.x - panelWidth - 8, y: box.y, width: panelWidth, height: panelHeight),
            Rect(x: box.x, y: box.y + box.height + 8, width: panelWidth, height: panelHeight),
            Rect(x: box.x, y: box.y - panelHeight - 8, width: panelWidth, height: panelHeight),
        ].map { r in
            Rect(
                x: min(max(0, r.x), max(0, frameSize.width - r.width)),
                y: min(max(0, r.y), max(0, frameSize.height - r.height)),
                width: r.width, height: r.height)
        }
        let panel = candidates.min { a, b in
            faceBoxes.reduce(0) { $0 + a.intersection($1).area } < faceBoxes.reduce(0) { $0 + b.intersection($1).area }
        }!
        let x = panel.x, y = panel.y
        window.fill(Rect(x: x, y: y, width: panelWidth, height: panelHeight), Color(0, 0, 0, 170))
        for (i, (name, p)) in zip(classNames, e.scores).enumerated() {
            let rowY = y + 4 + i * rowHeight
            let highlight = name == e.label
            window.text(
                name, font: small, x: x + 6, y: rowY, color: highlight ? Color(255, 255, 255) : Color(200, 200, 200))
            let barX = x + 10 + nameWidth
            window.fill(Rect(x: barX, y: rowY + 3, width: barWidth, height: rowHeight - 6), Color(255, 255, 255, 40))
            window.fill(
                Rect(x: barX, y: rowY + 3, width: max(1, Int(Float(barWidth) * p)), height: rowHeight - 6),
                Self.color(for: name))
            window.text(
                "\(Int((p * 100).rounded()))", font: small, x: barX + barWidth + 6, y: rowY, color: Color(220, 220, 220)
            )
        }
    }

    func drawHUD(_ hud: HeadsUp) {
        var lines = ["\(hud.source)  \(JSONLines.number(hud.framesPerSecond, decimals: 1)) fps"]
        let stages = hud.milliseconds.map { "\($0.stage) \(JSONLines.number($0.value, decimals: 1))" }.joined(
            separator: "  ")
        if !stages.isEmpty { lines.append(stages + " ms" + (hud.dropped > 0 ? "  dropped \(hud.dropped)" : "")) }
        if let recording = hud.recording { lines.append("● REC \(recording)") }
        if let status = hud.status { lines.append(status) }
        lines.append("h: help")
        let width = (lines.map { small.width(of: $0) }.max() ?? 0) + 16
        let rowHeight = small.lineHeight
        window.fill(Rect(x: 8, y: 8, width: width, height: rowHeight * lines.count + 10), Color(0, 0, 0, 150))
        for (i, line) in lines.enumerated() {
            let color = line.hasPrefix("●") ? Color(255, 80, 80) : Color(235, 235, 235)
            window.text(line, font: small, x: 16, y: 13 + i * rowHeight, color: color)
        }
    }

    func drawHelp(width: Int, height: Int) {
        let rowHeight = label.lineHeight + 4
        let keys = KeyBinding.all
        let keyWidth = keys.map { label.width(of: $0.label) }.max() ?? 0
        let panelWidth = keyWidth + (keys.map { label.width(of: $0.help) }.max() ?? 0) + 60
        let panelHeight = rowHeight * (keys.count + 1) + 20
        let x = (width - panelWidth) / 2, y = (height - panelHeight) / 2
        window.fill(Rect(x: x, y: y, width: panelWidth, height: panelHeight), Color(0, 0, 0, 200))
        window.text("Keys", font: label, x: x + 20, y: y + 10, color: Color(255, 200, 40))
        for (i, binding) in keys.enumerated() {
            let rowY = y + 10 + (i + 1) * rowHeight
            window.text(binding.label, font: label, x: x + 20, y: rowY, color: Color(255, 255, 255))
            window.text(binding.help, font: label, x: x + 40 + keyWidth, y: rowY, color: Color(210, 210, 210))
        }
    }
}
