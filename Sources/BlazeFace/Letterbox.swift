import Frames

/// The detector's input as MediaPipe makes it: the image centred in a square as wide as its longer side (the rest
/// zero), scaled to `size`, RGB in -1...1.
///
/// MediaPipe's ImageToTensorCalculator samples with OpenCV's `warpPerspective` (INTER_LINEAR, constant zero
/// border) from source point (side / size) x (dx, dy) + origin, with no half-pixel shift, and this reproduces
/// its fixed-point arithmetic: positions rounded to 1/32 pixel, 15-bit weights, one rounding to 8 bits; then
/// value x 2/255 - 1 in Float. Parity with MediaPipe depends on it (Tests/BlazeFaceTests/BlazeFaceParityTests).
public struct Letterbox: Sendable, Equatable {
    public let size: Int
    /// Source pixels per input pixel.
    public let scale: Double
    /// Where the square's corner lies in the source (negative on the shorter side).
    public let originX: Double
    public let originY: Double

    public init(width: Int, height: Int, size: Int) {
        let side = Double(max(width, height))
        self.size = size
        scale = side / Double(size)
        originX = (Double(width) - side) / 2
        originY = (Double(height) - side) / 2
    }

    /// A point in 0-1 of the input square, in source pixels.
    public func sourcePoint(_ u: Double, _ v: Double) -> (x: Double, y: Double) {
        (u * scale * Double(size) + originX, v * scale * Double(size) + originY)
    }

    /// The input map (size x size x 3, NHWC) for `image`.
    public func tensor(_ image: RGBImage) -> [Float] {
        image.pixels.withUnsafeBufferPointer { px in
            tensor(width: image.width, height: image.height) { x, y in
                let p = (y * image.width + x) * 3
                return (px[p], px[p + 1], px[p + 2])
            }
        }
    }

    /// The same from a video frame, converting only the pixels sampled to RGB (as `YUVFrame.rgb()` would).
    public func tensor(_ frame: YUVFrame) -> [Float] {
        frame.bytes.withUnsafeBufferPointer { src in
            tensor(width: frame.width, height: frame.height) { x, y in
                YUVFrame.rgb(src, x: x, y: y, width: frame.width, height: frame.height, subsampling: frame.subsampling)
            }
        }
    }

    func tensor(width w: Int, height h: Int, pixel: (Int, Int) -> (UInt8, UInt8, UInt8)) -> [Float] {
        precondition(w > 0 && h > 0, "an empty image")
        // 1/32-pixel positions of each output column and row, as warpPerspective rounds them (half to even).
        let xs = (0..<size).map { Int(((scale * Double($0) + originX) * 32).rounded(.toNearestOrEven)) }
        let ys = (0..<size).map { Int(((scale * Double($0) + originY) * 32).rounded(.toNearestOrEven)) }
        var out = [Float](repeating: 0, count: size * size * 3)
        let unit = Float(2.0 / 255.0)
        out.withUnsafeMutableBufferPointer { dst in
            for (oy, fixedY) in ys.enumerated() {
                let sy = fixedY >> 5, fy = fixedY & 31
                for (ox, fixedX) in xs.enumerated() {
                    let sx = fixedX >> 5, fx = fixedX & 31
                    // Weights in 1/32768 (the 2x2 taps' 1/32 fractions, times 32); a tap outside the image reads
                    // zero (BORDER_CONSTANT).
                    var sums = (0, 0, 0)
                    for dy in 0...1 {
                        let y = sy + dy, wy = dy == 0 ? 32 - fy : fy
                        guard wy > 0, y >= 0, y < h else { continue }
                        for dx in 0...1 {
                            let x = sx + dx, weight = (dx == 0 ? 32 - fx : fx) * wy * 32
                            guard weight > 0, x >= 0, x < w else { continue }
                            let (r, g, b) = pixel(x, y)
                            sums.0 += Int(r) * weight
                            sums.1 += Int(g) * weight
                            sums.2 += Int(b) * weight
                        }
                    }
                    let o = (oy * size + ox) * 3
                    dst[o] = Float(min(255, (sums.0 + (1 << 14)) >> 15)) * unit - 1
                    dst[o + 1] = Float(min(255, (sums.1 + (1 << 14)) >> 15)) * unit - 1
                    dst[o + 2] = Float(min(255, (sums.2 + (1 << 14)) >> 15)) * unit - 1
                }
            }
        }
        return out
    }
}
