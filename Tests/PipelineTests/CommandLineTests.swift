import Foundation
import Frames
import ImageFiles
import XCTest

/// The built binary's command line: help for every command goes to stdout with status 0, a bad flag
/// is one usage error with status 64, a missing file one `fercam:` line with status 1.
final class CommandLineTests: XCTestCase {
    private func run(
        _ arguments: [String], binary: URL? = nil, directory: URL? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        try runFercam(arguments, binary: binary, directory: directory)
    }

    /// Examples are never wrapped mid-path: every line under "Examples:" keeps its indentation at 80 columns.
    func testHelpExamplesFitEightyColumns() throws {
        for command in [[], ["eval"], ["detect"], ["stability"], ["report"], ["models"], ["bench"], ["bench", "detect"],
                        ["bench", "model"]] {
            let help = try run(command + ["--help"]).stdout
            guard let start = help.range(of: "Example") else { continue }
            // The examples run from the line after "Examples:" to the first blank line.
            let section = help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
                .dropFirst().prefix { !$0.isEmpty }
            for line in section {
                XCTAssertTrue(line.hasPrefix("  "), "\(command): a wrapped example line: \(line)")
            }
        }
    }

    func testHelpForEveryCommand() throws {
        for arguments in [
            ["--help"], ["eval", "--help"], ["detect", "--help"], ["help", "bench"], ["run", "-h"],
            ["stability", "--help"], ["report", "--help"], ["bench", "model", "--help"],
            ["bench", "detect", "--help"], ["bench", "tracking", "--help"], ["models", "--help"],
        ] {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("USAGE:"), "\(arguments): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("Example"), "\(arguments): help without an example")
            XCTAssertEqual(result.stderr, "", "\(arguments)")
        }
    }

