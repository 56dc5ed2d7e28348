import Foundation
import Frames
import ImageFiles
import Pipeline
import Posix
import XCTest

/// The faults a new user found (issue 32), each as they met it: one clear line and a non-zero exit, no
/// destroyed input, no partial file, no child process left behind.
final class UserFaultTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-faults-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func writeClip(_ name: String, frames: Int = 3) throws -> String {
        let file = path(name)
        let writer = try Y4MWriter(path: file, header: Y4MHeader(width: 64, height: 48, frameRate: Ratio(10, 1)))
        for i in 0..<frames { try writer.write(YUVFrame(gray: GrayImage(width: 64, height: 48, fill: UInt8(i * 50)))) }
        return file
    }

    func size(_ file: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
    }

    /// `--render` or `--record` onto the input (by name, symbolic or hard link) once truncated it to one frame.
    func testAnOutputThatIsTheInputIsRefusedBeforeAnythingIsWritten() throws {
        let clip = try writeClip("clip.y4m")
        let before = try size(clip)
        try FileManager.default.createSymbolicLink(atPath: path("soft.y4m"), withDestinationPath: clip)
        try FileManager.default.linkItem(atPath: clip, toPath: path("hard.y4m"))
        for (flag, output) in [("--render", clip), ("--render", path("soft.y4m")), ("--record", path("hard.y4m"))] {
            let result = try runFercam(["--input", clip, "--stdout", "--no-expressions", flag, output])
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertTrue(result.stderr.contains("\(flag) \(output) is the input file itself"), result.stderr)
            XCTAssertEqual(try size(clip), before, "the input must be untouched")
        }
        // Another name is fine.
        let other = try runFercam(["--input", clip, "--stdout", "--no-expressions", "--record", path("copy.y4m")])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertEqual(try size(path("copy.y4m")), before)
    }

    /// Negative numbers parse as the help writes them (`--margin -0.2`), and a negative where none makes sense
    /// gets the option's own message rather than "Missing value".
    func testNegativeOptionValuesParse() throws {
        try FileManager.default.createDirectory(atPath: path("tree/happy"), withIntermediateDirectories: true)
        try ImageFile.writePNG(solid(48, 48, 128), path: path("tree/happy/a.png"))
        let eval = try runFercam(["eval", path("tree"), "--margin", "-0.2", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let fps = try runFercam(["--input", try writeClip("c.y4m"), "--stdout", "--fps", "-5"])
        XCTAssertEqual(fps.status, 64)
        XCTAssertTrue(fps.stderr.contains("--fps must be above 0"), fps.stderr)
    }

    /// Silent successes that were not: each is now an error line and a non-zero status.
    func testQuietFaultsAreErrors() throws {
        let empty = path("empty.y4m")
        try Data("YUV4MPEG2 W64 H48 F10:1 C420jpeg\n".utf8).write(to: URL(fileURLWithPath: empty))
        let none = try runFercam(["--input", empty, "--stdout", "--no-expressions", "--render", path("out.y4m")])
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(none.stderr, "fercam: \(empty): no frames in it; \(path("out.y4m")) was not written\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.y4m")))

        let clip = try writeClip("clip.y4m")
        for (arguments, message) in [
            (["--min-size", "100", "--max-size", "50"], "--max-size 50 is below --min-size 100"),
            (["--fps", "10"], "--fps sets a camera's rate"),
            (["--record", path("out.mp4")], "--record writes Y4M: name the file .y4m"),
        ] {
            let result = try runFercam(["--input", clip, "--stdout"] + arguments)
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
        }

        try FileManager.default.createDirectory(atPath: path("tree/happy"), withIntermediateDirectories: true)
        try ImageFile.writePNG(solid(48, 48, 128), path: path("tree/happy/a.png"))
        try "path,label\nsad/zz.png,sad\n".write(toFile: path("other.csv"), atomically: true, encoding: .utf8)
        let unmatched = try runFercam(["eval", path("tree"), "--labels", path("other.csv")])
        XCTAssertEqual(unmatched.status, 1)
        XCTAssertTrue(unmatched.stderr.contains("labels none of the 1 images"), unmatched.stderr)
        try "path,label\nhappy/a.png,happy\nhappy/a.png,sad\n".write(
            toFile: path("twice.csv"), atomically: true, encoding: .utf8)
        let twice = try runFercam(["eval", path("tree"), "--labels", path("twice.csv")])
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(
            twice.stderr.contains("line 3: happy/a.png is listed again and contradicts an earlier row"), twice.stderr)
    }

    /// Messages that pointed the wrong way now say what is wrong.
    func testMessagesPointTheRightWay() throws {
        let size = try runFercam(["--size", "99999x99999", "--input", try writeClip("c.y4m"), "--stdout"])
        XCTAssertTrue(size.stderr.contains("--size 99999x99999 is too large: at most 8192x8192"), size.stderr)
        let model = try runFercam(["eval", directory.path, "--model", "resnet"])
        XCTAssertEqual(model.status, 1)
        XCTAssertTrue(model.stderr.contains("--model resnet: no such model or file (names: resnet-cbam,"), model.stderr)
        let device = try runFercam(["--device", "/dev/null", "--stdout"])
        XCTAssertEqual(device.status, 1)
        XCTAssertEqual(device.stderr.split(separator: "\n").count, 1, "libv4l2's own lines are not shown: \(device.stderr)")
        XCTAssertTrue(device.stderr.hasPrefix("fercam: /dev/null: "), device.stderr)
        let missing = try runFercam(["eval", "/nonexistent"])
        XCTAssertEqual(missing.stderr, "fercam: /nonexistent: No such file or directory\n")
        let folder = try runFercam(["--input", try writeClip("d.y4m"), "--render", directory.path])
        XCTAssertEqual(folder.status, 64)
        XCTAssertTrue(folder.stderr.contains("--render \(directory.path) is a directory"), folder.stderr)
        let long = String(repeating: "x", count: 2_000_000)
        try FileManager.default.createDirectory(atPath: path("tree/happy"), withIntermediateDirectories: true)
        try ImageFile.writePNG(solid(48, 48, 128), path: path("tree/happy/a.png"))
        try "path,label\nhappy/a.png,\(long)\n".write(toFile: path("long.csv"), atomically: true, encoding: .utf8)
        let field = try runFercam(["eval", path("tree"), "--labels", path("long.csv")])
        XCTAssertEqual(field.status, 1)
        XCTAssertLessThan(field.stderr.count, 300, "a 2 MB field is not echoed whole")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { return }
        let audio = path("tone.wav")
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", audio]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        let sound = try runFercam(["--input", audio, "--stdout", "--no-expressions"])
        XCTAssertEqual(sound.status, 1)
        XCTAssertEqual(sound.stderr, "fercam: \(audio): has no video stream (an audio-only file?)\n")
        let format = try runFercam(["--input", try writeClip("e.y4m"), "--render", path("out.xyz"), "--no-expressions"])
        XCTAssertEqual(format.status, 1)
        XCTAssertTrue(format.stderr.contains("no video format has this name's extension"), format.stderr)
    }

    /// One undecodable image in a folder once ended the run and lost the rest.
    func testFolderRunsSkipAnUndecodableImageAndExitNonZeroAtTheEnd() throws {
        try FileManager.default.createDirectory(atPath: path("photos"), withIntermediateDirectories: true)
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: path("photos/a-broken.jpg")))
        for name in ["b.png", "c.png"] {
            try ImageFile.writePNG(solid(80, 60, 90), path: path("photos/\(name)"))
        }
        let run = try runFercam(["--input", path("photos"), "--stdout", "--no-expressions", "--no-timings"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 2, "both readable images are analysed")
        let lines = run.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, run.stderr)
        XCTAssertTrue(lines[0].hasPrefix("fercam: \(path("photos/a-broken.jpg")): skipped: "), run.stderr)
        XCTAssertEqual(lines.last, "fercam: 1 image could not be read and was skipped (listed above)")

        let detect = try runFercam(["detect", path("photos/a-broken.jpg"), path("photos/b.png")])
        XCTAssertEqual(detect.status, 1)
        XCTAssertEqual(detect.stdout, "\(path("photos/b.png")): 0 faces\n")
    }

    /// A full disk once left truncated PNGs and exit 0. Needs root (a small tmpfs), as CI runs.
    func testAFullDiskLeavesNoPartialFileAndFails() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let full = path("full")
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        guard shell("mount -t tmpfs -o size=64k tmpfs '\(full)'") == 0 else { throw XCTSkip("cannot mount a tmpfs here") }
        defer { _ = shell("umount '\(full)'") }
        _ = shell("dd if=/dev/zero of='\(full)/filler' bs=1k 2>/dev/null")  // until the disk is full
        let log = path("run.jsonl")
        let lines = (0..<40).map { i in
            "{\"frame\":\(i),\"pts\":\(Double(i) / 10),\"faces\":[{\"box\":[0,0,9,9],\"id\":1,\"label\":\"happy\","
                + "\"score\":0.6,\"scores\":{\"happy\":0.6,\"sad\":0.4}}]}"
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let report = try runFercam(["report", log, "-o", full + "/t.png", "--summary", full + "/s.csv"])
        XCTAssertEqual(report.status, 1)
        XCTAssertTrue(report.stderr.hasPrefix("fercam: \(full)/t.png: cannot write PNG"), report.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: full), ["filler"], "no partial file")
        let summary = try runFercam(["report", log, "--summary", full + "/s.csv"])
        XCTAssertEqual(summary.status, 1)
        XCTAssertTrue(summary.stderr.contains("No space left on device"), summary.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: full), ["filler"])
    }

    /// fercam reading a FIFO that nobody writes: SIGTERM or SIGINT must end it and its ffmpeg (which catches
    /// SIGTERM and sat in open()); the ffmpeg child once stayed behind, reparented to init.
    func testASignalEndsFercamAndItsBlockedFFmpeg() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("install ffmpeg") }
        for signal in [SIGTERM, SIGINT] {
            let fifo = path("never-written-\(signal)")
            XCTAssertEqual(mkfifo(fifo, 0o600), 0)
            let process = Process()
            process.executableURL = try XCTUnwrap(InterruptedRecordingTests.binary)
            process.arguments = ["--input", fifo, "--stdout", "--no-expressions"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + 60) { kill(pid, SIGKILL) }  // a hang fails below
            // Wait until ffmpeg has started (it is fercam's child).
            var children: [pid_t] = []
            for _ in 0..<500 where children.isEmpty {
                children = childProcesses(of: pid)
                usleep(20_000)
            }
            XCTAssertFalse(children.isEmpty, "ffmpeg never started")
            usleep(300_000)
            kill(pid, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 128 + signal)
            for child in children { XCTAssertNotEqual(kill(child, 0), 0, "ffmpeg \(child) outlived fercam") }
        }
    }

    /// A child that ignores SIGTERM is killed after the grace period and reaped.
    func testTerminateAndReapKillsAChildThatIgnoresSIGTERM() throws {
        let child = try ChildProcess("sh", arguments: ["-c", "trap '' TERM; sleep 30"], input: .null, output: .null)
        usleep(100_000)
        child.terminateAndReap(grace: 0.2)
        XCTAssertEqual(try child.wait(), .signalled(SIGKILL))
        XCTAssertNotEqual(kill(child.pid, 0), 0)
    }

    /// An uncommitted atomic file leaves nothing behind; a committed one appears whole.
    func testAtomicFileAppearsWholeOrNotAtAll() throws {
        let target = path("out.csv")
        do {
            let file = try AtomicFile(path: target)
            try file.write(Array("half".utf8))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
        try AtomicFile.write(Array("a,b\n".utf8), to: target)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "a,b\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.csv"])
        XCTAssertThrowsError(try AtomicFile.write([1], to: path("no/such/dir/x"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path("no/such/dir/x")): cannot write: No such file"), "\(error)")
        }
    }

    /// `eval --list`: the images a held-out split names, with one error line for each way a list is wrong.
    func testListFilesSelectASubsetAndNameTheirFaults() throws {
        let classes = ["angry", "happy"]
        for name in ["angry/a.png", "happy/b.png", "happy/c.png"] {
            try FileManager.default.createDirectory(
                atPath: path("tree/" + name.split(separator: "/")[0]), withIntermediateDirectories: true)
            try ImageFile.writePNG(solid(4, 4, 1), path: path("tree/" + name))
        }
        func list(_ text: String) throws -> String {
            try text.write(toFile: path("list.txt"), atomically: true, encoding: .utf8)
            return path("list.txt")
        }
        let images = try LabelledImages(
            root: path("tree"), listFile: try list("# held out\nhappy/c.png\n\nangry/a.png\n"), classNames: classes)
        XCTAssertEqual(images.items.map(\.path), [path("tree/happy/c.png"), path("tree/angry/a.png")])
        XCTAssertEqual(images.items.map(\.label), [1, 0])
        for (text, fault) in [
            ("sad/x.png\n", "list.txt:1: sad/x.png is not <class>/<file>"),
            ("happy/b.png\nhappy/b.png\n", "list.txt:2: happy/b.png is listed twice"),
            ("happy/zz.png\n", "list.txt:1: \(path("tree/happy/zz.png")) does not exist"),
            ("# nothing\n", "list.txt: lists no images"),
        ] {
            XCTAssertThrowsError(try LabelledImages(root: path("tree"), listFile: try list(text), classNames: classes)) {
                XCTAssertTrue("\($0)".contains(fault), "\($0)")
            }
        }
    }

    func testPaddingRepeatsTheEdges() {
        let image = GrayImage(width: 2, height: 1, pixels: [10, 20])
        XCTAssertEqual(image.padded(by: 1), GrayImage(width: 4, height: 3, pixels: [10, 10, 20, 20, 10, 10, 20, 20, 10, 10, 20, 20]))
        XCTAssertEqual(image.padded(by: 0), image)
    }

    private func solid(_ width: Int, _ height: Int, _ value: UInt8) -> RGBImage {
        RGBImage(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height * 3))
    }

    private func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    private func childProcesses(of parent: pid_t) -> [pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(parent)/task/\(parent)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0) }
    }
}
