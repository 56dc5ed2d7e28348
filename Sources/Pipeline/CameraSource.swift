import Frames
import Posix
import V4L2Kit

/// Frames from a V4L2 camera. pts counts from the first frame's capture time.
public struct CameraSource: FrameSource {
    public let camera: Camera
    private var index = 0
    private var firstTimestamp: Double?

    public init(path: String, request: CaptureRequest) throws(CaptureError) {
        let device: V4L2Device
        do { device = try V4L2Device(path: path) } catch { throw CaptureError.from(error, path: path) }
        camera = try Camera(device: device, request: request)
    }

    public var frameRate: Double? { camera.frameInterval?.framesPerSecond }
    /// Tracked even when the driver reports no frame interval: time stamps come from the capture clock.
    public var isVideo: Bool { true }

    public mutating func next() throws -> SourceFrame? {
        let captured = try camera.next()
        let stamp = captured.timestamp ?? monotonicSeconds()
        if firstTimestamp == nil { firstTimestamp = stamp }
        defer { index += 1 }
        return SourceFrame(index: index, pts: stamp - firstTimestamp!, source: camera.path, frame: captured.frame)
    }
}
