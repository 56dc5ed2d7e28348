import ExpressionModel
import Foundation
import Frames
import XCTest

/// Every shipped architecture: loads from its file by the name in its metadata, stays within the real-time
/// budget, and gives the outputs docs/output-format.md and docs/seed-systems.md describe on a tiny input.
final class ModelFamilyTests: XCTestCase {
    struct Expected {
        var inputSize = 48
        var parameters: Int
        var grid: Int
        var details: [String: Int]
    }

    /// Sizes from docs/seed-systems.md (training/arch/check.py prints the same).
    static let expected: [Architecture: Expected] = [
        .resnetCBAM: Expected(
            inputSize: 64, parameters: 949_671, grid: 8, details: ["stem_attention": 64 * 64, "last_attention": 64]),
        .lbpAttention: Expected(parameters: 599_096, grid: 12, details: ["fused_attention": 48 * 48]),
        .cnnALSTM: Expected(parameters: 181_191, grid: 6, details: ["local": 36, "global": 36]),
        .deepEmotion: Expected(parameters: 66_877, grid: 12, details: ["theta": 6, "warped": 48 * 48]),
        .manet: Expected(parameters: 1_347_135, grid: 12, details: ["region_weights": 8, "masks": 8 * 144]),
    ]

    func testEveryArchitectureShipsWithinTheBudgetAndGivesItsOutputs() throws {
        for architecture in Architecture.allCases {
            let path = ModelParityTests.root.appendingPathComponent("assets/\(architecture.fileName)").path
            let classifier = try ExpressionClassifier(path: path, precision: .fp32)
            let expected = try XCTUnwrap(Self.expected[architecture])
            let d = classifier.description
            XCTAssertEqual(d.architecture, architecture)
            XCTAssertEqual(d.inputSize, expected.inputSize, "\(architecture)")
            XCTAssertEqual(d.classNames, ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
            XCTAssertEqual(d.figures.parameters, expected.parameters, "\(architecture)")
            XCTAssertLessThanOrEqual(try XCTUnwrap(d.figures.parameters), 5_000_000)
            XCTAssertLessThanOrEqual(try XCTUnwrap(d.figures.macs), 200_000_000)
            // A tiny input: two faces, one flat and one a gradient.
            let side = d.inputSize
            let faces = [
                GrayImage(width: side, height: side, fill: 128),
                GrayImage(width: side, height: side, pixels: (0..<(side * side)).map { UInt8($0 % side * 5 % 256) }),
            ]
            for result in try classifier.classify(faces: faces) {
                let output = result.output
                XCTAssertEqual(output.logits.count, 7, "\(architecture)")
                XCTAssertEqual(output.probabilities.reduce(0, +), 1, accuracy: 1e-4)
                XCTAssertEqual([output.attention.width, output.attention.height], [expected.grid, expected.grid])
                XCTAssertEqual(output.details.mapValues(\.count), expected.details, "\(architecture)")
                XCTAssertEqual(output.samplingOutline?.count, architecture == .deepEmotion ? 4 : nil)
                XCTAssertEqual(output.resampledFace?.pixels.count, architecture == .deepEmotion ? 48 * 48 : nil)
                XCTAssertEqual(output.regionWeights?.count, architecture == .manet ? 8 : nil)
            }
        }
    }
}
