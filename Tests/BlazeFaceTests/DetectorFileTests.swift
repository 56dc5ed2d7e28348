import BlazeFace
import ExpressionModel
import Foundation
import Frames
import XCTest

/// A damaged or mismatched detector file is one clear error naming the file and what is wrong, never a crash.
final class DetectorFileTests: XCTestCase {
    static let shipped = BlazeFaceParityTests.root + "/assets/detector-blazeface.safetensors"

    /// The shipped file with its metadata changed by `edit`, written to a temporary file.
    func variant(_ edit: (inout [String: String]) -> Void, poisonFirstWeight: Bool = false) throws -> String {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.shipped)))
        let length = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
        var header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        var metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        edit(&metadata)
        header["__metadata__"] = metadata
        var body = Array(bytes[(8 + length)...])
        if poisonFirstWeight {
            let first = try XCTUnwrap(
                header.filter { $0.key != "__metadata__" }.compactMap { ($0.value as? [String: Any])?["data_offsets"] as? [Int] }
                    .min { $0[0] < $1[0] })
            withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { body.replaceSubrange(first[0]..<(first[0] + 4), with: $0) }
        }
        var text = try JSONSerialization.data(withJSONObject: header)
        text.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8))
        bytes = withUnsafeBytes(of: UInt64(text.count).littleEndian, Array.init) + [UInt8](text) + body
        let path = NSTemporaryDirectory() + "fercam-detector-\(UUID().uuidString).safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func assertRefused(_ path: String, mentions words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try BlazeFaceDetector(path: path), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(path), "names the file: \(message)", file: file, line: line)
            for word in words { XCTAssertTrue(message.contains(word), "\(word) in: \(message)", file: file, line: line) }
        }
    }

    func testTheShippedFilesLoad() throws {
        for name in ["blazeface", "blazeface-full"] {
            let detector = try BlazeFaceParityTests.detector(name)
            XCTAssertEqual(detector.architecture, name)
            XCTAssertEqual(detector.inputSize, name == "blazeface" ? 128 : 192)
            XCTAssertEqual(detector.keypointNames, Keypoint.names)
            // No face in a flat grey frame.
            XCTAssertEqual(
                detector.detect(in: RGBImage(width: 64, height: 48, pixels: [UInt8](repeating: 128, count: 64 * 48 * 3))),
                [])
        }
    }

    func testDamagedFilesAreOneClearError() throws {
        // An expression model where a detector belongs.
        assertRefused(BlazeFaceParityTests.root + "/assets/fercam-resnet-cbam.safetensors", mentions: ["format"])
        // A graph whose shapes do not follow: the first convolution said to make a 32x32 map.
        assertRefused(
            try variant { m in
                var shapes = try! JSONSerialization.jsonObject(with: Data(m["tensor_shapes"]!.utf8)) as! [[Int]]
                shapes[1] = [32, 32, shapes[1][2]]
                m["tensor_shapes"] = String(decoding: try! JSONSerialization.data(withJSONObject: shapes), as: UTF8.self)
            }, mentions: ["graph", "op 0"])
        // An op fercam does not run.
        assertRefused(
            try variant { m in m["graph"] = m["graph"]!.replacingOccurrences(of: "\"maxpool\"", with: "\"gather\"") },
            mentions: ["gather"])
        // Keypoints in another order: levelling would turn faces the wrong way.
        assertRefused(
            try variant { m in
                m["keypoints"] = "[\"left_eye\",\"right_eye\",\"nose_tip\",\"mouth_center\",\"right_ear_tragion\",\"left_ear_tragion\"]"
            }, mentions: ["keypoints"])
        // Anchors that do not match the heads, a missing decoding, an absurd input size, a NaN weight.
        assertRefused(
            try variant { m in m["outputs"] = "{\"scores\":[1],\"regressors\":[1]}" }, mentions: ["outputs"])
        assertRefused(try variant { m in m["decode"] = nil }, mentions: ["decode", "missing"])
        assertRefused(try variant { m in m["input_size"] = "100000" }, mentions: ["input_size"])
        assertRefused(try variant({ _ in }, poisonFirstWeight: true), mentions: ["nan"])
    }
}
