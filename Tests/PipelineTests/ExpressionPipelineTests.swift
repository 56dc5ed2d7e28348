import ExpressionModel
import FaceDetection
import Foundation
import Frames
import Pipeline
import XCTest

/// Expressions in the headless output, and `fercam eval` against the training script's figures.
final class ExpressionPipelineTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let modelPath = root.appendingPathComponent("assets/fercam-resnet-cbam.safetensors").path
    static let valRoot = root.appendingPathComponent("../shared/data/fer2013/val").standardized.path

    func testReplayReportsExpressionsAndAttentionIdenticallyTwice() throws {
        guard FileManager.default.fileExists(atPath: ReplayTests.facesRoot) else {
            throw XCTSkip("\(ReplayTests.facesRoot) is absent: replay tests need ../shared/data/faces")
        }
        let clip = try ReplayTests.makeStream(frames: 3)
        defer { try? FileManager.default.removeItem(atPath: clip) }
        func replay() throws -> [String] {
            let analyser = FrameAnalyser(detector: try HaarDetector(), parameters: .live, classifier: try ExpressionClassifier(path: Self.modelPath))
            var lines: [String] = []
            var source = try Y4MSource(path: clip)
            _ = try HeadlessRun(analyser: analyser, includeTimings: false, includeAttention: true).run(&source) { lines.append($0) }
            return lines
        }
        let first = try replay()
        XCTAssertEqual(first, try replay())
        XCTAssertEqual(first.count, 3)
        for line in first {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let faces = try XCTUnwrap(object["faces"] as? [[String: Any]])
            XCTAssertEqual(faces.count, 1, line)
            let face = faces[0]
            let scores = try XCTUnwrap(face["scores"] as? [String: Double])
            XCTAssertEqual(Set(scores.keys), ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
            XCTAssertEqual(scores.values.reduce(0, +), 1, accuracy: 0.002)
            let label = try XCTUnwrap(face["label"] as? String)
            XCTAssertEqual(scores[label], scores.values.max())
            XCTAssertEqual(face["score"] as? Double, scores[label])
            let attention = try XCTUnwrap(face["attention"] as? [[Double]])
            XCTAssertEqual(attention.count, 6)
            XCTAssertTrue(attention.allSatisfy { $0.count == 6 && $0.allSatisfy { (0...1).contains($0) } })
        }
    }

    func testEvalReproducesTheTrainingValAccuracy() throws {
        guard FileManager.default.fileExists(atPath: Self.valRoot) else {
            throw XCTSkip("\(Self.valRoot) is absent: the eval test needs ../shared/data/fer2013")
        }
        let metricsURL = Self.root.appendingPathComponent("assets/metrics.json")
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: metricsURL)) as? [String: Any])
        let plain = try XCTUnwrap((metrics["val"] as? [String: Any])?["plain"] as? [String: Any])
        let expected = try XCTUnwrap(plain["accuracy"] as? Double)
        let classifier = try ExpressionClassifier(path: Self.modelPath)
        let images = try LabelledImages(root: Self.valRoot, classNames: classifier.classNames)
        XCTAssertEqual(images.items.count, 3589)
        let matrix = try Evaluator(classifier: classifier).run(images)
        XCTAssertEqual(matrix.total, 3589)
        XCTAssertEqual(matrix.accuracy, expected, accuracy: 0.002, "fercam eval vs training/export.py")
        XCTAssertEqual(matrix.macroF1, try XCTUnwrap(plain["macro_f1"] as? Double), accuracy: 0.005)
    }

    func testConfusionMatrixArithmetic() {
        var m = ConfusionMatrix(classNames: ["a", "b"])
        m.add(truth: 0, predicted: 0)
        m.add(truth: 0, predicted: 1)
        m.add(truth: 1, predicted: 1)
        m.add(truth: 1, predicted: nil)
        XCTAssertEqual(m.accuracy, 0.5)
        XCTAssertEqual(m.recall, [0.5, 0.5])
        XCTAssertEqual(m.precision, [1, 0.5])
        XCTAssertEqual(m.macroF1, (2 * 0.5 / 1.5 + 0.5) / 2, accuracy: 1e-12)
        XCTAssertTrue(m.json.contains("\"no_face\":1"))
    }
}
