import Charts
import ExpressionModel
import Frames
import Pipeline
import SDLKit

/// What the overlay shows; toggled by keys.
public struct OverlayOptions: Sendable, Equatable {
    public var attention = true
    public var bars = true
    public var help = false
    /// BlazeFace's six keypoints as dots (eyes, nose tip, mouth, ears); Haar gives none.
    public var keypoints = true
    /// The track whose class bars are shown (Tab or a click chooses it); nil: the largest face.
    public var selectedTrack: Int?

    public init(attention: Bool = true, bars: Bool = true, help: Bool = false, selectedTrack: Int? = nil) {
        self.attention = attention
        self.bars = bars
        self.help = help
        self.selectedTrack = selectedTrack
    }
}

/// Where the overlay put things in one frame.
public struct OverlayPlan: Sendable {
    public struct Placement: Sendable {
        public var box: Rect
        public var trackID: Int?
        /// The face's label and its class-bar panel; nil where there was no room (or no panel for this face).
        public var label: Rect?
        public var panel: Rect?
    }

    public var hud: Rect
    public var faces: [Placement]
    /// Index of the face whose bars are shown.
    public var selected: Int?
}

/// The status lines in the corner.
public struct HeadsUp: Sendable {
    public var source: String
    public var framesPerSecond: Double
    public var milliseconds: [(stage: String, value: Double)]
    public var dropped: Int
    public var recording: String?
    public var status: String?
    /// The "h: help" line: in the window, not in rendered video.
    public var showsKeys: Bool
    /// The model and its arithmetic ("resnet-cbam bf16"), shown after the frame rate.
    public var model: String?

