import Frames
import Glibc
import Posix

/// Where an annotated video's sound comes from: the source file, from `start` seconds on.
public struct AudioTrack: Sendable, Equatable {
    public var path: String
    public var start: Double

    public init(path: String, start: Double = 0) {
        self.path = path
        self.start = start
    }
}

/// Writes frames to a video file: `.y4m` directly, any other name through an `ffmpeg` child that
/// encodes what it reads as Y4M on a pipe (the container and codec follow the name: H.264 in `.mp4`
/// and `.mkv`, VP9 in `.webm`, ...). An existing file is replaced. Every frame is written in full
/// before `write` returns; nothing is dropped, so the result does not depend on the machine's speed.
public final class VideoWriter {
    public let path: String
    private let encoder: ChildProcess?
    private let writer: Y4MWriter

    public var framesWritten: Int { writer.framesWritten }

    /// `audio`: a file whose first audio stream (if it has one) is muxed in beside the frames, encoded with the
    /// container's default codec and cut to the video's length, so that it stays in sync. Y4M has no audio.
    public init(path: String, header: Y4MHeader, executable: String = "ffmpeg", audio: AudioTrack? = nil) throws {
        self.path = path
        if path.lowercased().hasSuffix(".y4m") {
            encoder = nil
            writer = try Y4MWriter(path: path, header: header)
            return
        }
        var arguments = ["-y", "-f", "yuv4mpegpipe", "-i", "-"]
        if let audio {
            arguments += FFmpeg.seek(to: audio.start) + ["-i", audio.path]
            arguments += ["-map", "0:v:0", "-map", "1:a:0?", "-shortest"]
        }
        let child = try FFmpeg.start(
            executable, arguments: arguments + ["-pix_fmt", "yuv420p", path],
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
        let lines = encoder.errorText().split(separator: "\n").map(String.init)
        if lines.contains(where: { $0.contains("Unable to choose an output format") || $0.contains("Unable to find a suitable output format") }) {
            return InputError("\(path): no video format has this name's extension (use .mp4, .mkv, .webm, .mov or .y4m)")
        }
        let said = lines.last
        switch ended {
        case .exited(0): return nil
        case .exited(let code):
            return InputError("\(path): ffmpeg cannot write it: \(said ?? "exit status \(code)")")
        case .signalled(let signal):
            return InputError("\(path): \(encoder.executable) was killed by signal \(signal)")
        }
    }
}