    func testVersionNamesTheModelAndItsChecksum() throws {
        let result = try run(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), "fercam 0.5.0")
        let model = try XCTUnwrap(lines.dropFirst().first)
        XCTAssertTrue(model.hasPrefix("model fercam-resnet-cbam.safetensors sha256 "), String(model))
        XCTAssertEqual(model.split(separator: " ").last?.count, 64)
    }

    /// `fercam models` lists every seed system, installed or not; `--model NAME` picks one, and a name that is
    /// not installed is one line naming where it looked.
    func testModelsAndChoosingOneByName() throws {
        let listed = try run(["models", "--json", "--no-timing"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let rows = try listed.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(
            rows.compactMap { $0["model"] as? String },
            ["resnet-cbam", "lbp-attention", "cnn-alstm", "deep-emotion", "manet"])
        for row in rows {
            XCTAssertEqual(row["installed"] as? Bool, true, "\(row)")
            XCTAssertGreaterThan(try XCTUnwrap(row["parameters"] as? Int), 10_000)
            XCTAssertGreaterThan(try XCTUnwrap(row["val_fer2013"] as? Double), 0.4)
            // The default reads 64-pixel faces at the margin its file states; the seed systems 48 at -0.15.
            let isDefault = row["model"] as? String == "resnet-cbam"
            XCTAssertEqual(row["input_size"] as? Int, isDefault ? 64 : 48, "\(row)")
            XCTAssertEqual(row["margin"] as? Double, isDefault ? 0 : -0.15, "\(row)")
        }
        let table = try run(["models", "--no-timing"])
        XCTAssertTrue(table.stdout.hasPrefix("model "), table.stdout)
        XCTAssertTrue(table.stdout.contains("deep-emotion    003"), table.stdout)

        let version = try run(["--model", "cnn-alstm", "--version"])
        XCTAssertTrue(version.stdout.contains("model fercam-cnn-alstm.safetensors sha256 "), version.stdout)
        let picture = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-model-\(getpid()).pgm")
        defer { try? FileManager.default.removeItem(at: picture) }
        try Data(PNM.encode(GrayImage(width: 64, height: 64, fill: 90))).write(to: picture)
        let chosen = try run(["--model", "deep-emotion", "--input", picture.path, "--stdout", "--no-timings"])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        XCTAssertTrue(chosen.stdout.contains("\"faces\":"), chosen.stdout)

        // A copy of the binary with no models beside it (and none in its working directory).
        let lonely = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-lonely-\(getpid())")
        try FileManager.default.createDirectory(at: lonely, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: lonely) }
        let copy = lonely.appendingPathComponent("fercam")
        try FileManager.default.copyItem(at: try XCTUnwrap(InterruptedRecordingTests.binary), to: copy)
        let absent = try run(
            ["--model", "manet", "--input", picture.path, "--stdout"], binary: copy, directory: lonely)
        XCTAssertEqual(absent.status, 1)
        XCTAssertTrue(
            absent.stderr.hasPrefix("fercam: model manet is not installed: no fercam-manet.safetensors in "),
            absent.stderr)
        XCTAssertEqual(absent.stderr.filter { $0 == "\n" }.count, 1, absent.stderr)
    }

    func testBadFlagAndMissingFile() throws {
        let flag = try run(["--scale-factor", "1.0002", "--input", "x.y4m"])
        XCTAssertEqual(flag.status, 64)
        XCTAssertTrue(flag.stderr.hasPrefix("Error: --scale-factor must be from 1.01 to 10 (got 1.0002)"), flag.stderr)
        for (flag, message) in [
            (["--smoothing=-1"], "--smoothing must be from 0 to 10 seconds (got -1.0)"),
            (["--switch-margin", "2"], "--switch-margin must be from 0 to 1 (got 2.0)"),
            (["--keep-frames", "5000"], "--keep-frames must be from 0 to 1000 (got 5000)"),
            (["--margin", "1.5"], "--margin must be from -0.25 to 1.0 (got 1.5)"),
        ] {
            let result = try run(flag + ["--input", "x.y4m", "--stdout"])
            XCTAssertEqual(result.status, 64, "\(flag)")
            XCTAssertTrue(result.stderr.hasPrefix("Error: " + message), result.stderr)
        }
        let stills = try run(["stability", "/nonexistent/clip.y4m"])
        XCTAssertEqual(stills.status, 1)
        XCTAssertTrue(stills.stderr.hasPrefix("fercam: /nonexistent/clip.y4m"), stills.stderr)
        let missing = try run(["detect", "/nonexistent/face.jpg"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "fercam: /nonexistent/face.jpg: No such file or directory\n")
        let video = try run(["--input", "/nonexistent/clip.mp4", "--stdout"])
        XCTAssertEqual(video.status, 1)
        XCTAssertEqual(video.stderr, "fercam: /nonexistent/clip.mp4: No such file or directory\n")
    }

    /// The reliability diagram is drawn against the folder labels unless `--reliability-labels` names one of the
    /// `--labels` files; any other value is a usage error.
    func testReliabilityDiagramLabels() throws {
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-reliability-\(getpid())")
        defer { try? FileManager.default.removeItem(at: tree) }
        for (folder, fill) in [("happy", UInt8(200)), ("sad", UInt8(60))] {
            let directory = tree.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(PNM.encode(GrayImage(width: 48, height: 48, fill: fill)))
                .write(to: directory.appendingPathComponent("face.pgm"))
        }
        let csv = tree.appendingPathComponent("relabelled.csv").path
        try Data("path,label\nhappy/face.pgm,sad\nsad/face.pgm,sad\n".utf8).write(to: URL(fileURLWithPath: csv))
        let folderPNG = tree.appendingPathComponent("folder.png").path
        let csvPNG = tree.appendingPathComponent("csv.png").path
        let byFolder = try run(["eval", tree.path, "--labels", csv, "--reliability", folderPNG, "--json"])
        XCTAssertEqual(byFolder.status, 0, byFolder.stderr)
        let byFile = try run([
            "eval", tree.path, "--labels", csv, "--reliability", csvPNG, "--reliability-labels", csv, "--json",
        ])
        XCTAssertEqual(byFile.status, 0, byFile.stderr)
        let pictures = try [folderPNG, csvPNG].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        XCTAssertEqual(pictures.map { Array($0.prefix(4)) }, [[0x89, 0x50, 0x4E, 0x47], [0x89, 0x50, 0x4E, 0x47]])
        XCTAssertNotEqual(pictures[0], pictures[1], "both diagrams drawn against the same labels")

        let bad = try run(["eval", tree.path, "--reliability", folderPNG, "--reliability-labels", "ferplus.csv"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(
            bad.stderr.hasPrefix(
                "Error: --reliability-labels must be folder or one of the --labels files (got ferplus.csv)"),
            bad.stderr)
    }

    /// A video file in, JSON Lines and an annotated video out, in one run of the binary.
    func testVideoInRenderedVideoOut() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("install ffmpeg") }
        let directory = NSTemporaryDirectory() + "fercam-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clip = directory + "/in.webm", rendered = directory + "/out.y4m"
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = [
            "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "2", "-c:v",
            "libvpx-vp9", clip,
        ]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        XCTAssertEqual(ffmpeg.terminationStatus, 0)
        let result = try run(["--input", clip, "--stdout", "--no-expressions", "--no-timings", "--render", rendered])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 20)
        XCTAssertTrue(result.stdout.hasPrefix("{\"frame\":0,\"pts\":0.0,\"source\":\"\(clip)\",\"width\":320"))
        let reader = try Y4MReader(path: rendered)
        var frames = 0
        while try reader.next() != nil { frames += 1 }
        XCTAssertEqual(frames, 20)
        XCTAssertEqual(reader.header.width, 320)
    }
}

/// `--detector` in the modes that print: BlazeFace's faces carry keypoints, a score and the roll; Haar's do not;
/// a bad name is a usage error.
final class DetectorFlagTests: XCTestCase {
    static let frame = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.cache/blazeface-frames/caltech1999-image_0024.ppm").standardized.path

