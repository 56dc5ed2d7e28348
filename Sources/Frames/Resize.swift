/// Bilinear resize with the fixed-point arithmetic of OpenCV's `INTER_LINEAR_EXACT`:
/// 8-bit fractional weights per axis, exact 16-bit intermediate rows, one rounding at the end.
/// The Haar detector's pyramid must match OpenCV's to the bit, which the float variant does not.
public enum ExactBilinear {
    struct Taps {
        var offsets: [Int32]
        var weights: [UInt32] // weight of offsets[i] + 1, in 1/256; the weight of offsets[i] is 256 - it
    }

    static func taps(source: Int, destination: Int) -> Taps {
        let scale = 1.0 / (Double(destination) / Double(source))
        var offsets = [Int32](repeating: 0, count: destination)
        var weights = [UInt32](repeating: 0, count: destination)
        for d in 0..<destination {
            let f = scale * (Double(d) + 0.5) - 0.5
            let i = Int(f.rounded(.down))
            if i >= 0 && source > 1 && i < source - 1 {
                offsets[d] = Int32(i)
                weights[d] = UInt32(((f - Double(i)) * 256).rounded(.toNearestOrEven))
            } else {
                offsets[d] = Int32(i < 0 || source <= 1 ? 0 : source - 1)
                weights[d] = 0
            }
        }
        return Taps(offsets: offsets, weights: weights)
    }

    public static func resize(_ image: GrayImage, width: Int, height: Int) -> GrayImage {
        if width == image.width && height == image.height { return image }
        var sampler = RowSampler(image, width: width, height: height)
        var out = [UInt8](repeating: 0, count: width * height)
        out.withUnsafeMutableBufferPointer { dst in
            for dy in 0..<height { sampler.row(dy, into: dst.baseAddress! + dy * width) }
        }
        return GrayImage(width: width, height: height, pixels: out)
    }

    /// Produces the resized image one row at a time, keeping only two horizontally resampled
    /// source rows, so that a caller can consume rows without holding the whole image.
    public struct RowSampler {
        public let source: GrayImage
        public let width: Int
        public let height: Int
        private let xs: Taps
        private let ys: Taps
        /// Horizontal pass in 8.8 fixed point for two source rows, and which rows they hold.
        private var cache: [UInt32]
        private var cachedRows = (-1, -1)

        public init(_ source: GrayImage, width: Int, height: Int) {
            self.source = source
            self.width = width
            self.height = height
            xs = ExactBilinear.taps(source: source.width, destination: width)
            ys = ExactBilinear.taps(source: source.height, destination: height)
            cache = [UInt32](repeating: 0, count: 2 * width)
        }

        /// Writes row `dy` (`width` pixels) to `destination`. Rows are cheapest in increasing order.
        public mutating func row(_ dy: Int, into destination: UnsafeMutablePointer<UInt8>) {
            let o = Int(ys.offsets[dy]), w1 = ys.weights[dy]
            let r0 = horizontal(o)
            // Wrapping arithmetic and pointers: the values stay below 2^24 by construction, and the
            // checked forms cost the detector's pyramid about a sixth of its time.
            if w1 == 0 {
                cache.withUnsafeBufferPointer { tmp in
                    let row0 = tmp.baseAddress! + r0
                    for dx in 0..<width { destination[dx] = UInt8(truncatingIfNeeded: (row0[dx] &* 256 &+ 32768) >> 16) }
                }
                return
            }
            let r1 = horizontal(Swift.min(o + 1, source.height - 1), keeping: r0)
            let w0 = 256 - w1
            cache.withUnsafeBufferPointer { tmp in
                let row0 = tmp.baseAddress! + r0, row1 = tmp.baseAddress! + r1
                for dx in 0..<width { destination[dx] = UInt8(truncatingIfNeeded: (row0[dx] &* w0 &+ row1[dx] &* w1 &+ 32768) >> 16) }
            }
        }

        /// Start of source row `sy`'s horizontal pass in `cache`, computing it if it is not held,
        /// without overwriting the row that starts at `keeping`.
        private mutating func horizontal(_ sy: Int, keeping: Int? = nil) -> Int {
            if cachedRows.0 == sy { return 0 }
            if cachedRows.1 == sy { return width }
            // Replace the lower row (rows usually move forward), unless it must be kept.
            let slot = keeping.map { $0 == 0 ? 1 : 0 } ?? (cachedRows.0 < cachedRows.1 ? 0 : 1)
            if slot == 0 { cachedRows.0 = sy } else { cachedRows.1 = sy }
            let start = slot * width, lastColumn = source.width - 1, s = sy * source.width
            let width = self.width, xs = self.xs
            source.pixels.withUnsafeBufferPointer { src in
            cache.withUnsafeMutableBufferPointer { tmp in
            xs.offsets.withUnsafeBufferPointer { offsets in
            xs.weights.withUnsafeBufferPointer { weights in
                // Every offset lies in 0..<source.width (see `taps`).
                let row = src.baseAddress! + s, out = tmp.baseAddress! + start
                for dx in 0..<width {
                    let o = Int(offsets[dx]), w1 = weights[dx]
                    let a = UInt32(row[o]), b = UInt32(row[Swift.min(o + 1, lastColumn)])
                    out[dx] = a &* (256 &- w1) &+ b &* w1
                }
            }}}}
            return start
        }
    }
}
