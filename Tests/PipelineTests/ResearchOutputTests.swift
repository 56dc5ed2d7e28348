import Foundation
import Frames
import ImageFiles
import Pipeline
import XCTest

/// Tables for research runs (issue 34): `--csv` rows checked value by value against the JSON Lines of the
/// same run, and `eval --predictions` rows against the images they name.
final class ResearchOutputTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testCSVRowsAreTheJSONLinesFaceByFace() throws {
        let clip = try ReplayTests.makeStream(frames: 4)
        defer { try? FileManager.default.removeItem(atPath: clip) }
        let table = directory.appendingPathComponent("faces.csv").path
        // fp32 for both runs: `--precision auto` times both precisions at start-up and may choose differently.
        let run = try runFercam(["--input", clip, "--stdout", "--no-timings", "--csv", table, "--precision", "fp32"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let csv = try String(contentsOfFile: table, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = csv[0]
        let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
        XCTAssertEqual(
            header,
            ["frame", "pts", "source", "face", "id", "box_x", "box_y", "box_w", "box_h", "detector_score", "label",
             "score", "uncertain"] + classes.map { "p_" + $0 } + ["raw_label", "raw_score"] + classes.map { "raw_" + $0 })
        var rows = csv.dropFirst().makeIterator()
        var compared = 0
        for line in run.stdout.split(separator: "\n") {
            let frame = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for (index, face) in (frame["faces"] as! [[String: Any]]).enumerated() {
                let row = try XCTUnwrap(rows.next())
                let value = { (name: String) in row[header.firstIndex(of: name)!] }
                XCTAssertEqual(Int(value("frame")), frame["frame"] as? Int)
                XCTAssertEqual(Double(value("pts"))!, frame["pts"] as! Double, accuracy: 1e-6)
                XCTAssertEqual(Int(value("face")), index)
                XCTAssertEqual(Int(value("id")), face["id"] as? Int)
                XCTAssertEqual(["box_x", "box_y", "box_w", "box_h"].map { Int(value($0))! }, face["box"] as! [Int])
                XCTAssertEqual(value("label"), face["label"] as? String)
                XCTAssertEqual(value("uncertain"), (face["uncertain"] as! Bool) ? "1" : "0")
                let scores = face["scores"] as! [String: Double], raw = face["raw"] as! [String: Any]
                let rawScores = raw["scores"] as! [String: Double]
                for name in classes {
                    XCTAssertEqual(Double(value("p_" + name))!, scores[name]!, accuracy: 1e-4)
                    XCTAssertEqual(Double(value("raw_" + name))!, rawScores[name]!, accuracy: 1e-4)
                }
                XCTAssertEqual(value("raw_label"), raw["label"] as? String)
                compared += 1
            }
        }
        XCTAssertNil(rows.next(), "one row per face and frame, no more")
        XCTAssertGreaterThan(compared, 0)
        // The same table on stdout.
        let printed = try runFercam(["--input", clip, "--stdout", "--format", "csv", "--precision", "fp32"])
        XCTAssertEqual(printed.stdout, try String(contentsOfFile: table, encoding: .utf8))
    }

    func testPredictionsHaveOneRowPerImage() throws {
        let faces = ReplayTests.facesRoot
        guard FileManager.default.fileExists(atPath: faces) else { throw XCTSkip("needs ../shared/data/faces") }
        // A two-class tree of links to shared photographs.
        for (name, photo) in [("happy/a.jpg", "caltech1999/image_0001.jpg"), ("sad/b.jpg", "caltech1999/image_0002.jpg")] {
            let link = directory.appendingPathComponent("tree/" + name)
            try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: faces + "/" + photo)
        }
        try Data([1, 2, 3]).write(to: directory.appendingPathComponent("tree/sad/none.png"))  // unreadable: no row
        try "path,label\nhappy/a.jpg,happy\nsad/b.jpg,neutral\n".write(
            to: directory.appendingPathComponent("mine.csv"), atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("p.csv").path
        let eval = try runFercam([
            "eval", directory.appendingPathComponent("tree").path, "--detect", "--predictions", out,
            "--labels", directory.appendingPathComponent("mine.csv").path,
        ])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        XCTAssertEqual(Array(rows[0].prefix(10)),
            ["path", "true_folder", "true_mine", "predicted", "score", "face_found", "box_x", "box_y", "box_w", "box_h"])
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[1].prefix(3), [directory.appendingPathComponent("tree/happy/a.jpg").path, "happy", "happy"])
        XCTAssertEqual(rows[2][2], "neutral")
        for row in rows.dropFirst() where row[5] == "1" {
            let probabilities = row.suffix(7).map { Double($0)! }
            XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertEqual(Double(row[4])!, probabilities.max()!, accuracy: 1e-6)
        }
    }

    private func ffmpeg(_ arguments: [String]) throws -> Data {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("install ffmpeg") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "ffmpeg \(arguments)")
        return data
    }

    /// A clip that turns from black to white at 3 s, with silence that turns into a 1 kHz tone at 3 s.
    private func makeToneClip() throws -> String {
        let clip = directory.appendingPathComponent("tone.mkv").path
        _ = try ffmpeg([
            "-f", "lavfi", "-i", "color=c=black:size=160x120:rate=25,geq=lum='if(gte(T,3),235,16)':cb=128:cr=128",
            "-f", "lavfi", "-i", "aevalsrc='if(gte(t,3),0.5*sin(2*PI*1000*t),0)':s=48000",
            "-t", "5", "-c:v", "ffv1", "-c:a", "flac", clip,
        ])
        return clip
    }

