import DNNLKit
import ExpressionModel
import XCTest

/// `--precision auto`: measured where the CPU offers bf16, fp32 where it does not, explicit requests kept.
final class PrecisionChoiceTests: XCTestCase {
    let modelPath = ModelParityTests.root.appendingPathComponent("assets/fercam-resnet-cbam.safetensors").path

    func testAutoMeasuresBothAndKeepsTheFasterOne() throws {
        let classifier = try ExpressionClassifier(path: modelPath, request: .auto)
        let choice = classifier.precisionChoice
        XCTAssertEqual(choice.request, .auto)
        XCTAssertEqual(classifier.network.precision, choice.precision, "the network runs what was chosen")
        guard Engine.supportsBF16 else {
            XCTAssertEqual(choice.precision, .fp32)
            XCTAssertNil(choice.measured)
            XCTAssertTrue(choice.summary.hasPrefix("fp32 (auto: this CPU has no bf16 arithmetic"), choice.summary)
            return
        }
        let measured = try XCTUnwrap(choice.measured)
        XCTAssertGreaterThan(measured.fp32, 0)
        XCTAssertGreaterThan(measured.bf16, 0)
        XCTAssertEqual(
            choice.precision, measured.bf16 * PrecisionChoice.requiredSpeedup <= measured.fp32 ? .bf16 : .fp32)
        XCTAssertTrue(choice.summary.contains("ms per face, measured in"), choice.summary)
    }

    func testExplicitRequestsAreTakenAsGiven() throws {
        let fp32 = try ExpressionClassifier(path: modelPath, request: .fp32)
        XCTAssertEqual(fp32.network.precision, .fp32)
        XCTAssertNil(fp32.precisionChoice.measured)
        XCTAssertEqual(fp32.precisionChoice.summary, "fp32 (asked for)")
        if Engine.supportsBF16 {
            XCTAssertEqual(try ExpressionClassifier(path: modelPath, request: .bf16).network.precision, .bf16)
        } else {
            XCTAssertThrowsError(try ExpressionClassifier(path: modelPath, request: .bf16))
        }
    }
}