    func testBlazeFaceFacesCarryKeypointsInEveryPrintingMode() throws {
        guard FileManager.default.fileExists(atPath: Self.frame) else {
            throw XCTSkip("\(Self.frame) is absent: `make test` writes it (scripts/blazeface/reference.py)")
        }
        for detector in ["blazeface", "blazeface-full"] {
            let stdout = try runFercam(["--input", Self.frame, "--stdout", "--no-timings", "--detector", detector])
            XCTAssertEqual(stdout.status, 0, stdout.stderr)
            let record = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(stdout.stdout.utf8)) as? [String: Any])
            let faces = try XCTUnwrap(record["faces"] as? [[String: Any]])
            XCTAssertEqual(faces.count, 1, "\(detector): one face in the portrait")
            let keypoints = try XCTUnwrap(faces[0]["keypoints"] as? [String: [Double]], detector)
            XCTAssertEqual(Set(keypoints.keys), ["right_eye", "left_eye", "nose_tip", "mouth_center",
                                                "right_ear_tragion", "left_ear_tragion"])
            // The subject's right eye is on the image's left, both inside the box.
            let box = try XCTUnwrap(faces[0]["box"] as? [Int])
            let (right, left) = (try XCTUnwrap(keypoints["right_eye"]), try XCTUnwrap(keypoints["left_eye"]))
            XCTAssertLessThan(right[0], left[0])
            for eye in [right, left] {
                XCTAssertTrue(Double(box[0])...Double(box[0] + box[2]) ~= eye[0], "\(detector): \(eye) in \(box)")
                XCTAssertTrue(Double(box[1])...Double(box[1] + box[3]) ~= eye[1], "\(detector): \(eye) in \(box)")
            }
            XCTAssertGreaterThan(try XCTUnwrap(faces[0]["detector_score"] as? Double), 0.6)
            XCTAssertLessThan(abs(try XCTUnwrap(faces[0]["roll_deg"] as? Double)), 10, "an upright portrait")
            XCTAssertNotNil(faces[0]["label"], "the face is classified")

            let detect = try runFercam(["detect", Self.frame, "--json", "--detector", detector])
            XCTAssertEqual(detect.status, 0, detect.stderr)
            XCTAssertTrue(detect.stdout.contains("\"details\":[{\"detector_score\":"), detect.stdout)
            let csv = try runFercam(["--input", Self.frame, "--stdout", "--format", "csv", "--detector", detector])
            let row = try XCTUnwrap(csv.stdout.split(separator: "\n").dropFirst().first)
                .split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertGreaterThan(Double(String(row[9])) ?? 0, 0.6, "detector_score column")
        }
        let haar = try runFercam(["--input", Self.frame, "--stdout", "--no-timings", "--detector", "haar"])
        XCTAssertFalse(haar.stdout.contains("keypoints"), "Haar gives no keypoints")
        XCTAssertTrue(haar.stdout.contains("\"box\""), haar.stderr)
    }

    /// `eval --detect` finds faces with auto unless told otherwise, and says so; face crops name no detector.
    func testEvalDetectsWithAutoByDefaultAndSaysWhich() throws {
        guard FileManager.default.fileExists(atPath: Self.frame) else {
            throw XCTSkip("\(Self.frame) is absent: `make test` writes it (scripts/blazeface/reference.py)")
        }
        let tree = NSTemporaryDirectory() + "fercam-auto-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tree + "/neutral", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tree) }
        try FileManager.default.createSymbolicLink(atPath: tree + "/neutral/a.ppm", withDestinationPath: Self.frame)
        for (flags, detector) in [([], "auto"), (["--detector", "haar,blazeface"], "haar,blazeface")] {
            let eval = try runFercam(["eval", tree, "--detect", "--json"] + flags)
            XCTAssertEqual(eval.status, 0, eval.stderr)
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(report["detector"] as? String, detector)
            XCTAssertEqual(report["no_face"] as? Int, 0)
            let text = try runFercam(["eval", tree, "--detect"] + flags)
            XCTAssertTrue(text.stdout.hasPrefix("faces found by --detector \(detector)\n"), text.stdout)
        }
        let crops = try runFercam(["eval", tree, "--json"])
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(crops.stdout.utf8)) as? [String: Any])
        XCTAssertTrue(report["detector"] is NSNull, crops.stdout)
    }

    func testABadDetectorIsAUsageErrorAndAMissingFileOneLine() throws {
        let bad = try runFercam(["detect", "x.jpg", "--detector", "yolo"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--detector must be auto, haar, blazeface, blazeface-full"), bad.stderr)
        for list in ["haar,yolo", "haar,", ","] {
            let badList = try runFercam(["detect", "x.jpg", "--detector", list])
            XCTAssertEqual(badList.status, 64, list)
            XCTAssertTrue(badList.stderr.contains("(got \(list))"), badList.stderr)
        }
        let missing = try runFercam(["detect", "x.jpg", "--detector", "/nonexistent/d.safetensors"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("fercam: /nonexistent/d.safetensors: cannot open model"), missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
    }
}
