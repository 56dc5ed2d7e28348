import Frames
import Pipeline
import SDLKit

/// `fercam report`: per face, the probability of each expression over the run as lines, and under them
/// the label fercam showed as a colored band (pale where it was marked uncertain). Every panel shares
/// one time axis, so faces line up in time. Long runs are averaged per pixel column.
public enum EmotionTimeline {
    /// The most faces drawn; the rest are in the summary.
    public static let maximumPanels = 6

    public static func render(_ run: RunTimelines, title: String, width: Int = 1200) throws(SDLError) -> RGBImage {
        let panels = Array(
            run.faces.sorted { ($0.times.count, -$0.id) > ($1.times.count, -$1.id) }
                .prefix(maximumPanels)
        ).sorted { $0.id < $1.id }
        let layout = Layout(width: width, panels: panels.count)
        let canvas = try Canvas(width: width, height: layout.height)
        let titleFont = try Font(path: Font.boldPath, size: 17)
        let font = try Font(path: Font.regularPath, size: 13)
        let small = try Font(path: Font.regularPath, size: 11)
        canvas.clear(ChartStyle.background)

        let start = run.faces.map(\.first).min() ?? 0
        let end = max(run.faces.map(\.last).max() ?? 0, start + run.frameInterval)
        let axis = TimeAxis(start: start, end: end, unit: run.timed ? "s" : "frame")

        canvas.text(title, font: titleFont, x: 20, y: 14, color: ChartStyle.ink)
        let left = run.faces.count - panels.count
        var subtitle =
            run.tracked
            ? "\(run.faces.count) tracked \(run.faces.count == 1 ? "face" : "faces")"
            : "the largest face of each frame (no tracks in this run)"
        subtitle += ", \(run.frames) frames, \(axis.label(end - start)) \(axis.unit)"
        if left > 0 {
            subtitle += "; the \(panels.count) seen longest are drawn, all \(run.faces.count) are in the summary"
        }
        canvas.text(subtitle, font: font, x: 20, y: 38, color: ChartStyle.muted)
        var x = 20
        for name in run.classNames {
            canvas.fill(Rect(x: x, y: 66, width: 18, height: 4), ExpressionPalette.ink(for: name))
            x += 24 + canvas.text(name, font: font, x: x + 24, y: 60, color: ChartStyle.ink).width + 16
        }
        canvas.text(
            "lines: probability of each class · band: the label shown (pale: uncertain)", font: small, x: x + 10,
            y: 62, color: ChartStyle.muted)

        let summaries = Dictionary(uniqueKeysWithValues: run.summaries().map { ($0.id, $0) })
        for (p, face) in panels.enumerated() {
            drawPanel(
                face, summary: summaries[face.id]!, run: run, in: layout.panel(p), axis: axis, canvas: canvas,
                font: font, small: small)
        }
        return try canvas.readPixels()
    }

    struct Layout {
        let width: Int
        let panels: Int
        static let top = 92, panelHeight = 196

        var height: Int { Self.top + max(1, panels) * Self.panelHeight + 10 }

        /// Panel `i`'s plot area (probabilities 0 to 1); its header is above, its band and axis below.
        func panel(_ i: Int) -> Rect {
            Rect(x: 64, y: Self.top + i * Self.panelHeight + 26, width: width - 64 - 24, height: 110)
        }
    }

    /// Seconds (or frame numbers, for stills) to pixels, with round tick steps.
    struct TimeAxis {
        let start: Double, end: Double, unit: String

        func x(_ t: Double, in plot: Rect) -> Int {
            plot.x + checkedInt(((t - start) / (end - start) * Double(plot.width - 1)).rounded())
        }

        var ticks: [Double] {
            let span = end - start
            let step =
                [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map(Double.init)
                .first { span / $0 <= 10 } ?? (span / 10).rounded(.up)
            var t = (start / step).rounded(.up) * step
            var result: [Double] = []
            while t <= end + 1e-9 {
                result.append(t)
                t += step
            }
            return result
        }

        func label(_ t: Double) -> String {
            unit == "s" && t >= 120
                ? "\(checkedInt(t) / 60):\(String(checkedInt(t) % 60).leftPadded(to: 2))"
                : decimalText(t, decimals: t == t.rounded() ? 0 : 1)
        }
    }

    /// One pixel column of a face's panel: the mean of its samples there.
    struct Column {
        var sums: [Double]
        var count = 0
        var shown: [Int]
        var uncertain = 0
        var time = 0.0
    }

    /// One face's panel: header, probability lines, the shown-label band and the time axis.
    static func drawPanel(
        _ face: FaceTimeline, summary: FaceSummary, run: RunTimelines, in plot: Rect, axis: TimeAxis,
        canvas: Canvas, font: Font, small: Font
    ) {
        let columns = self.columns(face, classes: run.classNames.count, plot: plot, axis: axis)
        drawHeader(
            face, summary: summary, run: run, plot: plot, axis: axis, canvas: canvas, font: font, small: small)
        for v in [0.0, 0.5, 1.0] {
            let y = plot.y + plot.height - Int(v * Double(plot.height))
            canvas.line(from: (plot.x, y), to: (plot.x + plot.width - 1, y), ChartStyle.grid)
            canvas.text(
                decimalText(v, decimals: 1, minimumDecimals: 1), font: small, x: plot.x - 28, y: y - 7,
                color: ChartStyle.muted)
        }
        // Columns closer in time than a few frames belong to one stretch on screen; gaps stay empty.
        let present = columns.indices.filter { columns[$0] != nil }
        let segments = zip(present, present.dropFirst()).filter { a, b in
            columns[b]!.time - columns[a]!.time <= 3 * run.frameInterval
        }
        let band = Rect(x: plot.x, y: plot.y + plot.height + 6, width: plot.width, height: 14)
        drawBand(columns, present: present, segments: segments, names: run.classNames, in: band, canvas: canvas)
        drawLines(columns, present: present, segments: segments, names: run.classNames, plot: plot, canvas: canvas)
        drawAxis(axis, plot: plot, below: band, canvas: canvas, small: small)
    }

