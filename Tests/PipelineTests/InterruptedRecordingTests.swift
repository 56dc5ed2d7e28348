import Foundation
import Frames
import XCTest

/// The built `fercam` binary, recording a stream it reads from a pipe, stopped by SIGINT or SIGTERM in the middle,
/// with no byte arriving: it must stop (exit status 128 + the signal), and the recording must be a valid Y4M file
/// (ffprobe agrees) holding exactly the frames whose JSON lines were printed.
final class InterruptedRecordingTests: XCTestCase {
    /// `swift test` builds the executable beside the tests, in the configuration it was asked for.
    static var binary: URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return ["release", "debug"].map { root.appendingPathComponent(".build/\($0)/fercam") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    func testSIGINTLeavesAValidRecording() throws { try interrupt(with: SIGINT) }
    func testSIGTERMLeavesAValidRecording() throws { try interrupt(with: SIGTERM) }

    private func interrupt(with signal: Int32) throws {
        let binary = try XCTUnwrap(Self.binary, "fercam is not built")
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/ffprobe"), "ffprobe is missing (make deps)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fercam-signal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let recording = directory.appendingPathComponent("rec.y4m").path

        let process = Process()
        process.executableURL = binary
        process.arguments = ["--input", "-", "--stdout", "--no-expressions", "--no-timings", "--record", recording]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Frames go in one by one; the signal arrives while the stream is still open.
        let header = Y4MHeader(width: 64, height: 48, colorspace: "420jpeg")
        input.fileHandleForWriting.write(Data(header.encoded.utf8))
        for index in 0..<6 {
            let frame = YUVFrame(gray: GrayImage(width: 64, height: 48, fill: UInt8(index * 40)))
            input.fileHandleForWriting.write(Data("FRAME\n".utf8) + Data(frame.bytes))
        }
        // A fercam that hangs is killed after 30 s, which ends the reads below and fails the test.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) { kill(pid, SIGKILL) }
        var printed = Data()
        while printed.split(separator: UInt8(ascii: "\n")).count < 6 {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += chunk
        }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        printed += output.fileHandleForReading.readDataToEndOfFile()
        try? input.fileHandleForWriting.close()

        XCTAssertEqual(process.terminationStatus, 128 + signal, "fercam should stop on signal \(signal) with 128 + it")
        let lines = printed.split(separator: UInt8(ascii: "\n")).count
        XCTAssertEqual(lines, 6)

        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/ffprobe")
        probe.arguments = [
            "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
            "stream=nb_read_frames,width,height", "-of", "csv=p=0", recording,
        ]
        let probed = Pipe()
        probe.standardOutput = probed
        try probe.run()
        probe.waitUntilExit()
        let text = String(decoding: probed.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(probe.terminationStatus, 0)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "64,48,\(lines)")
    }
}
