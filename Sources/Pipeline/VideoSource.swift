import Frames
import Glibc
import ImageFiles
import Posix

/// Frames from any video file or URL that ffmpeg reads (MP4, MKV, WebM, AVI, MOV, an RTSP or HTTP stream),
/// decoded by an `ffmpeg` child process into Y4M and read by the same reader as a Y4M file.
///
/// ffmpeg converts the first video stream to 8-bit 4:2:0 at the stream's frame rate; a variable-rate
/// stream becomes constant-rate (ffmpeg repeats or drops frames), so frame n is at n / rate seconds. A
/// failure of ffmpeg (an unreadable file, a broken stream) is thrown after every frame it decoded was
/// returned, in one line naming the input and what ffmpeg said. A stop requested through `stop` ends
/// the stream and the child; the child is also ended whenever the source goes away.
public struct VideoSource: FrameSource {
    private let decoder: Decoder
    public let name: String
    /// Frames before the seek point: frame numbers and times stay the source's.
    private let firstIndex: Int

    /// Whether `input` goes through ffmpeg: URLs, and files that are neither Y4M, images nor directories.
    public static func handles(_ input: String) -> Bool {
        if input.contains("://") { return true }
        let lowered = input.lowercased()
        if input == "-" || lowered.hasSuffix(".y4m") { return false }
        if case .directory? = try? FileKind(path: input) { return false }
        return !ImageFile.isImageName(input)
    }

    /// `start`: seconds into the input at which ffmpeg starts decoding (it seeks; nothing before is decoded).
    public init(path: String, stop: StopSignal? = nil, executable: String = "ffmpeg", start: Double = 0) throws {
        if !path.contains("://") {
            // Say plainly what is wrong with a local file before ffmpeg words it its own way.
            do {
                if try FileKind(path: path) == .directory { throw InputError("\(path): is a directory") }
            } catch let error as SystemCallError { throw InputError("\(path): \(error.message)") }
        }
        decoder = try Decoder(path: path, stop: stop, executable: executable, start: start)
        name = path
        firstIndex = Int((start * decoder.reader.header.frameRate.value).rounded())
    }

    public var header: Y4MHeader { decoder.reader.header }
    public var frameRate: Double? { decoder.reader.header.frameRate.value }

    public mutating func next() throws -> SourceFrame? {
        let index = firstIndex + decoder.reader.framesRead
        guard let frame = try decoder.next() else { return nil }
        let pts = Double(index) / decoder.reader.header.frameRate.value
        return SourceFrame(index: index, pts: pts, source: name, frame: frame)
    }

    /// The child and the reader over its output; a class so that the child ends with the last copy.
    final class Decoder {
        let child: ChildProcess
        let reader: Y4MReader
        let path: String
        let stop: StopSignal?

        init(path: String, stop: StopSignal?, executable: String, start: Double) throws {
            self.path = path
            self.stop = stop
            child = try FFmpeg.start(
                executable,
                arguments: FFmpeg.seek(to: start) + [
                    "-i", path, "-map", "0:v:0", "-an", "-sn", "-dn", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-",
                ],
                input: .null, output: .pipe, path: path, task: "reading this video",
                otherwise: "or convert it to .y4m elsewhere")
            let bytes = ByteReader(fileDescriptor: child.output!, name: path, ownsDescriptor: false)
            if let stop { bytes.stopRequested = { stop.received != nil } }
            do {
                reader = try Y4MReader(reader: bytes)
            } catch {
                throw Self.failure(child, path: path, stop: stop) ?? InputError(error.description)
            }
        }

        deinit {
            child.terminate()
        }

        func next() throws -> YUVFrame? {
            // Frames already buffered are not handed out after a stop.
            if stop?.received != nil { return nil }
            let frame: YUVFrame?
            do {
                frame = try reader.next()
            } catch {
                // A stop can cut the stream mid-frame; that is the end, not a fault.
                if stop?.received != nil { return nil }
                throw Self.failure(child, path: path, stop: stop) ?? InputError(error.description)
            }
            if frame == nil, let failure = Self.failure(child, path: path, stop: stop) { throw failure }
            return frame
        }

        /// What went wrong in ffmpeg, once its output has ended: nil when it finished cleanly or was stopped.
        static func failure(_ child: ChildProcess, path: String, stop: StopSignal?) -> InputError? {
            if stop?.received != nil {
                child.terminate()
                return nil
            }
            guard let ended = try? child.wait() else { return nil }
            let lines = child.errorText().split(separator: "\n").map { clean(String($0), path: path) }
            switch ended {
            case .exited(0):
                // ffmpeg ends a truncated or corrupt file with status 0 after its error lines: still a fault.
                guard let first = lines.first else { return nil }
                let count = lines.count == 1 ? "" : " (and \(lines.count - 1) more errors)"
                return InputError("\(path): the stream is damaged, ffmpeg says: \(first)\(count)")
            case .exited(let code):
                // ffmpeg's own words for a file without a picture point at its map syntax, not at the file.
                if lines.contains(where: { $0.contains("matches no streams") }) {
                    return InputError("\(path): has no video stream (an audio-only file?)")
                }
                let reason = lines.last ?? "exit status \(code)"
                return InputError("\(path): ffmpeg cannot decode it: \(reason)")
            case .signalled(let signal):
                return InputError("\(path): \(child.executable) was killed by signal \(signal)")
            }
        }

        /// An ffmpeg error line without the "[component @ 0x...] " or input name it often starts with.
        static func clean(_ line: String, path: String) -> String {
            var text = Substring(line)
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                text = text[text.index(after: close)...].drop { $0 == " " }
            }
            if text.hasPrefix(path + ": ") { text = text.dropFirst(path.count + 2) }
            return String(text)
        }
    }
}
