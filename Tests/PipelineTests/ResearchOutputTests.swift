import Foundation
import Frames
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
        let run = try runFercam(["--input", clip, "--stdout", "--no-timings", "--csv", table])
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
        let printed = try runFercam(["--input", clip, "--stdout", "--format", "csv"])
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
}
