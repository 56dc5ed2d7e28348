import Foundation
import Frames
import Glibc
import Pipeline
import XCTest

/// Video files decoded through an ffmpeg child: clips made by ffmpeg here, and the shared crowd clip.
final class VideoInputTests: XCTestCase {
    static let crowdClip = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/video/walking-crowd-1080p.mp4").standardized.path

    var directory = ""

    override func setUpWithError() throws {
        guard (try? ffmpeg(["-version"])) != nil else { throw XCTSkip("ffmpeg is not installed") }
        directory = NSTemporaryDirectory() + "fercam-video-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func ffmpeg(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw InputError("ffmpeg \(arguments) failed") }
        return process.terminationStatus
    }

    /// A test-pattern clip of `seconds` at `rate` frames per second.
    func makeClip(_ name: String, seconds: Int, rate: Int = 25, codec: [String] = ["-c:v", "libx264"]) throws -> String
    {
        let path = directory + "/" + name
        try ffmpeg(
            ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=\(rate)", "-t", "\(seconds)", "-pix_fmt", "yuv420p"]
                + codec + [path])
        return path
    }

    func readAll(_ source: inout any FrameSource) throws -> [SourceFrame] {
        var frames: [SourceFrame] = []
        while let frame = try source.next() { frames.append(frame) }
        return frames
    }

    func testMP4IsDecodedFrameAccurateWithItsRateAndTimestamps() throws {
        let clip = try makeClip("clip.mp4", seconds: 2, rate: 15)
        XCTAssertTrue(VideoSource.handles(clip))
        var source = try InputSource.open(clip)
        XCTAssertEqual(source.frameRate, 15)
        XCTAssertTrue(source.isVideo)
        let frames = try readAll(&source)
        XCTAssertEqual(frames.count, 30)
        XCTAssertEqual(frames.map(\.index), Array(0..<30))
        XCTAssertEqual(frames[29].pts, 29.0 / 15, accuracy: 1e-9)
        XCTAssertEqual(frames[0].frame.width, 320)
        XCTAssertEqual(frames[0].frame.height, 240)
        XCTAssertEqual(frames[0].source, clip)
        // Frame-accurate: the decoded frames are ffmpeg's own, one for one (same luma as a Y4M it writes).
        let reference = directory + "/reference.y4m"
        try ffmpeg(["-i", clip, "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", reference])
        var y4m = try InputSource.open(reference)
        let expected = try readAll(&y4m)
        XCTAssertEqual(expected.count, frames.count)
        XCTAssertEqual(expected[17].frame.luma, frames[17].frame.luma)
    }

    func testRoutingKeepsY4MImagesAndFoldersOnTheirDirectPaths() {
        XCTAssertFalse(VideoSource.handles("-"))
        XCTAssertFalse(VideoSource.handles("clip.Y4M"))
        XCTAssertFalse(VideoSource.handles("photo.jpg"))
        XCTAssertFalse(VideoSource.handles(directory))
        XCTAssertTrue(VideoSource.handles("clip.webm"))
        XCTAssertTrue(VideoSource.handles("rtsp://camera.local/stream"))
    }

    func testMissingUnreadableAndDamagedInputsAreOneLine() throws {
        XCTAssertThrowsError(try InputSource.open(directory + "/absent.mp4")) { error in
            XCTAssertEqual("\(error)", "\(directory)/absent.mp4: No such file or directory")
        }
        let garbage = directory + "/garbage.mkv"
        try Data("this is not a video\n".utf8).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try InputSource.open(garbage)) { error in
            XCTAssertEqual("\(error)", "\(garbage): ffmpeg cannot decode it: Invalid data found when processing input")
        }
        // A clip cut in half: every frame before the cut arrives, then one error.
        let clip = try makeClip("clip.mkv", seconds: 4)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        let half = directory + "/half.mkv"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: half))
        var source = try InputSource.open(half)
        var decoded = 0
        do {
            while try source.next() != nil { decoded += 1 }
            XCTFail("a truncated clip must end in an error")
        } catch {
            XCTAssertEqual("\(error)", "\(half): the stream is damaged, ffmpeg says: File ended prematurely")
        }
        XCTAssertGreaterThan(decoded, 20)
        XCTAssertLessThan(decoded, 100)
    }

    func testMissingFFmpegSaysWhatToInstall() throws {
        let clip = try makeClip("clip.mp4", seconds: 1)
        XCTAssertThrowsError(try VideoSource(path: clip, executable: "ffmpeg-not-installed")) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(clip): reading this video needs ffmpeg-not-installed, which is not"))
        }
    }

    func testAStopEndsTheStreamAndTheChild() throws {
        let clip = try makeClip("long.mp4", seconds: 20)
        let stop = StopSignal()
        var source: VideoSource? = try VideoSource(path: clip, stop: stop)
        _ = try source!.next()
        stop.requestStop()
        XCTAssertNil(try source!.next())
        let children = try childProcesses()
        XCTAssertEqual(children.count, 1, "ffmpeg runs until the source goes away")
        source = nil
        XCTAssertEqual(try childProcesses(), [], "the child is ended and reaped with the source")
    }

    func testTheSharedCrowdClip() throws {
        guard FileManager.default.fileExists(atPath: Self.crowdClip) else {
            throw XCTSkip("\(Self.crowdClip) is absent")
        }
        var source = try InputSource.open(Self.crowdClip)
        XCTAssertEqual(source.frameRate, 25)
        var count = 0
        while let frame = try source.next() {
            XCTAssertEqual(frame.frame.width, 1920)
            count += 1
        }
        XCTAssertEqual(count, 105, "ffprobe counts 105 video packets")
    }

    /// This process's live children (pids), from /proc.
    func childProcesses() throws -> [Int32] {
        let me = getpid()
        return try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == me && fields[0] != "Z"
        }
    }
}