    /// `--render` keeps the sound, in sync, also from `--start`: the tone starts on the frame the picture turns
    /// white (within a frame); `--no-audio` drops it.
    func testRenderKeepsTheSoundInSync() throws {
        let clip = try makeToneClip()
        let out = directory.appendingPathComponent("out.mkv").path
        let run = try runFercam(["--input", clip, "--render", out, "--start", "1", "--no-expressions"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let luma = try ffmpeg(["-i", out, "-vf", "scale=16:12", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        let frames = stride(from: 0, to: luma.count, by: 192).map { luma[$0..<min($0 + 192, luma.count)] }
        let white = try XCTUnwrap(frames.firstIndex { $0.reduce(0) { $0 + Int($1) } / 192 > 128 })
        XCTAssertEqual(white, 50, "the change at 3 s of the source is 2 s into a render from 1 s")
        let pcm = try ffmpeg(["-i", out, "-f", "s16le", "-ac", "1", "-ar", "48000", "-"])
        let samples = pcm.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let onset = try XCTUnwrap(samples.firstIndex { abs(Int($0)) > 3000 })
        XCTAssertEqual(Double(onset) / 48000, Double(white) / 25, accuracy: 0.04)

        let silent = directory.appendingPathComponent("silent.mkv").path
        XCTAssertEqual(try runFercam(["--input", clip, "--render", silent, "--no-audio", "--no-expressions"]).status, 0)
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        probe.arguments = ["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", silent]
        let types = Pipe()
        probe.standardOutput = types
        try probe.run()
        probe.waitUntilExit()
        XCTAssertEqual(String(decoding: types.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "video\n")
    }

    /// `--start` seeks, `--duration` ends, `--every` keeps every Nth frame: the frames handed on are the
    /// source's own frames (same numbers, times and pixels as a whole run's).
    func testPartsOfAVideoAreTheSourcesFrames() throws {
        let clip = try makeToneClip()
        func frames(_ extra: [String]) throws -> [[String: Any]] {
            let run = try runFercam(["--input", clip, "--stdout", "--no-expressions", "--no-timings"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try run.stdout.split(separator: "\n").map {
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        let part = try frames(["--start", "0:02.8", "--duration", "0.4", "--every", "3"])
        XCTAssertEqual(part.map { $0["frame"] as! Int }, [70, 73, 76, 79])
        XCTAssertEqual(part.map { $0["pts"] as! Double }, [2.8, 2.92, 3.04, 3.16])
        // The seeked stream is the same pixels: rendered at its frame 75 (white) and 74 (black).
        for (start, white) in [("3", true), ("2.96", false)] {
            let out = directory.appendingPathComponent("f\(start).y4m").path
            XCTAssertEqual(
                try runFercam(["--input", clip, "--render", out, "--start", start, "--duration", "0.04", "--no-expressions"]).status, 0)
            let luma = try ffmpeg(["-i", out, "-vf", "crop=16:16:72:52", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
            XCTAssertEqual(luma.reduce(0) { $0 + Int($1) } / luma.count > 128, white, start)
        }
    }

    /// Folders as researchers keep them: `--recursive` takes images at any depth, in sorted path order, in
    /// folder runs, `detect` and `eval`.
    func testRecursiveFoldersInSortedOrder() throws {
        let root = directory.appendingPathComponent("study")
        let files = ["happy/s2/b.png", "happy/s1/a.png", "happy/c.png", "sad/deep/er/d.png"]
        for name in files {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try ImageFile.writePNG(RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 99, count: 192)), path: url.path)
        }
        // A link loop must not be followed forever.
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("sad/deep/loop").path, withDestinationPath: root.path)
        let sorted = ["happy/c.png", "happy/s1/a.png", "happy/s2/b.png", "sad/deep/er/d.png"].map {
            root.appendingPathComponent($0).path
        }
        let run = try runFercam(["--input", root.path, "--recursive", "--stdout", "--no-expressions", "--no-timings"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let sources = try run.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["source"] as? String
        }
        XCTAssertEqual(sources, sorted)
        let flat = try runFercam(["--input", root.path, "--stdout", "--no-expressions"])
        XCTAssertEqual(flat.status, 1, "without --recursive the top folder has no images")
        let detect = try runFercam(["detect", root.path, "--recursive"])
        XCTAssertEqual(detect.stdout.split(separator: "\n").map { String($0.split(separator: ":")[0]) }, sorted)
        let eval = try runFercam(["eval", root.path, "--recursive", "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["images"] as? Int, 4)
    }

    func testTheProgressBarEstimatesTheTimeLeft() {
        XCTAssertEqual(ProgressBar.remaining(done: 50, total: 150, elapsed: 10), "  0:20 left")
        XCTAssertEqual(ProgressBar.remaining(done: 1, total: 400, elapsed: 10), "  1:06:30 left")
        XCTAssertEqual(ProgressBar.remaining(done: 0, total: 10, elapsed: 10), "", "no rate yet")
        XCTAssertEqual(ProgressBar.remaining(done: 10, total: 10, elapsed: 10), "", "done")
    }
}
