/// Bilinear resize with the fixed-point arithmetic of OpenCV's `INTER_LINEAR_EXACT`:
/// 8-bit fractional weights per axis, exact 16-bit intermediate rows, one rounding at the end.
/// The Haar detector's pyramid must match OpenCV's to the bit, which the float variant does not.
public enum ExactBilinear {
    struct Taps {
        var offsets: [Int32]
        var weights: [UInt32]  // weight of offsets[i] + 1, in 1/256; the weight of offsets[i] is 256 - it
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

    /// Produces the resized image one row at a time, so that a caller can consume rows without
    /// holding the whole image.
    ///
    /// No intermediate is rounded, so the result is the same whichever axis goes first. Blending
    /// the two source rows first runs on whole rows of contiguous pixels (vectorised), and leaves
    /// one irregular, gathering pass per destination row instead of one per source row used.
    public struct RowSampler {
        public let source: GrayImage
        public let width: Int
        public let height: Int
        private let ys: Taps
        /// Per destination column: its first source column << 9 | the second column's weight (at most 256).
        private let columnTaps: [UInt32]
        /// The vertical blend of the current source rows (at most 255 * 256, exact in 16 bits), plus one
        /// padding entry: the last column's second tap has weight 0 but is read with the first.
        private var blend: [UInt16]

        public init(_ source: GrayImage, width: Int, height: Int) {
            self.source = source
            self.width = width
            self.height = height
            let xs = ExactBilinear.taps(source: source.width, destination: width)
            ys = ExactBilinear.taps(source: source.height, destination: height)
            columnTaps = zip(xs.offsets, xs.weights).map { UInt32($0) << 9 | $1 }
            blend = [UInt16](repeating: 0, count: source.width + 1)
        }

        /// Writes row `dy` (`width` pixels) to `destination`.
        public mutating func row(_ dy: Int, into destination: UnsafeMutablePointer<UInt8>) {
            let top = Int(ys.offsets[dy]), bottom = Swift.min(top + 1, source.height - 1)
            let lower = UInt16(ys.weights[dy]), upper = 256 - lower
            let sourceWidth = source.width, width = self.width
            // Wrapping arithmetic on raw pointers: every value is bounded as noted, and the checked
            // forms cost the detector's pyramid about a sixth of its time.
            source.pixels.withUnsafeBufferPointer { src in
                blend.withUnsafeMutableBufferPointer { blend in
                    columnTaps.withUnsafeBufferPointer { taps in
                        let rowA = src.baseAddress! + top * sourceWidth, rowB = src.baseAddress! + bottom * sourceWidth
                        let v = blend.baseAddress!
                        for x in 0..<sourceWidth { v[x] = UInt16(rowA[x]) &* upper &+ UInt16(rowB[x]) &* lower }
                        // Every offset lies in 0..<source.width (see `taps`), so both taps load as one 32-bit word
                        // (little-endian: the first in the low half). The sum stays below 2^24.
                        let pairs = UnsafeRawPointer(v)
                        for dx in 0..<width {
                            let tap = taps[dx], w1 = tap & 511
                            let both = pairs.loadUnaligned(fromByteOffset: Int(tap >> 9) * 2, as: UInt32.self)
                            let sum = (both & 0xFFFF) &* (256 &- w1) &+ (both >> 16) &* w1
                            destination[dx] = UInt8(truncatingIfNeeded: (sum &+ 32768) >> 16)
                        }
                    }
                }
            }
        }
    }
}
