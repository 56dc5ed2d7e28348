import DNNLKit
import ExpressionModel
import Foundation
import Frames
import XCTest

/// The Swift/oneDNN engine against the PyTorch references written by `training/export.py`, for every
/// architecture that ships (`reference.json` is the default model's).
final class ModelParityTests: XCTestCase {
    struct Reference {
        struct Case {
            var source: String
            var pixels: [UInt8]
            var logits: [Float]
            /// Every attention output, by the name the engine's `details` use.
            var attention: [String: [Float]]
        }
        var model: String
        var architecture: String
        var cases: [Case]
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized
    static let fixtures = ["reference", "deep-emotion", "cnn-alstm", "lbp-attention", "manet"]

    func loadReference(_ name: String = "reference") throws -> Reference {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"), "fixture \(name)")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(object["cases"] as? [[String: Any]])
        func floats(_ value: Any?) throws -> [Float] { try XCTUnwrap(value as? [Double]).map(Float.init) }
        return Reference(
            model: try XCTUnwrap(object["model"] as? String),
            architecture: object["architecture"] as? String ?? "resnet-cbam",
            cases: try cases.map { c in
                var attention: [String: [Float]] = [:]
                for key in c.keys where !["source", "pixels", "logits"].contains(key) {
                    attention[key] = try floats(c[key])
                }
                return Reference.Case(
                    source: try XCTUnwrap(c["source"] as? String),
                    pixels: try XCTUnwrap(c["pixels"] as? [Int]).map { UInt8($0) }, logits: try floats(c["logits"]),
                    attention: attention)
            })
    }

    /// Each fixture face is square, at its model's input size (48 or 64 pixels a side).
    func faces(_ reference: Reference) -> [GrayImage] {
        reference.cases.map { c in
            let side = Int(Double(c.pixels.count).squareRoot().rounded())
            return GrayImage(width: side, height: side, pixels: c.pixels)
        }
    }

    @discardableResult
    func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String) -> Float {
        XCTAssertEqual(actual.count, expected.count, what)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max |difference| \(worst)")
        return worst
    }

    func testFP32MatchesPyTorchInOneBatchAndOneByOne() throws {
        for fixture in Self.fixtures {
            let reference = try loadReference(fixture)
            let classifier = try ExpressionClassifier(path: Self.root.appendingPathComponent(reference.model).path)
            XCTAssertEqual(classifier.description.architecture.rawValue, reference.architecture)
            let batched = try classifier.classify(faces: faces(reference))
            let single = try faces(reference).map { try classifier.classify(faces: [$0])[0] }
            var worst: [String: Float] = [:]
            for (i, expected) in reference.cases.enumerated() {
                for (name, result) in [("batch", batched[i]), ("single", single[i])] {
                    let what = "\(fixture): \(expected.source) (\(name))"
                    worst["logits"] = max(
                        worst["logits", default: 0],
                        assertClose(result.output.logits, expected.logits, tolerance: 1e-3, "\(what) logits"))
                    for (key, values) in expected.attention {
                        let actual = try XCTUnwrap(result.output.details[key], "\(what): no \(key) output")
                        worst[key] = max(
                            worst[key, default: 0], assertClose(actual, values, tolerance: 1e-3, "\(what) \(key)"))
                    }
                    XCTAssertEqual(result.scores.reduce(0, +), 1, accuracy: 1e-4)
                    let map = result.output.attention
                    XCTAssertEqual(map.values.count, map.width * map.height)
                    XCTAssertTrue(map.values.allSatisfy { (0...1).contains($0) }, "\(what): attention within 0...1")
                }
            }
            print("\(fixture): max |Swift - PyTorch| \(worst.sorted { $0.key < $1.key })")
        }
    }

    /// bf16 (convolutions only) stays within 0.05 of fp32 in every probability, for every architecture.
    func testBF16StaysCloseToFP32() throws {
        guard Engine.supportsBF16 else { throw XCTSkip("this CPU (\(Engine.instructionSet)) has no bf16 arithmetic") }
        for fixture in Self.fixtures {
            let reference = try loadReference(fixture)
            let path = Self.root.appendingPathComponent(reference.model).path
            let fp32 = try ExpressionClassifier(path: path).classify(faces: faces(reference))
            let bf16 = try ExpressionClassifier(path: path, precision: .bf16).classify(faces: faces(reference))
            var worst: Float = 0
            for (a, b) in zip(fp32, bf16) {
                worst = max(worst, assertClose(b.scores, a.scores, tolerance: 0.05, "\(fixture): bf16 probabilities"))
            }
            print("\(fixture): max |bf16 - fp32| probability \(worst)")
        }
    }

    func testLargerBatchesThanTheMaximumAreSplit() throws {
        let reference = try loadReference()
        let classifier = try ExpressionClassifier(path: Self.root.appendingPathComponent(reference.model).path)
        let many = Array(repeating: faces(reference), count: 2).flatMap { $0 }  // 20 > maximumBatch
        XCTAssertGreaterThan(many.count, ExpressionClassifier.maximumBatch)
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
