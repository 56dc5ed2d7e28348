import ExpressionModel
import Foundation
import XCTest

/// Every way a model file can be wrong gets an error naming the file (and the tensor).
final class ModelFileErrorTests: XCTestCase {
    let modelPath = ModelParityTests.root.appendingPathComponent("assets/fercam-resnet-cbam.safetensors").path
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: temporary) }

    func message(loading path: String) -> String {
        do {
            _ = try ExpressionClassifier(path: path)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    /// Splits a real model (the default one unless named) into (header object, tensor bytes), to write altered
    /// copies.
    func parts(of model: String? = nil) throws -> ([String: Any], Data) {
        let data = try Data(contentsOf: URL(fileURLWithPath: model ?? modelPath))
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(
            JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        return (header, data.subdata(in: (8 + length)..<data.count))
    }

    func write(_ header: [String: Any], _ body: Data, name: String) throws -> String {
        let json = try JSONSerialization.data(withJSONObject: header)
        var length = UInt64(json.count).littleEndian
        var file = Data(bytes: &length, count: 8)
        file += json + body
        let url = temporary.appendingPathComponent(name)
        try file.write(to: url)
        return url.path
    }

    /// A damaged download: NaN, Inf or 3e38 in a weight once crashed eval and the window, and gave null scores
    /// in JSON. Refused at load, naming the tensor.
    func testNonFiniteAndHugeWeightsAreRefusedAtLoad() throws {
        let (header, body) = try parts()
        // The largest tensor: a convolution's weights, which every load reads.
        let tensors = header.compactMap { key, value -> (String, [Int])? in
            guard let offsets = (value as? [String: Any])?["data_offsets"] as? [Int] else { return nil }
            return (key, offsets)
        }
        let (name, offsets) = try XCTUnwrap(tensors.max { $0.1[1] - $0.1[0] < $1.1[1] - $1.1[0] })
        let offset = offsets[0]
        for (label, value) in [("nan", Float.nan), ("inf", -Float.infinity), ("huge", Float(3e38))] {
            var damaged = body
            withUnsafeBytes(of: value.bitPattern.littleEndian) { damaged.replaceSubrange((offset + 4)..<(offset + 8), with: $0) }
            let path = try write(header, damaged, name: "\(label).safetensors")
            let text = message(loading: path)
            XCTAssertTrue(text.hasPrefix("\(path): tensor \(name) holds "), text)
            XCTAssertTrue(text.contains("at element 1; the file is damaged"), text)
        }
    }

    /// Lengths, offsets and shapes near Int.max once trapped on overflow (found by mutating model files).
    func testHugeLengthsOffsetsAndShapesAreErrors() throws {
        var file = Data([0, 0, 0, 0, 0, 0, 0, 0x80]) + Data("{}".utf8)
        var url = temporary.appendingPathComponent("long.safetensors")
        try file.write(to: url)
        XCTAssertEqual(
            message(loading: url.path),
            "\(url.path): truncated model file: the header claims 9223372036854775808 bytes but only 2 follow")
        file = Data(repeating: 0xFF, count: 8) + Data("{}".utf8)
        url = temporary.appendingPathComponent("longer.safetensors")
        try file.write(to: url)
        XCTAssertTrue(message(loading: url.path).contains("the header claims 18446744073709551615 bytes"))

        let (header, body) = try parts()
        let name = try XCTUnwrap(header.keys.first { $0 != "__metadata__" })
        var bad = header
        var entry = try XCTUnwrap(header[name] as? [String: Any])
        entry["data_offsets"] = [0, Int.max - 3]
        bad[name] = entry
        XCTAssertTrue(message(loading: try write(bad, body, name: "offsets.safetensors")).contains("tensor \(name)"))
        entry = try XCTUnwrap(header[name] as? [String: Any])
        entry["shape"] = [1 << 40, 1 << 40]
        bad[name] = entry
        XCTAssertTrue(message(loading: try write(bad, body, name: "shape.safetensors")).contains("tensor \(name)"))

        var metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        var config = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(try XCTUnwrap(metadata["config"]).utf8)) as? [String: Any])
        config["input_size"] = 1 << 40
        metadata["config"] = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        bad = header
        bad["__metadata__"] = metadata
        let path = try write(bad, body, name: "size.safetensors")
        XCTAssertEqual(
            message(loading: path), "\(path): metadata \"config.input_size\": missing or not an integer from 1 to 512")
    }

    func testMissingFile() {
        let path = temporary.appendingPathComponent("nope.safetensors").path
        XCTAssertEqual(message(loading: path), "\(path): cannot open model: No such file or directory")
    }

    func testTruncatedFile() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: modelPath))
        let url = temporary.appendingPathComponent("cut.safetensors")
        try data.prefix(data.count - 1000).write(to: url)
        let text = message(loading: url.path)
        XCTAssertTrue(text.hasPrefix("\(url.path): truncated model file: tensor "), text)
        try data.prefix(5).write(to: url)
        XCTAssertEqual(
            message(loading: url.path),
            "\(url.path): truncated model file: 5 bytes, shorter than the 8-byte header length")
    }

    func testNotSafetensors() throws {
        let url = temporary.appendingPathComponent("text.safetensors")
        try Data("{\"hello\": 1}\n\n\n\n\n\n\n\n\n\n".utf8).write(to: url)
        XCTAssertTrue(
            message(loading: url.path).contains("not a safetensors file")
                || message(loading: url.path).contains("truncated"))
    }

    func testMissingTensor() throws {
        var (header, body) = try parts()
        header["stages.1.0.conv2.weight"] = nil
        let path = try write(header, body, name: "missing.safetensors")
        XCTAssertEqual(
            message(loading: path),
            "\(path): tensor stages.1.0.conv2.weight is missing (does the file match this fercam version?)")
    }

    /// Two equal class names once gave JSON objects with two equal keys.
    func testRepeatedClassNamesAreRefused() throws {
        var (header, body) = try parts()
        var metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        metadata["class_names"] = "[\"angry\",\"happy\",\"fear\",\"happy\",\"sad\",\"surprise\",\"neutral\"]"
        header["__metadata__"] = metadata
        let path = try write(header, body, name: "twice.safetensors")
        XCTAssertEqual(message(loading: path), "\(path): metadata \"class_names\": \"happy\" appears twice")
    }

    func testMismatchedArchitecture() throws {
        var (header, body) = try parts()
        var metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(metadata["config"]!.utf8)) as? [String: Any])
        config["stem_width"] = 8
        metadata["config"] = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        header["__metadata__"] = metadata
        let path = try write(header, body, name: "mismatch.safetensors")
        XCTAssertTrue(
            message(loading: path).hasPrefix(
                "\(path): tensor stem.0.weight has shape [16, 1, 3, 3], expected [8, 1, 3, 3]"), message(loading: path))
    }

    func testMissingMetadata() throws {
        var (header, body) = try parts()
        header["__metadata__"] = ["format": "fercam-resnet-cbam/1"]
        let path = try write(header, body, name: "bare.safetensors")
        XCTAssertEqual(message(loading: path), "\(path): metadata \"config\": missing")
    }

    func withMetadata(
        _ model: String? = nil, name: String, _ change: (inout [String: String]) throws -> Void
    ) throws -> String {
        var (header, body) = try parts(of: model)
        var metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        try change(&metadata)
        header["__metadata__"] = metadata
        return try write(header, body, name: name)
    }

    func testUnknownArchitectureAndFormat() throws {
        let unknown = try withMetadata(name: "unknown.safetensors") { $0["format"] = "fercam-vit/1" }
        XCTAssertEqual(
            message(loading: unknown),
            "\(unknown): metadata \"format\": \"vit\" is not an architecture this fercam knows "
                + "(resnet-cbam, lbp-attention, cnn-alstm, deep-emotion, manet)")
        let other = try withMetadata(name: "other.safetensors") { $0["format"] = "pt" }
        XCTAssertEqual(
            message(loading: other), "\(other): metadata \"format\": expected fercam-ARCHITECTURE/1, found pt")
    }

    /// Each seed system's file is checked against its own architecture.
    func testSeedSystemFilesAreCheckedToo() throws {
        let deepEmotion = ModelParityTests.root.appendingPathComponent("assets/fercam-deep-emotion.safetensors").path
        var (header, body) = try parts(of: deepEmotion)
        header["localisation.9.weight"] = nil
        let missing = try write(header, body, name: "no-transform.safetensors")
        XCTAssertEqual(
            message(loading: missing),
            "\(missing): tensor localisation.9.weight is missing (does the file match this fercam version?)")

        let cnnALSTM = ModelParityTests.root.appendingPathComponent("assets/fercam-cnn-alstm.safetensors").path
        let paper = try withMetadata(cnnALSTM, name: "paper.safetensors") {
            $0["config"] = #"{"classes": 7, "local_attention": true, "size": "paper"}"#
        }
        XCTAssertEqual(message(loading: paper), "\(paper): metadata \"config.size\": expected one of light")
        let classes = try withMetadata(cnnALSTM, name: "classes.safetensors") {
            $0["config"] = #"{"classes": 5, "size": "light"}"#
        }
        XCTAssertEqual(message(loading: classes), "\(classes): metadata \"class_names\": 7 names for 5 classes")
        // A file whose architecture name was swapped: the other architecture's tensors are missing.
        for (format, tensor) in [
            ("deep-emotion", "localisation.0.weight"), ("lbp-attention", "raw.0.0.weight"),
            ("manet", "front.0.0.weight"),
            ("resnet-cbam", "stem.0.weight"),
        ] {
            let swapped = try withMetadata(cnnALSTM, name: "swapped-\(format).safetensors") {
                $0["format"] = "fercam-\(format)/1"
                if format == "resnet-cbam" {
                    $0["config"] = try XCTUnwrap(self.parts().0["__metadata__"] as? [String: String])["config"]
                }
                if format == "manet" { $0["config"] = #"{"widths": [32, 64, 128, 256]}"# }
            }
            XCTAssertEqual(
                message(loading: swapped),
                "\(swapped): tensor \(tensor) is missing (does the file match this fercam version?)")
        }
        let manet = ModelParityTests.root.appendingPathComponent("assets/fercam-manet.safetensors").path
        let widths = try withMetadata(manet, name: "widths.safetensors") {
            $0["config"] = #"{"classes": 7, "widths": [32, 64, 128]}"#
        }
        XCTAssertEqual(message(loading: widths), "\(widths): metadata \"config.widths\": expected four block widths")
    }

    /// A model file states the crop it was chosen at; `--margin` (an explicit cropping) overrides it, and a file
    /// without one gets the default the seed systems were chosen at.
    func testTheModelFileChoosesItsMargin() throws {
        XCTAssertEqual(try ExpressionClassifier(path: modelPath).cropping.margin, 0)
        XCTAssertEqual(try ExpressionClassifier(path: modelPath, cropping: FaceCropping(margin: 0.2)).cropping.margin, 0.2)
        let seed = ModelParityTests.root.appendingPathComponent("assets/fercam-manet.safetensors").path
        XCTAssertEqual(try ExpressionClassifier(path: seed).cropping.margin, -0.15)
        let stated = try withMetadata(seed, name: "stated.safetensors") { $0["margin"] = "0.1" }
        XCTAssertEqual(try ExpressionClassifier(path: stated).cropping.margin, 0.1)
        for bad in ["wide", "1.5", "nan", "-0.3"] {
            let path = try withMetadata(name: "margin-\(bad).safetensors") { $0["margin"] = bad }
            XCTAssertEqual(
                message(loading: path), "\(path): metadata \"margin\": expected a number from -0.25 to 1.0, found \(bad)")
        }
    }
}
