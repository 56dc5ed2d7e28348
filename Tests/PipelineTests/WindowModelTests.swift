import Foundation
import Frames
import ImageFiles
import XCTest

/// The live window with every shipped model, offscreen: the model is loaded on the main thread and runs on
/// the analysis thread. With oneDNN's default (per-thread) scratchpad, a Winograd convolution run there wrote
/// through a null pointer and the window crashed, while headless runs, on one thread, did not.
final class WindowModelTests: XCTestCase {
    static let faces = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/faces/caltech1999").standardized.path

    func testEveryModelRunsInTheWindow() throws {
        let binary = try XCTUnwrap(InterruptedRecordingTests.binary, "fercam is not built")
        guard FileManager.default.fileExists(atPath: Self.faces) else {
            throw XCTSkip("\(Self.faces) is absent: needs ../shared/data/faces")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Twelve photographs, 30 a second, replayed at their pace, as the screenshots are.
        let input = dir.appendingPathComponent("faces.y4m").path
        let writer = try Y4MWriter(path: input, header: Y4MHeader(width: 640, height: 480, frameRate: Ratio(30, 1)))
        for number in 1...12 {
            let photo = try ImageFile.loadGray(Self.faces + String(format: "/image_%04d.jpg", number))
            var canvas = GrayImage(width: 640, height: 480, fill: 100)
            for y in 0..<photo.height { for x in 0..<photo.width { canvas[x + 96, y + 92] = photo[x, y] } }
            try writer.write(YUVFrame(gray: canvas))
        }
        for model in ["resnet-cbam", "lbp-attention", "cnn-alstm", "deep-emotion", "manet"] {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["--input", input, "--exit-at-end", "--model", model]
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["SDL_VIDEODRIVER": "offscreen", "SWIFT_BACKTRACE": "enable=no"]) { $1 }
            let err = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = err
            try process.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let how = process.terminationReason == .exit ? "exited with" : "was killed by signal"
            XCTAssertTrue(
                process.terminationReason == .exit && process.terminationStatus == 0,
                "\(model): fercam \(how) \(process.terminationStatus): \(stderr)")
        }
    }
}
