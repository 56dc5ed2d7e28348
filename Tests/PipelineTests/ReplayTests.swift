import ExpressionModel
import FaceDetection
import Foundation
import Frames
import ImageFiles
import Pipeline
import Tracking
import XCTest

final class ReplayTests: XCTestCase {
    static let facesRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/faces").standardized.path

    func makeAnalyser() throws -> FrameAnalyser {
        guard FileManager.default.fileExists(atPath: HaarCascade.defaultPath) else {
            throw XCTSkip("install opencv-data for the cascades")
        }
        return FrameAnalyser(detector: try HaarDetector(), parameters: .live)
    }

    /// A short Y4M stream made of shared face photographs (gray, padded to 640x480).
    static func makeStream(frames: Int) throws -> String {
        guard FileManager.default.fileExists(atPath: Self.facesRoot) else {
            throw XCTSkip("\(Self.facesRoot) is absent: replay tests need ../shared/data/faces")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fercam-replay-\(UUID().uuidString).y4m"
        ).path
        let writer = try Y4MWriter(path: file, header: Y4MHeader(width: 640, height: 480, frameRate: Ratio(30, 1)))
        for i in 0..<frames {
            let photo = try ImageFile.loadGray(Self.facesRoot + String(format: "/caltech1999/image_%04d.jpg", i + 1))
            var canvas = GrayImage(width: 640, height: 480, fill: 90)
            for y in 0..<min(480, photo.height) {
                for x in 0..<min(640, photo.width) { canvas[x + 40, y + 60] = photo[x, y] }
            }
            try writer.write(YUVFrame(gray: canvas))
        }
        return file
    }

    func replay(_ path: String, timings: Bool) throws -> (lines: [String], error: String?) {
        let run = HeadlessRun(analyser: try makeAnalyser(), includeTimings: timings)
        var source = try Y4MSource(path: path)
        var lines: [String] = []
        do {
            _ = try run.run(&source) { lines.append($0) }
            return (lines, nil)
        } catch { return (lines, "\(error)") }
    }

    /// With tracks and smoothing the output is still a function of the input: ids, ages, smoothed and raw fields.
    func testTrackedReplayIsByteIdenticalWithIDs() throws {
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../assets/fercam-resnet-cbam.safetensors").standardized.path
        let file = try Self.makeStream(frames: 3)
        defer { try? FileManager.default.removeItem(atPath: file) }
        func tracked() throws -> [String] {
            let detector = try makeAnalyser()
            let analyser = FrameAnalyser(finder: detector.finder, classifier: try ExpressionClassifier(path: model))
            let run = HeadlessRun(
                analyser: analyser, includeTimings: false, tracking: FaceTracking(smoothing: SmoothingParameters()))
            var source = try Y4MSource(path: file)
            var lines: [String] = []
            _ = try run.run(&source) { lines.append($0) }
            return lines
        }
        let first = try tracked()
        XCTAssertEqual(first, try tracked())
        XCTAssertEqual(first.count, 3)
        for (i, line) in first.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let face = (object["faces"] as! [[String: Any]])[0]
            // Different photographs with the face at different places: new tracks start, frame 0's comes back.
            XCTAssertEqual(face["id"] as? Int, [1, 2, 1][i], line)
            XCTAssertEqual(face["age"] as? Int, [1, 1, 2][i], line)
            XCTAssertNotNil(face["uncertain"] as? Bool, line)
            let raw = try XCTUnwrap(face["raw"] as? [String: Any], line)
            XCTAssertNotNil(raw["scores"] as? [String: Any])
            if i < 2 {
                XCTAssertEqual(
                    raw["scores"] as? [String: Double], face["scores"] as? [String: Double],
                    "a new track: nothing to smooth")
            }
        }
    }

    func testReplayIsByteIdenticalWithoutTimings() throws {
        let file = try Self.makeStream(frames: 4)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let first = try replay(file, timings: false), second = try replay(file, timings: false)
        XCTAssertNil(first.error)
        XCTAssertEqual(first.lines.count, 4)
        XCTAssertEqual(first.lines, second.lines)
        XCTAssertFalse(first.lines[0].contains("\"ms\""))
        // Every Caltech frame holds one frontal face, inside the pasted photograph.
        for line in first.lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let faces = object["faces"] as! [[String: Any]]
            XCTAssertEqual(faces.count, 1, line)
            let box = faces[0]["box"] as! [Int]
            XCTAssertTrue(
                box[0] >= 40 && box[1] >= 60 && box[0] + box[2] <= 40 + 448 && box[1] + box[3] <= 60 + 296, line)
        }
        XCTAssertTrue(
            first.lines[1].hasPrefix(
                "{\"frame\":1,\"pts\":0.033333,\"source\":\"\(file)\",\"width\":640,\"height\":480,\"faces\":[{\"box\":["
            ))
        let timed = try replay(file, timings: true)
        XCTAssertTrue(timed.lines[0].contains("\"ms\":{\"detect\":"))
    }

    func testTruncatedStreamEmitsEveryGoodFrameThenFails() throws {
        let file = try Self.makeStream(frames: 3)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 1000)
        try handle.close()
        let result = try replay(file, timings: false)
        XCTAssertEqual(result.lines.count, 2)
        let frameBytes = 640 * 480 * 3 / 2
        let headerBytes = Y4MHeader(width: 640, height: 480).encoded.utf8.count
        XCTAssertEqual(
            result.error,
            "\(file): frame 2 (byte \(headerBytes + 2 * (6 + frameBytes))): truncated frame, expected \(frameBytes) bytes, got \(frameBytes - 1000)"
        )
    }

    func testImageDirectoryInNameOrderAndUnreadableImage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pgm = Data(PNM.encode(GrayImage(width: 64, height: 48, fill: 100)))
        try pgm.write(to: dir.appendingPathComponent("b.pgm"))
        try pgm.write(to: dir.appendingPathComponent("a.pgm"))
        try Data("not a png".utf8).write(to: dir.appendingPathComponent("c.png"))
        var source = try ImageSource(path: dir.path)
        XCTAssertEqual(try source.next()?.source, dir.path + "/a.pgm")
        XCTAssertEqual(try source.next()?.source, dir.path + "/b.pgm")
        XCTAssertThrowsError(try source.next()) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir.path + "/c.png: not an image fercam reads"), "\(error)")
        }
        XCTAssertThrowsError(try ImageSource(path: dir.path + "/missing")) { error in
            XCTAssertEqual("\(error)", dir.path + "/missing: No such file or directory")
        }
    }

    func testJSONNumberAndStringEncoding() {
        XCTAssertEqual(JSONLines.number(0, decimals: 6), "0.0")
        XCTAssertEqual(JSONLines.number(1.0 / 30, decimals: 6), "0.033333")
        XCTAssertEqual(JSONLines.number(-2.5, decimals: 3), "-2.5")
        XCTAssertEqual(JSONLines.string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"")
    }
}
