import Frames

/// Writes frames to one Y4M file as they arrive; each frame reaches the file before `write` returns,
/// so a recording survives Ctrl-C, a crash or an unplugged camera up to its last frame.
public final class Recorder {
    public let path: String
    private var writer: Y4MWriter?
    private let frameRate: Double

    public init(path: String, frameRate: Double?) {
        self.path = path
        self.frameRate = frameRate ?? 30
    }

    public var framesWritten: Int { writer?.framesWritten ?? 0 }

    public func write(_ frame: YUVFrame) throws(FrameFormatError) {
        if writer == nil {
            writer = try Y4MWriter(path: path, header: Y4MHeader(for: frame, framesPerSecond: frameRate))
        }
        try writer!.write(frame)
    }
}