    public init(
        source: String, framesPerSecond: Double = 0, milliseconds: [(stage: String, value: Double)] = [],
        dropped: Int = 0, recording: String? = nil, status: String? = nil, showsKeys: Bool = true,
        model: String? = nil
    ) {
        self.showsKeys = showsKeys
        self.model = model
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

    /// The window, or an offscreen canvas (rendered video, tests).
    let target: Renderer
    let label: Font
    let small: Font
    let cropping: FaceCropping

    public init(target: Renderer, cropping: FaceCropping) throws(SDLError) {
        self.target = target
        self.cropping = cropping
        label = try Font(path: Font.boldPath, size: 17)
        small = try Font(path: Font.regularPath, size: 12)
    }

    /// Color per expression (the one palette of window, video and charts).
    public static func color(for label: String) -> Color { ExpressionPalette.color(for: label) }

    /// Draws everything and returns where labels and panels went (nothing overlaps a face, the HUD or each other).
    @discardableResult
    public func draw(
        frame: YUVFrame, analysis: FrameAnalysis?, options: OverlayOptions, hud: HeadsUp
    ) throws(SDLError)
        -> OverlayPlan
    {
        target.setLogicalSize(width: frame.width, height: frame.height)
        target.clear(Color(0, 0, 0))
        try target.drawVideo(frame)
        let hudLines = self.hudLines(hud)
        var plan = OverlayPlan(
            hud: hudRect(hudLines, width: frame.width, height: frame.height, faces: analysis?.faces.map(\.box) ?? []),
            faces: [], selected: nil)
        if let analysis {
            if options.attention {
                for face in analysis.faces {
                    if let e = face.expression {
                        // A spatial transformer's view is its sampled area and the face it resampled; every
                        // other model's is its heat map.
                        if let outline = e.output.samplingOutline {
                            drawOutline(outline, box: face.box)
                            if let seen = e.output.resampledFace { drawInset(seen, box: face.box) }
                        } else {
                            drawAttention(e.output.attention, box: face.box)
                        }
                    }
                }
            }
            plan.faces = analysis.faces.map { OverlayPlan.Placement(box: $0.box, trackID: $0.track?.id) }
            plan.selected = Self.selectedFace(analysis.faces, trackID: options.selectedTrack)
            var layout = OverlayLayout(
                width: frame.width, height: frame.height, faces: analysis.faces.map(\.box), hud: plan.hud)
            for (i, face) in analysis.faces.enumerated() { drawBox(face, selected: i == plan.selected) }
            if options.keypoints { for face in analysis.faces { drawKeypoints(face) } }
            // The selected face is placed first, then the others from the largest down.
            let order = analysis.faces.indices.sorted { a, b in
                (a == plan.selected ? 1 : 0, analysis.faces[a].box.area, -a)
                    > (b == plan.selected ? 1 : 0, analysis.faces[b].box.area, -b)
            }
            for i in order {
                let face = analysis.faces[i]
                let shown = face.shown(classNames: analysis.classNames)
                plan.faces[i].label = placeLabel(face, shown: shown, large: i == plan.selected, layout: &layout)
                if i == plan.selected, options.bars, let shown {
                    plan.faces[i].panel = placePanel(
                        face, shown: shown, classNames: analysis.classNames, layout: &layout)
                }
            }
        }
        drawHUD(hudLines, in: plan.hud)
        if options.help { drawHelp(width: frame.width, height: frame.height) }
        return plan
    }

    /// The face whose bars are shown: the chosen track while it is in view; else, among the large faces (at
    /// least half the largest's side), the one tracked longest, so that a one-frame false positive, however
    /// large, does not take the panel from a face that has been there (then the larger; untracked: the largest).
    public static func selectedFace(_ faces: [DetectedFace], trackID: Int?) -> Int? {
        if let trackID, let i = faces.firstIndex(where: { $0.track?.id == trackID }) { return i }
        let largest = faces.map(\.box.area).max() ?? 0
        return faces.indices.filter { 4 * faces[$0].box.area >= largest }.max {
            (faces[$0].track?.age ?? 0, faces[$0].box.area, -$0) < (faces[$1].track?.age ?? 0, faces[$1].box.area, -$1)
        }
    }

    /// Tab: the track after the selected face's, by id, wrapping round; nil without tracks.
    public static func nextTrack(in faces: [DetectedFace], after selectedTrack: Int?) -> Int? {
        let ids = faces.compactMap { $0.track?.id }.sorted()
        guard !ids.isEmpty else { return nil }
        let current = selectedFace(faces, trackID: selectedTrack).flatMap { faces[$0].track?.id }
        return ids.first { $0 > (current ?? Int.max) } ?? ids[0]
    }

    /// A click: the track of the face under the point, if any.
    public static func track(at point: (x: Int, y: Int), in faces: [DetectedFace]) -> Int? {
        faces.first { f in
            (f.box.x..<(f.box.x + f.box.width)).contains(point.x)
                && (f.box.y..<(f.box.y + f.box.height)).contains(point.y)
        }?.track?.id
    }

    /// A track's colour, the same for as long as it lives (ten that stay apart, then they repeat).
    public static func color(forTrack id: Int) -> Color {
        let palette = [
            Color(0, 220, 255), Color(255, 110, 200), Color(120, 230, 80), Color(255, 160, 60), Color(170, 140, 255),
            Color(255, 240, 90), Color(60, 200, 170), Color(255, 90, 90), Color(150, 200, 255), Color(220, 180, 120),
        ]
        let n = palette.count
        return palette[((id - 1) % n + n) % n]
    }

    /// The box in the track's colour (the expression's for untracked faces), thicker when selected.
    func drawBox(_ face: DetectedFace, selected: Bool) {
        let box = face.box
        let tint =
            face.track.map { Self.color(forTrack: $0.id) }
            ?? face.expression.map { Self.color(for: $0.label) } ?? Color(0, 220, 255)
        target.outline(box, Color(0, 0, 0, 160), thickness: 5)
        target.outline(
            Rect(x: box.x + 1, y: box.y + 1, width: box.width - 2, height: box.height - 2), tint,
            thickness: selected && face.track != nil ? 4 : 3)
    }

    /// Each keypoint as a dot with a dark rim, scaled with the face: eyes yellow, nose and mouth white, ears cyan.
    func drawKeypoints(_ face: DetectedFace) {
        let radius = max(2, face.box.width / 40)
        let colours = [
            Color(255, 220, 0), Color(255, 220, 0), Color(255, 255, 255), Color(255, 255, 255), Color(0, 220, 255),
            Color(0, 220, 255),
        ]
        for (i, point) in face.keypoints.enumerated() {
            let (x, y) = (Int(point.x.rounded()), Int(point.y.rounded()))
            target.fill(
                Rect(x: x - radius - 1, y: y - radius - 1, width: 2 * radius + 2, height: 2 * radius + 2),
                Color(0, 0, 0, 200))
            target.fill(
                Rect(x: x - radius, y: y - radius, width: 2 * radius, height: 2 * radius), colours[i % colours.count])
        }
    }

    /// The label: the track id on the track's colour, then the expression on its own colour ("happy 81%";
    /// "happy? 41%" when uncertain). Small and without the score for faces other than the selected one, and
    /// just the id where even that does not fit.
    func placeLabel(_ face: DetectedFace, shown: ShownExpression?, large: Bool, layout: inout OverlayLayout) -> Rect? {
        let font = large ? label : small
        let pad = large ? 6 : 4, height = font.lineHeight + (large ? 4 : 2)
        let id = face.track.map { String($0.id) }
        let text = shown.map { s in
            s.label + (s.uncertain ? "?" : "") + (large ? " \(Int((s.score * 100).rounded()))%" : "")
        }
        let idWidth = id.map { font.width(of: $0) + 2 * pad } ?? 0
        let textWidth = text.map { font.width(of: $0) + 2 * pad } ?? 0
        var options = [(idWidth + textWidth, true)]
        if id != nil && text != nil { options.append((idWidth, false)) }
        for (width, withText) in options where width > 0 {
            guard
                let place = layout.claim(
                    OverlayLayout.labelCandidates(for: face.box, width: width, height: height))
            else { continue }
            var x = place.x
            if let id, let track = face.track {
                let tint = Self.color(forTrack: track.id)
                target.fill(Rect(x: x, y: place.y, width: idWidth, height: height), tint)
                target.text(id, font: font, x: x + pad, y: place.y + (large ? 2 : 1), color: Self.textColor(on: tint))
                x += idWidth
            }
            if withText, let text, let shown {
                let tint = shown.uncertain ? Color(120, 120, 120) : Self.color(for: shown.label)
                target.fill(Rect(x: x, y: place.y, width: textWidth, height: height), tint)
                target.text(text, font: font, x: x + pad, y: place.y + (large ? 2 : 1), color: Self.textColor(on: tint))
            }
            return place
        }
        return nil
    }

    /// Per-class bars of the selected face: the shown (smoothed) probability as the bar, this frame's raw one as
    /// a white tick; a header with the track id when there is one.
    func placePanel(
        _ face: DetectedFace, shown: ShownExpression, classNames: [String], layout: inout OverlayLayout
    )
        -> Rect?
    {
        let rowHeight = small.lineHeight + 2
        let nameWidth = classNames.map { small.width(of: $0) }.max() ?? 50
        let barWidth = 90
        let header = face.track.map { "face \($0.id)" + (shown.uncertain ? "  uncertain" : "") }
        let width = nameWidth + barWidth + 52
        let height = rowHeight * (classNames.count + (header == nil ? 0 : 1)) + 8
        guard let panel = layout.claim(layout.panelCandidates(for: face.box, width: width, height: height)) else {
            return nil
        }
        target.fill(panel, Color(0, 0, 0, 170))
        var rowY = panel.y + 4
        if let header, let track = face.track {
            let tint = Self.color(forTrack: track.id)
            target.fill(Rect(x: panel.x, y: panel.y, width: 4, height: panel.height), tint)
            target.text(header, font: small, x: panel.x + 10, y: rowY, color: tint)
            rowY += rowHeight
        }
        let raw = face.expression?.scores
        for (i, (name, p)) in zip(classNames, shown.scores).enumerated() {
            let highlight = name == shown.label
            target.text(
                name, font: small, x: panel.x + 10, y: rowY,
                color: highlight ? Color(255, 255, 255) : Color(200, 200, 200))
            let barX = panel.x + 14 + nameWidth
            target.fill(Rect(x: barX, y: rowY + 3, width: barWidth, height: rowHeight - 6), Color(255, 255, 255, 40))
            target.fill(
                Rect(x: barX, y: rowY + 3, width: max(1, Int(Float(barWidth) * p)), height: rowHeight - 6),
                Self.color(for: name))
            if let raw, face.track != nil, raw.indices.contains(i) {
                let tick = barX + min(barWidth - 1, Int(Float(barWidth) * raw[i]))
                target.fill(Rect(x: tick, y: rowY + 1, width: 2, height: rowHeight - 2), Color(255, 255, 255))
            }
            target.text(
                "\(Int((p * 100).rounded()))", font: small, x: barX + barWidth + 6, y: rowY, color: Color(220, 220, 220)
            )
            rowY += rowHeight
        }
        return panel
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
        target.drawRGBA(
            rgba, width: map.width, height: map.height,
            over: Rect(
                x: Int(x.rounded()), y: Int(y.rounded()), width: Int(side.rounded()), height: Int(side.rounded())))
    }

    /// The spatial transformer's sampled area (deep-emotion): a white quadrilateral, two pixels wide, over
    /// the crop the model saw.
    func drawOutline(_ corners: [SIMD2<Float>], box: Rect) {
        let (x, y, side) = cropping.region(for: box)
        let points = corners.map { corner -> (x: Int, y: Int) in
            let px: Float = Float(x) + corner.x * Float(side), py: Float = Float(y) + corner.y * Float(side)
            return (Int(px.rounded()), Int(py.rounded()))
        }
        for (i, a) in points.enumerated() {
            let b = points[(i + 1) % points.count]
            target.line(from: a, to: b, Color(255, 255, 255))
            target.line(from: (a.x + 1, a.y + 1), to: (b.x + 1, b.y + 1), Color(255, 255, 255))
        }
    }

    /// What the classifier saw, in the box's bottom-right corner (a third of the box, at least 48 pixels),
    /// framed in white.
    func drawInset(_ face: GrayImage, box: Rect) {
        let side = max(48, box.width / 3)
        let frame = Rect(x: box.x + box.width - side - 2, y: box.y + box.height - side - 2, width: side, height: side)
        target.fill(Rect(x: frame.x - 2, y: frame.y - 2, width: side + 4, height: side + 4), Color(255, 255, 255))
        var rgba = [UInt8](repeating: 255, count: face.pixels.count * 4)
        for (i, v) in face.pixels.enumerated() { rgba[4 * i] = v; rgba[4 * i + 1] = v; rgba[4 * i + 2] = v }
        target.drawRGBA(rgba, width: face.width, height: face.height, over: frame)
    }

    /// Black on light tints, white on dark ones.
    static func textColor(on tint: Color) -> Color {
        let luma = 0.299 * Double(tint.r) + 0.587 * Double(tint.g) + 0.114 * Double(tint.b)
        return luma > 140 ? Color(15, 15, 15) : Color(255, 255, 255)
    }

    /// A blue-cyan-yellow-red ramp.
    static func heat(_ t: Float) -> Color {
        let stops: [(Float, Float, Float)] = [(0, 0, 255), (0, 220, 255), (255, 230, 0), (255, 30, 0)]
        let scaled = (t.isFinite ? min(max(t, 0), 1) : 0) * Float(stops.count - 1)
        let i = min(Int(scaled), stops.count - 2), f = scaled - Float(i)
        let a = stops[i], b = stops[i + 1]
        return Color(UInt8(a.0 + (b.0 - a.0) * f), UInt8(a.1 + (b.1 - a.1) * f), UInt8(a.2 + (b.2 - a.2) * f))
    }

    func hudLines(_ hud: HeadsUp) -> [String] {
        var lines = [
            "\(hud.source)  \(JSONLines.number(hud.framesPerSecond, decimals: 1)) fps"
                + (hud.model.map { "  \($0)" } ?? "")
        ]
        let stages = hud.milliseconds.map { "\($0.stage) \(JSONLines.number($0.value, decimals: 1))" }.joined(
            separator: "  ")
        if !stages.isEmpty { lines.append(stages + " ms" + (hud.dropped > 0 ? "  dropped \(hud.dropped)" : "")) }
        if let recording = hud.recording { lines.append("● REC \(recording)") }
        if let status = hud.status { lines.append(status) }
        if hud.showsKeys { lines.append("h: help") }
        return lines
    }

    /// The top-left corner, or the first other corner that covers no face (top-left again if every one does).
    func hudRect(_ lines: [String], width: Int, height: Int, faces: [Rect]) -> Rect {
        let w = (lines.map { small.width(of: $0) }.max() ?? 0) + 16, h = small.lineHeight * lines.count + 10
        let corners = [
            Rect(x: 8, y: 8, width: w, height: h), Rect(x: width - w - 8, y: 8, width: w, height: h),
            Rect(x: 8, y: height - h - 8, width: w, height: h),
            Rect(x: width - w - 8, y: height - h - 8, width: w, height: h),
        ]
        return corners.first { c in !faces.contains { !$0.intersection(c).isEmpty } } ?? corners[0]
    }

    func drawHUD(_ lines: [String], in rect: Rect) {
        target.fill(rect, Color(0, 0, 0, 150))
        for (i, line) in lines.enumerated() {
            let color = line.hasPrefix("●") ? Color(255, 80, 80) : Color(235, 235, 235)
            target.text(line, font: small, x: rect.x + 8, y: rect.y + 5 + i * small.lineHeight, color: color)
        }
    }

    func drawHelp(width: Int, height: Int) {
        let rowHeight = label.lineHeight + 4
        let keys = KeyBinding.all.filter { !$0.label.isEmpty }  // a pair of keys shares one row
        let keyWidth = keys.map { label.width(of: $0.label) }.max() ?? 0
        let panelWidth = keyWidth + (keys.map { label.width(of: $0.help) }.max() ?? 0) + 60
        let panelHeight = rowHeight * (keys.count + 1) + 20
        let x = (width - panelWidth) / 2, y = (height - panelHeight) / 2
        target.fill(Rect(x: x, y: y, width: panelWidth, height: panelHeight), Color(0, 0, 0, 200))
        target.text("Keys", font: label, x: x + 20, y: y + 10, color: Color(255, 200, 40))
        for (i, binding) in keys.enumerated() {
            let rowY = y + 10 + (i + 1) * rowHeight
            target.text(binding.label, font: label, x: x + 20, y: rowY, color: Color(255, 255, 255))
            target.text(binding.help, font: label, x: x + 40 + keyWidth, y: rowY, color: Color(210, 210, 210))
        }
    }
}
