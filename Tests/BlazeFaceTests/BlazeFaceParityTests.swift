import BlazeFace
import ExpressionModel
import Foundation
import Frames
import ImageFiles
import XCTest

/// fercam's BlazeFace against MediaPipe 0.10.14's own pipeline (`mp.solutions.face_detection`) on real
/// photographs and crowd frames at 640x480: the same faces, boxes and keypoints within 1 pixel, scores within 1e-3.
/// Fixture: scripts/blazeface/reference.py (MediaPipe in .venv-mp); the frames are written by the same script
/// with OpenCV alone at `make test`, and each is checked against the SHA-256 of what MediaPipe saw.
final class BlazeFaceParityTests: XCTestCase {
    struct Fixture: Decodable {
        struct Frame: Decodable {
            var name: String
            var sha256: String
            var detections: [String: [Detection]]

            enum CodingKeys: String, CodingKey { case name, sha256 }
            init(from decoder: any Decoder) throws {
                let keyed = try decoder.container(keyedBy: CodingKeys.self)
                name = try keyed.decode(String.self, forKey: .name)
                sha256 = try keyed.decode(String.self, forKey: .sha256)
                let any = try decoder.container(keyedBy: AnyKey.self)
                detections = [:]
                for key in any.allKeys where key.stringValue.hasPrefix("blazeface") {
                    detections[key.stringValue] = try any.decode([Detection].self, forKey: key)
                }
            }
        }
        struct Detection: Decodable {
            var score: Float
            var box: [Double]
            var keypoints: [[Double]]
        }
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        var frames: [Frame]
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized.path
    static let framesRoot =
        ProcessInfo.processInfo.environment["FERCAM_BLAZEFACE_FRAMES"] ?? root + "/.cache/blazeface-frames"

    static func detector(_ name: String) throws -> BlazeFaceDetector {
        try BlazeFaceDetector(path: root + "/assets/detector-\(name).safetensors")
    }

    func loadFixture() throws -> Fixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "blazeface-parity", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testBothModelsMatchMediaPipeOnRealFrames() throws {
        guard FileManager.default.fileExists(atPath: Self.framesRoot) else {
            throw XCTSkip("\(Self.framesRoot) is absent: `make test` writes it (scripts/blazeface/reference.py)")
        }
        let fixture = try loadFixture()
        XCTAssertGreaterThanOrEqual(fixture.frames.count, 20)
        for model in ["blazeface", "blazeface-full"] {
            let detector = try Self.detector(model)
            var compared = 0
            for frame in fixture.frames {
                let image = try ImageFile.loadRGB(Self.framesRoot + "/\(frame.name).ppm")
                var digest = SHA256()
                digest.update(image.pixels)
                XCTAssertEqual(digest.hexDigest(), frame.sha256, "\(frame.name): not the frame MediaPipe saw")
                let ours = detector.detect(in: image)
                let theirs = frame.detections[model] ?? []
                XCTAssertEqual(ours.count, theirs.count, "\(model) \(frame.name): faces")
                for (o, t) in zip(ours, theirs) {
                    XCTAssertEqual(o.score, t.score, accuracy: 1e-3, "\(model) \(frame.name)")
                    for (a, b) in zip([o.x, o.y, o.width, o.height], t.box) {
                        XCTAssertEqual(a, b, accuracy: 1, "\(model) \(frame.name): box")
                    }
                    XCTAssertEqual(o.keypoints.count, t.keypoints.count)
                    for (k, e) in zip(o.keypoints, t.keypoints) {
                        XCTAssertEqual(k.x, e[0], accuracy: 1, "\(model) \(frame.name): keypoint")
                        XCTAssertEqual(k.y, e[1], accuracy: 1, "\(model) \(frame.name): keypoint")
                    }
                    compared += 1
                }
            }
            XCTAssertGreaterThan(compared, 20, "\(model): too few faces compared")
        }
    }

    /// A video frame is letterboxed from its YUV planes directly: the same detections as from its `rgb()`.
    func testAVideoFrameGivesWhatItsRGBGives() throws {
        let path = Self.framesRoot + "/caltech1999-image_0024.ppm"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is absent") }
        let frame = YUVFrame(rgb: try ImageFile.loadRGB(path))
        for model in ["blazeface", "blazeface-full"] {
            let detector = try Self.detector(model)
            let direct = detector.detect(in: frame), converted = detector.detect(in: frame.rgb())
            XCTAssertEqual(direct.count, 1, model)
            XCTAssertEqual(direct, converted, model)
        }
    }
}
