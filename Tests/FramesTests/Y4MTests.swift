import Foundation
import Frames
import XCTest

final class Y4MTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-y4m-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func pattern(_ width: Int, _ height: Int, _ subsampling: ChromaSubsampling, seed: Int) -> YUVFrame {
        let count = subsampling.frameByteCount(width: width, height: height)
        return YUVFrame(
            width: width, height: height, subsampling: subsampling,
            bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) })
    }

    func readAll(_ path: String) throws -> (Y4MHeader, [YUVFrame]) {
        let reader = try Y4MReader(path: path)
        var frames: [YUVFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        return (reader.header, frames)
    }

    func testRoundTripEveryColorspace() throws {
        for colorspace in ["420jpeg", "420mpeg2", "420paldv", "420", "422", "444", "mono"] {
            let header = Y4MHeader(
                width: 7, height: 5, frameRate: Ratio(30000, 1001), interlacing: "p", pixelAspect: Ratio(1, 1),
                colorspace: colorspace, comments: ["COLORRANGE=FULL"])
            let file = path("\(colorspace).y4m")
            let writer = try Y4MWriter(path: file, header: header)
            let frames = (0..<3).map { pattern(7, 5, header.subsampling, seed: $0) }
            for frame in frames { try writer.write(frame) }
            let (readHeader, readFrames) = try readAll(file)
            XCTAssertEqual(readHeader, header, colorspace)
            XCTAssertEqual(readFrames, frames, colorspace)
        }
    }

    func testTruncatedFrameReportsFrameAndByte() throws {
        let file = path("cut.y4m")
        let writer = try Y4MWriter(path: file, header: Y4MHeader(width: 4, height: 4, colorspace: "420jpeg"))
        for i in 0..<3 { try writer.write(pattern(4, 4, .yuv420, seed: i)) }
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data.removeLast(20)
        try data.write(to: URL(fileURLWithPath: file))
        let reader = try Y4MReader(path: file)
        XCTAssertNotNil(try reader.next())
        XCTAssertNotNil(try reader.next())
        let headerBytes = reader.header.encoded.utf8.count
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertEqual(
                "\(error)", "\(file): frame 2 (byte \(headerBytes + 2 * 30)): truncated frame, expected 24 bytes, got 4"
            )
        }
    }

    func testCorruptHeadersAndMarkers() throws {
        let cases: [(String, String)] = [
            ("", "empty file, expected a YUV4MPEG2 header"),
            ("GIF89a\n", "not a Y4M file (no YUV4MPEG2 signature)"),
            (
                "YUV4MPEG2 W4 H4 C420p10\n",
                "unsupported colorspace '420p10' (supported: 420jpeg, 420mpeg2, 420paldv, 420, 422, 444, mono; 8-bit only)"
            ),
            ("YUV4MPEG2 W4 C420\n", "header lacks W (width) or H (height)"),
            ("YUV4MPEG2 W0 H4\n", "frame size 0x4 is out of range (at most 16384 a side, 64 megapixels)"),
            (
                "YUV4MPEG2 W16384 H16384\n",
                "frame size 16384x16384 is out of range (at most 16384 a side, 64 megapixels)"
            ),
            (
                "YUV4MPEG2 W4 H4 F30:0\n",
                "bad frame rate '30:0' (expected N:D between 1:1000 and 1000:1 frames per second)"
            ),
            // Once overflowed the timestamp of the JSON output.
            (
                "YUV4MPEG2 W4 H4 F1:9223372036854775807\n",
                "bad frame rate '1:9223372036854775807' (expected N:D between 1:1000 and 1000:1 frames per second)"
            ),
        ]
        for (index, (content, reason)) in cases.enumerated() {
            let file = path("bad\(index).y4m")
            try Data(content.utf8).write(to: URL(fileURLWithPath: file))
            XCTAssertThrowsError(try Y4MReader(path: file)) { error in
                XCTAssertEqual("\(error)", "\(file): byte 0: \(reason)")
            }
        }
        let file = path("marker.y4m")
        try Data("YUV4MPEG2 W2 H2 Cmono\nFRAME\nabcdFRAMX\n".utf8).write(to: URL(fileURLWithPath: file))
        let reader = try Y4MReader(path: file)
        XCTAssertNotNil(try reader.next())
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertEqual("\(error)", "\(file): frame 1 (byte 32): expected a FRAME marker, found 'FRAMX'")
        }
    }

    /// A full disk during a recording, made with a file size limit (EFBIG is what a full disk's ENOSPC
    /// looks like to the writer): the file keeps only whole frames and stays readable.
    func testFullDiskKeepsOnlyWholeFrames() throws {
        let file = path("full.y4m")
        let header = Y4MHeader(width: 32, height: 16, colorspace: "420jpeg")
        let writer = try Y4MWriter(path: file, header: header)
        let frameBytes = 6 + header.frameByteCount, headerBytes = header.encoded.utf8.count
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var saved = rlimit()
        let fileSize = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        getrlimit(fileSize, &saved)
        var limited = saved
        limited.rlim_cur = rlim_t(headerBytes + frameBytes * 3 + frameBytes / 2)
        setrlimit(fileSize, &limited)
        var failure: Error?
        for seed in 0..<5 where failure == nil {
            do { try writer.write(pattern(32, 16, .yuv420, seed: seed)) } catch { failure = error }
        }
        setrlimit(fileSize, &saved)
        signal(SIGXFSZ, previousHandler)

        let error = try XCTUnwrap(failure)
        XCTAssertTrue("\(error)".hasSuffix("; the file keeps the 3 whole frames before it"), "\(error)")
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        XCTAssertEqual(size, headerBytes + 3 * frameBytes)
        let reader = try Y4MReader(path: file)
        for seed in 0..<3 { XCTAssertEqual(try reader.next(), pattern(32, 16, .yuv420, seed: seed)) }
        XCTAssertNil(try reader.next())
    }

    func testMissingFile() {
        XCTAssertThrowsError(try Y4MReader(path: "/nonexistent/clip.y4m")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/clip.y4m: No such file or directory")
        }
    }

    /// ffmpeg writes what we read, and reads what we write.
    func testFFmpegInteroperatesBothWays() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else {
            throw XCTSkip("ffmpeg is not installed")
        }
        for pixelFormat in ["yuv420p", "yuv422p", "yuv444p", "gray"] {
            let made = path("ff-\(pixelFormat).y4m")
            try run(
                "/usr/bin/ffmpeg",
                [
                    "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "4",
                    "-pix_fmt", pixelFormat, "-f", "yuv4mpegpipe", made,
                ])
            let (header, frames) = try readAll(made)
            XCTAssertEqual(frames.count, 4, pixelFormat)
            XCTAssertEqual(header.width, 64)
            XCTAssertEqual(header.frameRate, Ratio(25, 1))
            // Re-write, let ffmpeg decode ours, and compare its raw frames with our planes.
            let ours = path("ours-\(pixelFormat).y4m")
            let writer = try Y4MWriter(path: ours, header: header)
            for frame in frames { try writer.write(frame) }
            let raw = path("raw-\(pixelFormat).yuv")
            try run(
                "/usr/bin/ffmpeg",
                ["-loglevel", "error", "-y", "-i", ours, "-f", "rawvideo", "-pix_fmt", pixelFormat, raw])
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: raw)), Data(frames.flatMap(\.bytes)), pixelFormat)
        }
    }

    func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(tool) \(arguments.joined(separator: " "))")
    }
}

final class ImageTests: XCTestCase {
    func testDecimalTextOfHugeAndTinyValues() {
        XCTAssertEqual(decimalText(9.2e18, decimals: 6, minimumDecimals: 1), "9200000000000000000.0")
        let huge = decimalText(-1e300, decimals: 2)
        XCTAssertTrue(huge.hasPrefix("-1000000000") && huge.count == 302, huge)
        XCTAssertEqual(decimalText(.infinity, decimals: 2), "null")
        XCTAssertEqual(decimalText(29.97, decimals: 2), "29.97")
        XCTAssertEqual(decimalText(2, decimals: 2), "2")
    }

    func testExactBilinearMatchesOpenCVOnKnownValues() {
        // 4x1 -> 3x1: OpenCV's INTER_LINEAR_EXACT gives [7, 50, 77] for [0, 40, 60, 80] (checked with cv2.resize).
        let row = GrayImage(width: 4, height: 1, pixels: [0, 40, 60, 80])
        XCTAssertEqual(ExactBilinear.resize(row, width: 3, height: 1).pixels, [7, 50, 77])
    }
}
