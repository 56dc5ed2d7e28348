import ExpressionModel
import FaceDetection
import Foundation
import Frames
import ImageFiles
import Pipeline
import XCTest

/// Expressions in the headless output, and `fercam eval` against the training script's figures.
final class ExpressionPipelineTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized
    static let modelPath = root.appendingPathComponent("assets/fercam-resnet-cbam.safetensors").path
    static let valRoot = root.appendingPathComponent("../shared/data/fer2013/val").standardized.path

    static func modelPath(_ name: String) -> String {
        root.appendingPathComponent("assets/fercam-\(name).safetensors").path
    }

    /// Every shipped model in the headless output: the same lines twice, and the attention grid (and, for
    /// the spatial transformer, its outline) that docs/output-format.md gives for it.
    func testReplayReportsExpressionsAndAttentionIdenticallyTwice() throws {
        for (model, grid) in [
            ("resnet-cbam", 8), ("deep-emotion", 12), ("cnn-alstm", 6), ("lbp-attention", 12), ("manet", 12),
        ] {
            try replayReportsExpressionsAndAttention(model: model, grid: grid)
        }
    }

    func replayReportsExpressionsAndAttention(model: String, grid: Int) throws {
        guard FileManager.default.fileExists(atPath: ReplayTests.facesRoot) else {
            throw XCTSkip("\(ReplayTests.facesRoot) is absent: replay tests need ../shared/data/faces")
        }
        let clip = try ReplayTests.makeStream(frames: 3)
        defer { try? FileManager.default.removeItem(atPath: clip) }
        func replay() throws -> [String] {
            let analyser = FrameAnalyser(
                detector: try HaarDetector(), parameters: .live,
                classifier: try ExpressionClassifier(path: Self.modelPath(model)))
            var lines: [String] = []
            var source = try Y4MSource(path: clip)
            _ = try HeadlessRun(analyser: analyser, includeTimings: false, includeAttention: true).run(&source) {
                lines.append($0)
            }
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
            XCTAssertEqual(attention.count, grid, model)
            XCTAssertTrue(attention.allSatisfy { $0.count == grid && $0.allSatisfy { (0...1).contains($0) } }, model)
            if model == "deep-emotion" {
                let outline = try XCTUnwrap(face["attention_outline"] as? [[Double]], line)
                XCTAssertEqual(outline.count, 4)
                XCTAssertTrue(outline.allSatisfy { $0.count == 2 })
                // Corners in order: top-left, top-right, bottom-right, bottom-left.
                XCTAssertLessThan(outline[0][0], outline[1][0])
                XCTAssertLessThan(outline[1][1], outline[2][1])
            } else {
                XCTAssertNil(face["attention_outline"], model)
            }
            if model == "manet" {
                let regions = try XCTUnwrap(face["attention_regions"] as? [String: Double], line)
                XCTAssertEqual(regions.count, 8)
                XCTAssertEqual(regions.values.reduce(0, +), 1, accuracy: 0.01)
                XCTAssertNotNil(regions["left mouth corner"])
            } else {
                XCTAssertNil(face["attention_regions"], model)
            }
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
        let ferPlus = try LabelsFile(path: Self.valRoot + "/../ferplus.csv", classNames: classifier.classNames)
        let report = EvaluationReport(try Evaluator(classifier: classifier).run(images), labelsFiles: [ferPlus])
        XCTAssertEqual(report.folder.matrix.total, 3589)
        XCTAssertEqual(report.folder.matrix.accuracy, expected, accuracy: 0.002, "fercam eval vs training/export.py")
        XCTAssertEqual(report.folder.matrix.macroF1, try XCTUnwrap(plain["macro_f1"] as? Double), accuracy: 0.005)
        // The FER+ majority set: faces whose most-voted column is one of the seven classes.
        XCTAssertEqual(report.others.first?.name, "FER+ majority")
        if let ferPlusMetrics = (metrics["val"] as? [String: Any])?["ferplus"] as? [String: Any] {
            XCTAssertEqual(report.others[0].matrix.total, try XCTUnwrap(ferPlusMetrics["images"] as? Int))
            XCTAssertEqual(
                report.others[0].matrix.accuracy, try XCTUnwrap(ferPlusMetrics["accuracy"] as? Double), accuracy: 0.002)
        }
        if let ece = plain["ece"] as? Double {
            XCTAssertEqual(report.folder.calibration.expectedError, ece, accuracy: 0.01)
        }
    }

    /// The seed systems through fercam's engine give the val accuracy their export measured in PyTorch.
    func testEvalReproducesEachSeedSystemsExportedAccuracy() throws {
        guard FileManager.default.fileExists(atPath: Self.valRoot) else {
            throw XCTSkip("\(Self.valRoot) is absent: the eval test needs ../shared/data/fer2013")
        }
        for model in ["deep-emotion", "cnn-alstm", "lbp-attention", "manet"] {
            let metricsURL = Self.root.appendingPathComponent("assets/fercam-\(model).metrics.json")
            let metrics = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(contentsOf: metricsURL)) as? [String: Any])
            let val = try XCTUnwrap(metrics["val"] as? [String: Any])
            let plain = try XCTUnwrap(val["plain"] as? [String: Any])
            let ferPlusMetrics = try XCTUnwrap(val["ferplus"] as? [String: Any])
            let classifier = try ExpressionClassifier(path: Self.modelPath(model))
            let images = try LabelledImages(root: Self.valRoot, classNames: classifier.classNames)
            let ferPlus = try LabelsFile(path: Self.valRoot + "/../ferplus.csv", classNames: classifier.classNames)
            let report = EvaluationReport(try Evaluator(classifier: classifier).run(images), labelsFiles: [ferPlus])
            XCTAssertEqual(
                report.folder.matrix.accuracy, try XCTUnwrap(plain["accuracy"] as? Double), accuracy: 0.002, model)
            XCTAssertEqual(
                report.others[0].matrix.accuracy, try XCTUnwrap(ferPlusMetrics["accuracy"] as? Double),
                accuracy: 0.002, model)
        }
    }

    func testLabelsFilesOfBothLayouts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-labels-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
        let votes = dir.appendingPathComponent("votes.csv")
        try """
        path,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF
        val/angry/a.jpg,2,0,0,1,7,0,0,0,0,0
        val/angry/b.jpg,3,3,0,0,0,0,0,0,0,4
        val/sad/c.jpg,5,0,0,5,0,0,0,0,0,0
        val/sad/d.jpg,0,0,0,0,0,0,0,0,0,0

        """.write(to: votes, atomically: true, encoding: .utf8)
        let ferPlus = try LabelsFile(path: votes.path, classNames: classes)
        XCTAssertEqual(ferPlus.name, "FER+ majority")
        XCTAssertEqual(ferPlus.label(for: "/data/fer2013/val/angry/a.jpg"), 0)
        XCTAssertNil(ferPlus.label(for: "/x/angry/b.jpg"), "majority not-a-face: no label")
        XCTAssertEqual(ferPlus.label(for: "sad/c.jpg"), 6, "a tie goes to the first column")
        XCTAssertNil(ferPlus.label(for: "sad/d.jpg"), "no votes: no label")
        XCTAssertNil(ferPlus.label(for: "sad/unlisted.jpg"))

        let plain = dir.appendingPathComponent("labels.csv")
        try "path,label,performer\nneutral/1.jpg,happy,01\n".write(to: plain, atomically: true, encoding: .utf8)
        XCTAssertEqual(try LabelsFile(path: plain.path, classNames: classes).label(for: "root/neutral/1.jpg"), 3)
        try "path,label\nneutral/1.jpg,joy\n".write(to: plain, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelsFile(path: plain.path, classNames: classes)) { error in
            XCTAssertTrue("\(error)".contains("line 2: unknown class 'joy'"), "\(error)")
        }
        try "file,emotion\n".write(to: plain, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelsFile(path: plain.path, classNames: classes))
    }

    /// An unreadable image is listed and left out; the rest are still scored.
    func testEvalGoesOnPastUnreadableImages() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-eval-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["happy", "sad"] {
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try Data(PNM.encode(GrayImage(width: 48, height: 48, fill: 120))).write(
            to: dir.appendingPathComponent("happy/a.pgm"))
        try Data("P5 48 48 255\n".utf8).write(to: dir.appendingPathComponent("sad/broken.pgm"))
        let classifier = try ExpressionClassifier(path: Self.modelPath)
        let images = try LabelledImages(root: dir.path, classNames: classifier.classNames)
        let evaluation = try Evaluator(classifier: classifier).run(images)
        XCTAssertEqual(evaluation.images.count, 1)
        XCTAssertEqual(evaluation.unreadable.count, 1)
        XCTAssertTrue(evaluation.unreadable[0].reason.contains("truncated"), evaluation.unreadable[0].reason)
        XCTAssertTrue(EvaluationReport(evaluation).text.contains("1 unreadable image left out"))
        XCTAssertThrowsError(try Evaluator(classifier: classifier).run(images, stopOnError: true))
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
        let json = JSONLines.scores(m, calibration: Calibration()).map { JSONLines.string($0.0) + ":" + $0.1.encoded }
        XCTAssertTrue(json.contains("\"no_face\":1"))
    }
}
