import Foundation
import Frames

/// A detector box and the angle its crop is turned by (radians, clockwise on screen; 0: upright).
public struct FaceRegion: Sendable, Equatable {
    public var box: Rect
    public var angle: Double

    public init(box: Rect, angle: Double = 0) { (self.box, self.angle) = (box, angle) }
}

/// How a detector box becomes a model input: a square around the box, widened by
/// `margin` of the box size on each side (narrowed when negative), area-resampled to the input size.
///
/// A model file states the margin it was chosen at (metadata `margin`; the default model: 0, the box itself, chosen
/// on the posed photographs and RAF-DB's and ExpW's held-out faces together, docs/expression-model.md). Files
/// without one, the seed systems trained on FER2013's framing alone, get -0.15, chosen for them on the posed
/// photographs: tighter crops than the box were 13 points better than the old 0.1.
public struct FaceCropping: Sendable, Equatable {
    public var margin: Double

    /// The margins `--margin` and model files may ask for: tighter than -0.25 cuts into the features, wider
    /// than 1 is mostly background.
    public static let margins: ClosedRange<Double> = -0.25...1
    /// `margins` as messages and help write it ("-0.25 to 1.0").
    public static let marginsText = "\(margins.lowerBound) to \(margins.upperBound)"

    public init(margin: Double = -0.15) { self.margin = margin }

    public func region(for box: Rect) -> (x: Double, y: Double, side: Double) {
        let side = Double(max(box.width, box.height)) * (1 + 2 * margin)
        let cx = Double(box.x) + Double(box.width) / 2, cy = Double(box.y) + Double(box.height) / 2
        return (cx - side / 2, cy - side / 2, side)
    }

    /// Area-weighted sampling (a box filter over bilinear samples) so that large faces do not alias;
    /// positions outside the image repeat the edge pixels. With `angle` (radians, clockwise on screen) the square
    /// is turned about the box centre by it: a face whose eyes slope by `angle` comes out level.
    public func crop(_ image: GrayImage, box: Rect, size: Int, angle: Double = 0) -> GrayImage {
        let (x0, y0, side) = region(for: box)
        let (cosine, sine) = (cos(angle), sin(angle))
        let (cx, cy) = (x0 + side / 2, y0 + side / 2)
        let step = side / Double(size)
        let taps = max(1, Int(step.rounded(.up)))
        let tapStep = step / Double(taps)
        var out = [UInt8](repeating: 0, count: size * size)
        image.pixels.withUnsafeBufferPointer { px in
            let w = image.width, h = image.height
            func sample(_ x: Double, _ y: Double) -> Double {
                let fx = min(max(x - 0.5, 0), Double(w - 1)), fy = min(max(y - 0.5, 0), Double(h - 1))
                let ix = min(Int(fx), w - 2 < 0 ? 0 : w - 2), iy = min(Int(fy), h - 2 < 0 ? 0 : h - 2)
                let ax = fx - Double(ix), ay = fy - Double(iy)
                let ix1 = min(ix + 1, w - 1), iy1 = min(iy + 1, h - 1)
                let top = Double(px[iy * w + ix]) * (1 - ax) + Double(px[iy * w + ix1]) * ax
                let bottom = Double(px[iy1 * w + ix]) * (1 - ax) + Double(px[iy1 * w + ix1]) * ax
                return top * (1 - ay) + bottom * ay
            }
            for oy in 0..<size {
                for ox in 0..<size {
                    var sum = 0.0
                    for ty in 0..<taps {
                        for tx in 0..<taps {
                            let u = (Double(ox) * Double(taps) + Double(tx) + 0.5) * tapStep
                            let v = (Double(oy) * Double(taps) + Double(ty) + 0.5) * tapStep
                            if angle == 0 {
                                sum += sample(x0 + u, y0 + v)  // kept apart: the shipped fixtures are upright crops
                            } else {
                                let (du, dv) = (u - side / 2, v - side / 2)
                                sum += sample(cx + du * cosine - dv * sine, cy + du * sine + dv * cosine)
                            }
                        }
                    }
                    out[oy * size + ox] = UInt8(min(255, max(0, (sum / Double(taps * taps)).rounded())))
                }
            }
        }
        return GrayImage(width: size, height: size, pixels: out)
    }
}
