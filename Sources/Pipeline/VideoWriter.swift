import Frames
import Glibc
import Posix

/// Writes frames to a video file: `.y4m` directly, any other name through an `ffmpeg` child that
/// encodes what it reads as Y4M on a pipe (the container and codec follow the name: H.264 in `.mp4`
/// and `.mkv`, VP9 in `.webm`, ...). An existing file is replaced. Every frame is written in full
/// before `write` returns; nothing is dropped, so the result does not depend on the machine's speed.
public final class VideoWriter {
    public let path: String
    private let encoder: ChildProcess?
    private let writer: Y4MWriter

    public var framesWritten: Int { writer.framesWritten }

    public init(path: String, header: Y4MHeader, executable: String = "ffmpeg") throws {
        self.path = path
        if path.lowercased().hasSuffix(".y4m") {
            encoder = nil
            writer = try Y4MWriter(path: path, header: header)
            return
        }
        let child = try FFmpeg.start(
            executable, arguments: ["-y", "-f", "yuv4mpegpipe", "-i", "-", "-pix_fmt", "yuv420p", path],
            input: .pipe, output: .null, path: path, task: "writing video", otherwise: "or write .y4m")
        encoder = child
        writer = Y4MWriter(
            output: ByteWriter(fileDescriptor: child.input!, name: path, ownsDescriptor: false), header: header)
    }

    /// An encoder is never killed: the frames it was given are the user's, so it is let finish the file.
    deinit {
        _ = finishEncoder()
    }

    public func write(_ frame: YUVFrame) throws {
        do {
            try withBrokenPipeAsError { () throws(FrameFormatError) in try writer.write(frame) }
        } catch {
            // A write fails when the encoder has gone: what it said is the reason.
            if let failure = finishEncoder() { throw failure }
            throw InputError(error.description)
        }
    }

    /// Ends the file: for an encoder, closes its input and waits until it has written everything.
    public func finish() throws {
        if let failure = finishEncoder() { throw failure }
    }

    private func finishEncoder() -> InputError? {
        guard let encoder else { return nil }
        encoder.closeInput()
        let ended: ChildProcess.Termination
        do { ended = try encoder.wait() } catch { return InputError("\(path): \(error)") }
        let said = encoder.errorText().split(separator: "\n").last.map(String.init)
        switch ended {
        case .exited(0): return nil
        case .exited(let code):
            return InputError("\(path): ffmpeg cannot write it: \(said ?? "exit status \(code)")")
        case .signalled(let signal):
            return InputError("\(path): \(encoder.executable) was killed by signal \(signal)")
        }
    }
}
