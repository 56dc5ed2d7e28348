import ExpressionModel
import Foundation
import Frames
import LiveView
import Pipeline
import SDLKit
import XCTest

/// `--render`: frames drawn offscreen as the window draws them, written whole to a video file.
final class AnnotatedVideoTests: XCTestCase {
    static let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    var directory = ""

    override func setUpWithError() throws {
        setenv("SDL_VIDEODRIVER", "offscreen", 1)
        guard FileManager.default.fileExists(atPath: Font.regularPath) else {
            throw XCTSkip("install fonts-dejavu-core")
        }
        directory = NSTemporaryDirectory() + "fercam-render-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Frame `i`: a gray picture with a face box moving right, labelled happy.
    func frame(_ i: Int) -> (SourceFrame, FrameAnalysis) {
        let scores: [Float] = [0.05, 0, 0.05, 0.7, 0.1, 0.05, 0.05]
        let output = NetworkOutput(
            logits: scores, probabilities: scores,
            attention: AttentionMap(width: 6, height: 6, values: Array(repeating: 0.3, count: 36)))
        let face = DetectedFace(
            box: Rect(x: 150 + 10 * i, y: 160, width: 140, height: 140),
            expression: Expression(label: "happy", score: 0.7, scores: scores, output: output))
        let pts = Double(i) / 25
        let source = SourceFrame(
            index: i, pts: pts, source: "test", frame: YUVFrame(gray: GrayImage(width: 640, height: 480, fill: 110)))
        let analysis = FrameAnalysis(
            index: i, pts: pts, source: "test", width: 640, height: 480, faces: [face], classNames: Self.classes,
            milliseconds: [])
        return (source, analysis)
    }

    func render(to path: String, frames: Int = 10) throws {
        let video = try AnnotatedVideo(
            path: path, width: 640, height: 480, frameRate: 25, sourceName: "test", cropping: FaceCropping())
        for i in 0..<frames {
            let (source, analysis) = frame(i)
            try video.write(source, analysis)
        }
        try video.finish()
        XCTAssertEqual(video.framesWritten, frames)
    }

    func testEveryFrameIsWrittenAndTheResultIsTheSameEveryTime() throws {
        let first = directory + "/a.y4m", second = directory + "/b.y4m"
        try render(to: first)
        try render(to: second)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: first)), try Data(contentsOf: URL(fileURLWithPath: second)))
        let reader = try Y4MReader(path: first)
        XCTAssertEqual(reader.header.width, 640)
        XCTAssertEqual(reader.header.frameRate.value, 25)
        var frames: [YUVFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        XCTAssertEqual(frames.count, 10)
        XCTAssertNotEqual(frames[0].luma.pixels, frames[9].luma.pixels, "the box moves")
    }

    func testTheRenderedFrameIsWhatTheWindowShows() throws {
        let path = directory + "/one.y4m"
        try render(to: path, frames: 1)
        let rendered = try XCTUnwrap(try Y4MReader(path: path).next()).luma

        let display = try Display()
        let window = try Window(display: display, title: "test", width: 640, height: 480, hidden: true)
        let overlay = try OverlayRenderer(target: window, cropping: FaceCropping())
        let (source, analysis) = frame(0)
        try overlay.draw(frame: source.frame, analysis: analysis, options: OverlayOptions(), hud: HeadsUp(source: "x"))
        let shown = YUVFrame(rgb: try window.readPixels()).luma
        // Below the corner lines (which differ on purpose: stream time instead of the machine's timings),
        // every pixel agrees: box, label, bars and attention.
        var differing = 0, drawn = 0
        for y in 120..<480 {
            for x in 0..<640 {
                if abs(Int(rendered[x, y]) - Int(shown[x, y])) > 2 { differing += 1 }
                if abs(Int(rendered[x, y]) - 110) > 20 { drawn += 1 }
            }
        }
        XCTAssertEqual(differing, 0)
        XCTAssertGreaterThan(drawn, 2000, "the overlay is in the frame")
    }

    func testEncodingThroughFFmpeg() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/ffprobe") else { throw XCTSkip("install ffmpeg") }
        let path = directory + "/clip.mp4"
        try render(to: path, frames: 12)
        let probe = Process()
        let pipe = Pipe()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        probe.arguments = [
            "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames,width,height,r_frame_rate", "-of",
            "csv=p=0", path,
        ]
        probe.standardOutput = pipe
        try probe.run()
        probe.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "640,480,25/1,12")
    }

    func testAnEncoderFailureIsOneLineNamingTheFile() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("install ffmpeg") }
        let path = directory + "/no-such-folder/clip.mp4"
        XCTAssertThrowsError(try render(to: path, frames: 3)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(path): ffmpeg cannot write it: "), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}
