import BlazeFace
import ExpressionModel
import Foundation
import Frames
import XCTest

import Pipeline

/// Levelling: a face tilted by an angle, cropped with that angle, comes out as the upright face; the angle comes
/// from the eye keypoints; BlazeFace boxes are moved into Haar framing.
final class LevelledCropTests: XCTestCase {
    /// An asymmetric pattern (a bright bar across the top third, a dark square low left) around (cx, cy),
    /// turned clockwise on screen by `angle`.
    func pattern(width: Int, height: Int, angle: Double) -> GrayImage {
        let (cx, cy) = (Double(width) / 2, Double(height) / 2)
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                // Back to the upright frame: turn by -angle.
                let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                let u = dx * cos(angle) + dy * sin(angle), v = -dx * sin(angle) + dy * cos(angle)
                var value = 120.0
                if v > -30 && v < -18 && abs(u) < 28 { value = 250 }
                if u > -25 && u < -8 && v > 8 && v < 25 { value = 10 }
                pixels[y * width + x] = UInt8(value)
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    func difference(_ a: GrayImage, _ b: GrayImage) -> Double {
        zip(a.pixels, b.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(a.pixels.count)
    }

    func testALevelledCropOfATiltedFaceIsTheUprightCrop() {
        let box = Rect(x: 50, y: 50, width: 80, height: 80)
        let cropping = FaceCropping(margin: 0)
        let upright = cropping.crop(pattern(width: 180, height: 180, angle: 0), box: box, size: 48)
        for degrees in [-30.0, -15, 25, 30] {
            let angle = degrees * .pi / 180
            let tilted = pattern(width: 180, height: 180, angle: angle)
            let levelled = cropping.crop(tilted, box: box, size: 48, angle: angle)
            let plain = cropping.crop(tilted, box: box, size: 48)
            XCTAssertLessThan(difference(levelled, upright), 6, "\(degrees) degrees, levelled")
            XCTAssertGreaterThan(difference(plain, upright), 10, "\(degrees) degrees, not levelled: the test must see it")
        }
        // Angle 0 takes the upright path: identical bytes to before levelling existed.
        XCTAssertEqual(
            cropping.crop(pattern(width: 180, height: 180, angle: 0), box: box, size: 48, angle: 0), upright)
    }

    func testTheRollComesFromTheEyesAndTheBoxFromHaarFraming() {
        // Eyes 40 px apart, the left eye (image right) 20 px lower: turned clockwise by atan(0.5).
        let detection = BlazeFaceDetection(
            x: 100, y: 100, width: 100, height: 100, score: 0.9,
            keypoints: [(130, 130), (170, 150), (150, 160), (150, 180), (110, 150), (190, 160)].map {
                Keypoint(x: $0.0, y: $0.1)
            })
        let levelled = FaceFinder.haarFraming(detection, level: true, framing: (down: -0.1, scale: 1.1))
        XCTAssertEqual(levelled.roll, atan(0.5), accuracy: 1e-12)
        XCTAssertEqual(levelled.cropAngle, atan(0.5), accuracy: 1e-12)
        XCTAssertEqual(levelled.box.width, 110)
        // The centre moves 10 px "up" in the face's own frame: up and to the right on screen for this roll.
        let cx = Double(levelled.box.x) + 55, cy = Double(levelled.box.y) + 55
        XCTAssertEqual(cx, 150 + 10 * sin(atan(0.5)), accuracy: 1)
        XCTAssertEqual(cy, 150 - 10 * cos(atan(0.5)), accuracy: 1)
        let upright = FaceFinder.haarFraming(detection, level: false, framing: (down: -0.1, scale: 1.1))
        XCTAssertEqual(upright.cropAngle, 0)
        XCTAssertEqual(upright.roll, atan(0.5), accuracy: 1e-12)
        XCTAssertEqual(Double(upright.box.y) + 55, 140, accuracy: 1)
    }
}
