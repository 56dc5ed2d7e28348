import DNNLKit
import ExpressionModel
import Foundation
import Frames
import XCTest

/// The Swift/oneDNN engine against the PyTorch reference written by `make export`.
final class ModelParityTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            var source: String
            var pixels: [UInt8]
            var logits: [Float]
            var stem_attention: [Float]
            var last_attention: [Float]
        }
        var model: String
        var cases: [Case]
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized

    func loadReference() throws -> Reference {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "reference", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    func faces(_ reference: Reference) -> [GrayImage] {
        reference.cases.map { GrayImage(width: 48, height: 48, pixels: $0.pixels) }
    }

    @discardableResult
    func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String) -> Float {
        XCTAssertEqual(actual.count, expected.count, what)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max |difference| \(worst)")
        return worst
    }

    func testFP32MatchesPyTorchInOneBatchAndOneByOne() throws {
        let reference = try loadReference()
        let classifier = try ExpressionClassifier(path: Self.root.appendingPathComponent(reference.model).path)
        let batched = try classifier.classify(faces: faces(reference))
        let single = try faces(reference).map { try classifier.classify(faces: [$0])[0] }
        var worst: [Float] = [0, 0, 0]
        for (i, expected) in reference.cases.enumerated() {
            for (name, result) in [("batch", batched[i]), ("single", single[i])] {
                let what = "\(expected.source) (\(name))"
                worst[0] = max(
                    worst[0], assertClose(result.output.logits, expected.logits, tolerance: 1e-3, "\(what) logits"))
                worst[1] = max(
                    worst[1],
                    assertClose(
                        result.output.stemAttention.values, expected.stem_attention, tolerance: 1e-3,
                        "\(what) stem attention"))
                worst[2] = max(
                    worst[2],
                    assertClose(
                        result.output.lastAttention.values, expected.last_attention, tolerance: 1e-3,
                        "\(what) last attention"))
                XCTAssertEqual(result.scores.reduce(0, +), 1, accuracy: 1e-4)
            }
        }
        print("max |Swift - PyTorch|: logits \(worst[0]), stem attention \(worst[1]), last attention \(worst[2])")
        XCTAssertEqual(batched[0].output.stemAttention.width, 48)
        XCTAssertEqual(batched[0].output.lastAttention.width, classifier.description.lastSize)
    }

    func testBF16StaysCloseToFP32() throws {
        guard Engine.supportsBF16 else { throw XCTSkip("this CPU (\(Engine.instructionSet)) has no bf16 arithmetic") }
        let reference = try loadReference()
        let path = Self.root.appendingPathComponent(reference.model).path
        let fp32 = try ExpressionClassifier(path: path).classify(faces: faces(reference))
        let bf16 = try ExpressionClassifier(path: path, precision: .bf16).classify(faces: faces(reference))
        for (a, b) in zip(fp32, bf16) {
            assertClose(b.scores, a.scores, tolerance: 0.05, "bf16 probabilities")
        }
    }

    func testLargerBatchesThanTheMaximumAreSplit() throws {
        let reference = try loadReference()
        let classifier = try ExpressionClassifier(path: Self.root.appendingPathComponent(reference.model).path)
        let many = Array(repeating: faces(reference), count: 2).flatMap { $0 }  // 20 > maximumBatch
        XCTAssertGreaterThan(many.count, Network.maximumBatch)
        let results = try classifier.classify(faces: many)
        XCTAssertEqual(results.count, many.count)
        for i in 0..<reference.cases.count {
            assertClose(
                results[i + reference.cases.count].output.logits, results[i].output.logits, tolerance: 1e-5,
                "repeat \(i)")
        }
    }
}

final class FaceCroppingTests: XCTestCase {
    func testUniformImageGivesUniformCrop() {
        let image = GrayImage(width: 100, height: 80, fill: 77)
        let crop = FaceCropping(margin: 0.2).crop(image, box: Rect(x: 70, y: 50, width: 40, height: 40), size: 48)
        XCTAssertEqual(Set(crop.pixels), [77], "edge pixels repeat outside the image")
    }

    func testCropFollowsTheBoxAndMargin() {
        // A bright square exactly where the box is; with margin 0.25 the crop spans 144 px (3 px per output
        // pixel) and the square covers output pixels 8..<40.
        var image = GrayImage(width: 200, height: 200, fill: 0)
        for y in 50..<146 { for x in 60..<156 { image.pixels[y * 200 + x] = 255 } }
        let crop = FaceCropping(margin: 0.25).crop(image, box: Rect(x: 60, y: 50, width: 96, height: 96), size: 48)
        XCTAssertEqual(crop[24, 24], 255)
        XCTAssertEqual(crop[8, 24], 255)
        XCTAssertEqual(crop[39, 39], 255)
        XCTAssertEqual(crop[7, 24], 0)
        XCTAssertEqual(crop[24, 40], 0)
        XCTAssertEqual(crop[2, 2], 0)
    }
}
