import Charts
import Foundation
import Frames
import Pipeline
import SDLKit
import XCTest

/// `fercam report`: a run's JSON Lines read back into per-face timelines, summarised and charted.
final class EmotionTimelineTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "fercam-report-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func write(_ lines: [String]) throws -> String {
        let path = directory + "/run.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A face object as `fercam --stdout` writes it, with most of its weight on `label`.
    func face(_ id: Int?, _ label: String, box: [Int] = [10, 10, 80, 80], uncertain: Bool = false) -> String {
        let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
        let scores = classes.map { "\"\($0)\":\($0 == label ? 0.7 : 0.05)" }.joined(separator: ",")
        let track = id.map { "\"id\":\($0),\"age\":1,\"age_s\":0.0," } ?? ""
        let box = box.map(String.init).joined(separator: ",")
        return "{\"box\":[\(box)],\(track)\"label\":\"\(label)\",\"score\":0.7,\"scores\":{\(scores)}"
            + (id == nil ? "}" : ",\"uncertain\":\(uncertain)}")
    }

    func frame(_ index: Int, fps: Double = 10, _ faces: [String]) -> String {
        "{\"frame\":\(index),\"pts\":\(Double(index) / fps),\"source\":\"clip.mp4\",\"width\":640,\"height\":480,"
            + "\"faces\":[\(faces.joined(separator: ","))]}"
    }

    func testTracksBecomeTimelinesAndSummaries() throws {
        var lines: [String] = []
        for i in 0..<20 {
            // Face 1: happy for 15 frames then sad (uncertain for 2); face 2 arrives at frame 10, neutral.
            var faces = [face(1, i < 15 ? "happy" : "sad", uncertain: i == 15 || i == 16)]
            if i >= 10 { faces.append(face(2, "neutral", box: [300, 10, 60, 60])) }
            lines.append(frame(i, faces))
        }
        let run = try RunTimelines(jsonLines: try write(lines))
        XCTAssertTrue(run.tracked)
        XCTAssertEqual(run.frames, 20)
        XCTAssertEqual(run.frameInterval, 0.1, accuracy: 1e-9)
        XCTAssertEqual(run.source, "clip.mp4")
        XCTAssertEqual(run.classNames, ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
        XCTAssertEqual(run.faces.map(\.id), [1, 2])
        let summaries = run.summaries()
        XCTAssertEqual(summaries[0].frames, 20)
        XCTAssertEqual(summaries[0].seconds, 2, accuracy: 1e-9)
        XCTAssertEqual(summaries[0].shares[3], 0.75, accuracy: 1e-9)
        XCTAssertEqual(summaries[0].shares[4], 0.25, accuracy: 1e-9)
        XCTAssertEqual(summaries[0].uncertainShare, 0.1, accuracy: 1e-9)
        XCTAssertEqual(summaries[1].first, 1, accuracy: 1e-9)
        XCTAssertEqual(summaries[1].shares[6], 1)
        XCTAssertEqual(
            run.summaryCSV().split(separator: "\n").first,
            "face,first_s,last_s,frames,seconds,angry,disgust,fear,happy,sad,surprise,neutral,uncertain")
        XCTAssertEqual(
            run.summaryCSV().split(separator: "\n")[1], "1,0.0,1.9,20,2.0,0.0,0.0,0.0,0.75,0.25,0.0,0.0,0.1")
        XCTAssertTrue(
            JSONLines.timelineSummary(run).hasPrefix("{\"source\":\"clip.mp4\",\"frames\":20,\"tracked\":true"))
    }

    func testWithoutTracksEachFramesLargestFaceStandsForTheRun() throws {
        // Stills: every pts is 0, so the axis is the frame number.
        let lines = (0..<4).map { i in
            "{\"frame\":\(i),\"pts\":0.0,\"source\":\"p\(i).jpg\",\"width\":640,\"height\":480,\"faces\":["
                + face(nil, "fear", box: [0, 0, 50, 50]) + ","
                + face(nil, i < 2 ? "happy" : "sad", box: [0, 0, 90, 90])
                + "]}"
        }
        let run = try RunTimelines(jsonLines: try write(lines))
        XCTAssertFalse(run.tracked)
        XCTAssertFalse(run.timed)
        XCTAssertEqual(run.faces.count, 1)
        XCTAssertEqual(run.faces[0].times, [0, 1, 2, 3])
        XCTAssertEqual(run.summaries()[0].shares[3], 0.5)
        XCTAssertEqual(run.summaries()[0].shares[2], 0, "the smaller face is not counted")
    }

    /// Found by FuzzRunLog: a box of 8888888888888888888888 pixels overflowed the area; ids beyond Int too.
    func testAbsurdNumbersInALogAreHarmless() throws {
        let huge = face(nil, "sad", box: [0, 0, 1, 1]).replacingOccurrences(
            of: "[0,0,1,1]", with: "[1,2,8888888888888888888888,88888888888888888888]")
        let path = try write([
            frame(0, [huge, face(nil, "happy")]),
            frame(1, [face(1, "fear").replacingOccurrences(of: "\"id\":1,", with: "\"id\":1e300,")]),
        ])
        let run = try RunTimelines(jsonLines: path)
        // The id 1e300 is no track id, so the run is untracked: each frame's largest face counts.
        XCTAssertFalse(run.tracked)
        XCTAssertEqual(run.faces.count, 1)
        XCTAssertEqual(run.summaries()[0].shares[4], 0.5, "the huge box is the largest face of frame 0")
        XCTAssertEqual(run.summaries()[0].shares[2], 0.5)
    }

    /// A pts of 1e19 once trapped converting a tick to Int; a score of 1e300 became an infinite line.
    func testTimesAndScoresOutOfRangeAreErrorsAndExtremeOnesDraw() throws {
        let far = try write([frame(0, [face(1, "happy")]).replacingOccurrences(of: "\"pts\":0.0", with: "\"pts\":1e19")])
        XCTAssertThrowsError(try RunTimelines(jsonLines: far)) { error in
            XCTAssertEqual("\(error)", "\(far): line 1: \"pts\" 1e+19 is out of range (at most 1000000000 seconds)")
        }
        let score = try write([frame(0, [face(1, "happy").replacingOccurrences(of: "\"happy\":0.7", with: "\"happy\":1e300")])])
        XCTAssertThrowsError(try RunTimelines(jsonLines: score)) { error in
            XCTAssertTrue("\(error)".hasSuffix("score \"happy\" is not a probability from 0 to 1"), "\(error)")
        }
        // The largest time allowed, beside 0: the axis and its labels still draw.
        let span = try write([
            frame(0, [face(1, "happy")]),
            frame(1, [face(1, "sad")]).replacingOccurrences(of: "\"pts\":0.1", with: "\"pts\":1e9"),
        ])
        let image = try EmotionTimeline.render(try RunTimelines(jsonLines: span), title: "span", width: 640)
        XCTAssertEqual(image.width, 640)
    }

    /// `report --start/--end/--every`: only the frames of the part, every Nth, at their own times.
    func testAPartOfTheRun() throws {
        let path = try write((0..<10).map { frame($0, [face(1, $0 < 5 ? "happy" : "sad")]) })
        let run = try RunTimelines(jsonLines: path, part: VideoPart(start: 0.3, end: 0.8, every: 2))
        XCTAssertEqual(run.faces.count, 1)
        XCTAssertEqual(run.faces[0].times, [0.3, 0.5, 0.7])
        XCTAssertThrowsError(try RunTimelines(jsonLines: path, part: VideoPart(start: 5))) { error in
            XCTAssertEqual("\(error)", "\(path): no frames in the part asked for")
        }
    }

    func testBadLogsAreOneLineNamingTheLine() throws {
        let path = try write([frame(0, [face(1, "happy")]), "{\"frame\":1,", frame(2, [])])
        XCTAssertThrowsError(try RunTimelines(jsonLines: path)) { error in
            XCTAssertEqual("\(error)", "\(path): line 2: not a JSON object (is this fercam's --stdout output?)")
        }
        let detectionsOnly = try write([frame(0, ["{\"box\":[1,2,3,4]}"])])
        XCTAssertThrowsError(try RunTimelines(jsonLines: detectionsOnly)) { error in
            XCTAssertTrue("\(error)".hasSuffix("no expressions in it (no faces, or a run with --no-expressions)"))
        }
        let empty = try write([])
        XCTAssertThrowsError(try RunTimelines(jsonLines: empty)) { error in
            XCTAssertEqual("\(error)", "\(empty): no frames in it")
        }
        XCTAssertThrowsError(try RunTimelines(jsonLines: directory + "/absent.jsonl"))
    }

    /// Each face gets a panel: its lines in the classes' colors, its band in the shown label's color.
    func testTheChartDrawsEachFacesLinesAndBand() throws {
        guard FileManager.default.fileExists(atPath: Font.regularPath) else {
            throw XCTSkip("install fonts-dejavu-core")
        }
        var lines: [String] = []
        for i in 0..<50 {
            var faces = [face(1, "happy")]
            if i >= 25 { faces.append(face(2, "sad", box: [300, 10, 60, 60])) }
            lines.append(frame(i, faces))
        }
        let run = try RunTimelines(jsonLines: try write(lines))
        let image = try EmotionTimeline.render(run, title: "test", width: 1000)
        XCTAssertEqual(image.width, 1000)
        func count(_ color: Color, in rows: Range<Int>, columns: Range<Int>) -> Int {
            var n = 0
            for y in rows {
                for x in columns {
                    let i = (y * image.width + x) * 3
                    if abs(Int(image.pixels[i]) - Int(color.r)) < 8 && abs(Int(image.pixels[i + 1]) - Int(color.g)) < 8
                        && abs(Int(image.pixels[i + 2]) - Int(color.b)) < 8
                    {
                        n += 1
                    }
                }
            }
            return n
        }
        let happy = ExpressionPalette.ink(for: "happy"), sad = ExpressionPalette.ink(for: "sad")
        // Panel 1 (face 1): happy all along, no sad band; panel 2 (face 2): sad, only in the second half.
        let panel1 = 92..<(92 + 196), panel2 = (92 + 196)..<(92 + 2 * 196)
        XCTAssertGreaterThan(count(happy, in: panel1, columns: 64..<976), 900 * 14)
        XCTAssertEqual(count(sad, in: panel1, columns: 64..<976) > 900 * 14, false)
        XCTAssertGreaterThan(count(sad, in: panel2, columns: 520..<976), 400 * 14)
        XCTAssertLessThan(count(sad, in: panel2, columns: 64..<500), 10)
    }
}
