import Frames
import V4L2Kit

/// Frames from a V4L2 camera. pts counts from the first frame's capture time.
public struct CameraSource: FrameSource {
    public let camera: Camera
    private var index = 0
    private var firstTimestamp: Double?

    public init(camera: Camera) { self.camera = camera }

    public init(path: String, request: CaptureRequest) throws(CaptureError) {
        let device: V4L2Device
        do { device = try V4L2Device(path: path) } catch { throw CaptureError.from(error, path: path) }
        camera = try Camera(device: device, request: request)
    }

    public var frameRate: Double? { camera.frameInterval?.framesPerSecond }

    public mutating func next() throws -> SourceFrame? {
        let captured = try camera.next()
        let stamp = captured.timestamp ?? monotonicSeconds()
        if firstTimestamp == nil { firstTimestamp = stamp }
        defer { index += 1 }
        return SourceFrame(index: index, pts: stamp - firstTimestamp!, source: camera.path, frame: captured.frame)
    }
}

/// Writes frames as Y4M as they arrive; each frame reaches the file before `write` returns,
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

    public func write(_ frame: YUVFrame) throws {
        if writer == nil {
            let rate = frameRate == frameRate.rounded() ? Ratio(Int(frameRate), 1) : Ratio(Int((frameRate * 1000).rounded()), 1000)
            let colourspace: String
            switch frame.subsampling {
            case .yuv420: colourspace = "420jpeg"
            case .yuv422: colourspace = "422"
            case .yuv444: colourspace = "444"
            case .mono: colourspace = "mono"
            }
            writer = try Y4MWriter(path: path, header: Y4MHeader(width: frame.width, height: frame.height, frameRate: rate, colourspace: colourspace))
        }
        try writer!.write(frame)
    }
}