    /// The face's samples averaged per pixel column of the plot.
    static func columns(_ face: FaceTimeline, classes: Int, plot: Rect, axis: TimeAxis) -> [Column?] {
        var columns = [Column?](repeating: nil, count: plot.width)
        for i in face.times.indices {
            let c = axis.x(face.times[i], in: plot) - plot.x
            guard columns.indices.contains(c) else { continue }
            var column =
                columns[c]
                ?? Column(sums: [Double](repeating: 0, count: classes), shown: [Int](repeating: 0, count: classes))
            for k in 0..<classes { column.sums[k] += Double(face.scores[i][k]) }
            column.count += 1
            column.shown[face.shown[i]] += 1
            if face.uncertain[i] { column.uncertain += 1 }
            column.time = face.times[i]
            columns[c] = column
        }
        return columns
    }

    /// "face 3  0-3.4 s, 86 frames; mostly neutral (100%), uncertain 12% of the time".
    static func drawHeader(
        _ face: FaceTimeline, summary: FaceSummary, run: RunTimelines, plot: Rect, axis: TimeAxis, canvas: Canvas,
        font: Font, small: Font
    ) {
        let top = summary.shares.indices.max { summary.shares[$0] < summary.shares[$1] }!
        let name = run.tracked ? "face \(face.id)" : "largest face"
        let seen =
            "\(axis.label(face.first))-\(axis.label(face.last)) \(axis.unit), \(face.times.count) frames; "
            + "mostly \(run.classNames[top]) (\(percent(summary.shares[top])))"
            + (summary.uncertainShare > 0 ? ", uncertain \(percent(summary.uncertainShare)) of the time" : "")
        let headerWidth = canvas.text(name, font: font, x: plot.x, y: plot.y - 22, color: ChartStyle.ink).width
        canvas.text(seen, font: small, x: plot.x + headerWidth + 12, y: plot.y - 20, color: ChartStyle.muted)
    }

    /// Each column's most shown label, held across the columns it joins; pale where mostly uncertain.
    static func drawBand(
        _ columns: [Column?], present: [Int], segments: [(Int, Int)], names: [String], in band: Rect, canvas: Canvas
    ) {
        func color(_ column: Column) -> Color {
            let label = column.shown.indices.max { column.shown[$0] < column.shown[$1] }!
            let color = ExpressionPalette.ink(for: names[label])
            return column.uncertain * 2 > column.count ? Color(color.r, color.g, color.b, 90) : color
        }
        for c in present {
            canvas.fill(Rect(x: band.x + c, y: band.y, width: 1, height: band.height), color(columns[c]!))
        }
        for (a, b) in segments where b - a > 1 {
            canvas.fill(Rect(x: band.x + a + 1, y: band.y, width: b - a - 1, height: band.height), color(columns[a]!))
        }
    }

    /// The probability lines, two pixels thick, neutral first so the others stay on top.
    static func drawLines(
        _ columns: [Column?], present: [Int], segments: [(Int, Int)], names: [String], plot: Rect, canvas: Canvas
    ) {
        let order = names.indices.sorted { (names[$0] == "neutral" ? 0 : 1, $0) < (names[$1] == "neutral" ? 0 : 1, $1) }
        func y(_ column: Column, _ k: Int) -> Int {
            plot.y + plot.height
                - checkedInt((column.sums[k] / Double(column.count) * Double(plot.height - 1)).rounded())
        }
        let joined = Set(segments.flatMap { [$0.0, $0.1] })
        for k in order {
            let color = ExpressionPalette.ink(for: names[k])
            for (a, b) in segments {
                let from = (plot.x + a, y(columns[a]!, k)), to = (plot.x + b, y(columns[b]!, k))
                canvas.line(from: from, to: to, color)
                canvas.line(from: (from.0, from.1 - 1), to: (to.0, to.1 - 1), color)
            }
            // A column on its own (a face seen for one frame) is a short tick.
            for c in present where !joined.contains(c) {
                canvas.fill(Rect(x: plot.x + c - 1, y: y(columns[c]!, k) - 1, width: 3, height: 2), color)
            }
        }
    }

    /// Tick marks and labels under the band, and the unit at the end.
    static func drawAxis(_ axis: TimeAxis, plot: Rect, below band: Rect, canvas: Canvas, small: Font) {
        let top = band.y + band.height
        for t in axis.ticks {
            let x = axis.x(t, in: plot)
            canvas.line(from: (x, top), to: (x, top + 4), ChartStyle.muted)
            let text = axis.label(t)
            canvas.text(text, font: small, x: x - small.width(of: text) / 2, y: top + 5, color: ChartStyle.muted)
        }
        canvas.text(axis.unit, font: small, x: plot.x + plot.width + 4, y: top + 5, color: ChartStyle.muted)
    }
}

func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
