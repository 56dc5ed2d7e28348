import Foundation
import Frames
import Pipeline
import XCTest

/// The window's stepping keys go through `Repositionable` sources: a seek lands on the frame asked for, in a
/// Y4M file and in a video read through ffmpeg, also inside the wrappers the window puts around them.
final class SteppingTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-step-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Frame n of these clips is gray level 2n + 10 all over.
    func level(_ frame: SourceFrame) -> Int { Int(frame.frame.bytes[frame.frame.width * 10 + 10]) }

    func assertSteps(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var source = try XCTUnwrap(
            InputSource.openForReplay(path) as? SeekableInput, "a file must come back seekable", file: file, line: line)
        for expected in 0..<3 { XCTAssertEqual(try source.next()?.index, expected, file: file, line: line) }
        for target in [40, 39, 7, 0, 99] {
            XCTAssertTrue(try source.seek(toFrame: target))
            let frame = try XCTUnwrap(try source.next(), file: file, line: line)
            XCTAssertEqual(frame.index, target, file: file, line: line)
            XCTAssertEqual(frame.pts, Double(target) / 25, accuracy: 1e-9, file: file, line: line)
            XCTAssertEqual(level(frame), 2 * target + 10, accuracy: 1, "pixels of frame \(target)", file: file, line: line)
        }
    }

    func testStepsLandOnTheFrameAskedForInY4M() throws {
        let path = directory.appendingPathComponent("ramp.y4m").path
        let writer = try Y4MWriter(path: path, header: Y4MHeader(width: 32, height: 24, frameRate: Ratio(25, 1)))
        for n in 0..<100 { try writer.write(YUVFrame(gray: GrayImage(width: 32, height: 24, fill: UInt8(2 * n + 10)))) }
        try assertSteps(path)
    }

    func testStepsLandOnTheFrameAskedForInVideo() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("install ffmpeg") }
        let path = directory.appendingPathComponent("ramp.mkv").path
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = [
            "-v", "error", "-f", "lavfi", "-i", "color=black:size=32x24:rate=25,geq=lum='2*N+10':cb=128:cr=128",
            "-frames:v", "100", "-c:v", "ffv1", "-pix_fmt", "yuv420p", path,
        ]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        XCTAssertEqual(ffmpeg.terminationStatus, 0)
        try assertSteps(path)
    }

    /// The window wraps the input (its first frame read ahead, a recording): a seek goes through both, and a
    /// frame met again after stepping back is not recorded twice.
    func testSeeksGoThroughTheWindowsWrappers() throws {
        let path = directory.appendingPathComponent("ramp.y4m").path
        let writer = try Y4MWriter(path: path, header: Y4MHeader(width: 32, height: 24, frameRate: Ratio(25, 1)))
        for n in 0..<20 { try writer.write(YUVFrame(gray: GrayImage(width: 32, height: 24, fill: UInt8(2 * n + 10)))) }
        var input = try InputSource.openForReplay(path)
        let first = try XCTUnwrap(try input.next())
        let recording = directory.appendingPathComponent("rec.y4m").path
        var source = RecordingSource(PrependedSource(first: first, rest: input), path: recording)
        XCTAssertEqual(try source.next()?.index, 0)
        XCTAssertEqual(try source.next()?.index, 1)
        XCTAssertEqual(try source.next()?.index, 2)
        XCTAssertTrue(try source.seek(toFrame: 1))
        XCTAssertEqual(try source.next()?.index, 1)
        XCTAssertEqual(try source.next()?.index, 2)
        XCTAssertEqual(try source.next()?.index, 3)
        let recorded = try Y4MSource(path: recording)
        var frames: [Int] = []
        var reader = recorded
        while let frame = try reader.next() { frames.append(level(frame)) }
        XCTAssertEqual(frames, [10, 12, 14, 16], "frames 0-3, each once")
        var stdin = PrependedSource(first: first, rest: try Y4MSource(path: path))
        XCTAssertFalse(try stdin.seek(toFrame: 3), "a plain stream cannot seek")
    }
}
