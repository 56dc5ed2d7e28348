import Charts
import Foundation
import Frames
import Pipeline
import SDLKit
import XCTest

final class ReliabilityDiagramTests: XCTestCase {
    func testExpectedCalibrationError() {
        var calibration = Calibration(bins: 10)
        // 0.95 confident and always right: contributes |1 - 0.95| = 0.05 for half the faces.
        for _ in 0..<10 { calibration.add(confidence: 0.95, correct: true) }
        // 0.55 confident and right half the time: |0.5 - 0.55| = 0.05 for the other half.
        for i in 0..<10 { calibration.add(confidence: 0.55, correct: i % 2 == 0) }
        XCTAssertEqual(calibration.count, 20)
        XCTAssertEqual(calibration.expectedError, 0.05, accuracy: 1e-9)
        XCTAssertEqual(calibration.bins[9].count, 10)
        XCTAssertEqual(calibration.bins[5].count, 10)
        var edge = Calibration(bins: 10)
        edge.add(confidence: 0, correct: false)
        edge.add(confidence: 1, correct: true)
        edge.add(confidence: 0.1, correct: true)
        XCTAssertEqual(edge.bins.map(\.count), [2, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    }

    /// The bars stand where the bins are: an over-confident top bin draws red above its blue bar.
    func testDiagramDrawsBarsAndGaps() throws {
        guard FileManager.default.fileExists(atPath: Font.regularPath) else {
            throw XCTSkip("install fonts-dejavu-core")
        }
        var calibration = Calibration(bins: 10)
        for i in 0..<100 { calibration.add(confidence: 0.95, correct: i < 50) }
        let image = try ReliabilityDiagram.render(calibration, title: "test", width: 720, height: 600)
        XCTAssertEqual(image.width, 720)
        XCTAssertEqual(image.height, 600)
        func pixel(_ x: Int, _ y: Int) -> (Int, Int, Int) {
            let i = (y * image.width + x) * 3
            return (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
        }
        // Plot area: x 80..690, y 56..450; the last bin spans x 629..690. Accuracy 0.5 -> bar top at y 253.
        let bar = pixel(660, 400), gap = pixel(660, 120), emptyBin = pixel(120, 400)
        XCTAssertTrue(bar.2 > 200 && bar.0 < 100, "blue accuracy bar expected, got \(bar)")
        XCTAssertTrue(gap.0 > 200 && gap.1 < 200, "red over-confidence gap expected, got \(gap)")
        XCTAssertTrue(
            emptyBin.0 > 200 && emptyBin.1 > 200 && emptyBin.2 > 200, "an empty bin stays white, got \(emptyBin)")
    }
}
