import Frames
import Pipeline
import SDLKit

/// A reliability diagram: per confidence bin, the accuracy the model reached (bars) and its mean confidence
/// (ticks) against the diagonal a calibrated model follows, with the faces per bin underneath.
public enum ReliabilityDiagram {
    public static func render(
        _ calibration: Calibration, title: String, width: Int = 720, height: Int = 600
    ) throws(SDLError) -> RGBImage {
        let canvas = try Canvas(width: width, height: height)
        let titleFont = try Font(path: Font.boldPath, size: 17)
        let font = try Font(path: Font.regularPath, size: 13)
        canvas.clear(ChartStyle.background)

        let plot = Rect(x: 80, y: 56, width: width - 110, height: height - 56 - 150)
        let histogram = Rect(x: plot.x, y: plot.y + plot.height + 40, width: plot.width, height: 60)
        canvas.text(title, font: titleFont, x: 20, y: 14, color: ChartStyle.ink)

        // Axes and grid, 0..1 on both.
        for step in 0...5 {
            let v = Double(step) / 5
            let y = plot.y + plot.height - Int(v * Double(plot.height))
            let x = plot.x + Int(v * Double(plot.width))
            canvas.line(from: (plot.x, y), to: (plot.x + plot.width, y), ChartStyle.grid)
            canvas.text(
                decimalText(v, decimals: 1, minimumDecimals: 1), font: font, x: plot.x - 34, y: y - 8,
                color: ChartStyle.muted)
            canvas.text(
                decimalText(v, decimals: 1, minimumDecimals: 1), font: font, x: x - 10, y: plot.y + plot.height + 6,
                color: ChartStyle.muted)
        }
        canvas.text("accuracy", font: font, x: 14, y: plot.y - 26, color: ChartStyle.ink)
        canvas.text(
            "confidence (the score fercam reports)", font: font, x: plot.x + plot.width / 2 - 120,
            y: plot.y + plot.height + 22, color: ChartStyle.ink)

        let n = calibration.bins.count
        let binWidth = Double(plot.width) / Double(n)
        let largest = max(1, calibration.bins.map(\.count).max() ?? 1)
        for (i, bin) in calibration.bins.enumerated() where bin.count > 0 {
            let x0 = plot.x + Int(Double(i) * binWidth) + 1
            let w = max(1, Int(binWidth) - 2)
            let barHeight = Int(bin.accuracy * Double(plot.height))
            canvas.fill(Rect(x: x0, y: plot.y + plot.height - barHeight, width: w, height: barHeight), ChartStyle.bar)
            // The bin's mean confidence as a tick; where it is above the bar, the gap is filled in red.
            let confidenceHeight = Int(bin.meanConfidence * Double(plot.height))
            if confidenceHeight > barHeight {
                canvas.fill(
                    Rect(
                        x: x0, y: plot.y + plot.height - confidenceHeight, width: w,
                        height: confidenceHeight - barHeight), ChartStyle.over)
            }
            canvas.fill(
                Rect(x: x0, y: plot.y + plot.height - confidenceHeight - 1, width: w, height: 3), ChartStyle.ink)
            let share = Int(Double(bin.count) / Double(largest) * Double(histogram.height))
            canvas.fill(
                Rect(x: x0, y: histogram.y + histogram.height - share, width: w, height: share), ChartStyle.muted)
        }
        canvas.line(from: (plot.x, plot.y + plot.height), to: (plot.x + plot.width, plot.y), ChartStyle.ink)
        canvas.outline(plot, ChartStyle.ink, thickness: 1)
        canvas.text("faces per bin", font: font, x: 14, y: histogram.y + 20, color: ChartStyle.muted)

        let ece = decimalText(calibration.expectedError, decimals: 3, minimumDecimals: 3)
        let summary = "ECE \(ece) over \(calibration.count) faces"
        canvas.text(summary, font: titleFont, x: plot.x + 12, y: plot.y + 10, color: ChartStyle.ink)
        let legend: [(Color, Int, String)] = [
            (ChartStyle.bar, 12, "accuracy in the bin"), (ChartStyle.ink, 3, "mean confidence in the bin"),
            (ChartStyle.over, 12, "over-confidence gap"),
        ]
        for (i, (color, thickness, text)) in legend.enumerated() {
            let y = plot.y + 40 + 20 * i
            canvas.fill(Rect(x: plot.x + 14, y: y + 6 - thickness / 2, width: 16, height: thickness), color)
            canvas.text(text, font: font, x: plot.x + 36, y: y - 3, color: ChartStyle.ink)
        }
        return try canvas.readPixels()
    }
}
