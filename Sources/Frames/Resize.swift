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
        let xs = taps(source: image.width, destination: width)
        let ys = taps(source: image.height, destination: height)
        var out = [UInt8](repeating: 0, count: width * height)
        // Horizontal pass into 8.8 fixed point rows, computed once per source row that is used.
        var rows = [UInt32](repeating: 0, count: width * image.height)
        var rowDone = [Bool](repeating: false, count: image.height)
        let lastColumn = image.width - 1
        image.pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { tmp in
                func horizontal(_ sy: Int) {
                    if rowDone[sy] { return }
                    rowDone[sy] = true
                    let s = sy * image.width
                    for dx in 0..<width {
                        let o = Int(xs.offsets[dx]), w1 = xs.weights[dx]
                        let a = UInt32(src[s + o]), b = UInt32(src[s + min(o + 1, lastColumn)])
                        tmp[sy * width + dx] = a * (256 - w1) + b * w1
                    }
                }
                out.withUnsafeMutableBufferPointer { dst in
                    for dy in 0..<height {
                        let o = Int(ys.offsets[dy]), w1 = ys.weights[dy]
                        let o1 = min(o + 1, image.height - 1)
                        horizontal(o)
                        if w1 != 0 { horizontal(o1) }
                        let r0 = o * width, r1 = o1 * width, d = dy * width
                        if w1 == 0 {
                            for dx in 0..<width { dst[d + dx] = UInt8((tmp[r0 + dx] * 256 + 32768) >> 16) }
                        } else {
                            let w0 = 256 - w1
                            for dx in 0..<width {
                                dst[d + dx] = UInt8((tmp[r0 + dx] * w0 + tmp[r1 + dx] * w1 + 32768) >> 16)
                            }
                        }
                    }
                }
            }
        }
        return GrayImage(width: width, height: height, pixels: out)
    }
}
