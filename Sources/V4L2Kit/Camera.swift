import Frames
import Posix
import Glibc

/// Why capture failed, worded for the person at the desk: what happened and what to do.
public enum CaptureError: Error, CustomStringConvertible, Sendable, Equatable {
    case noSuchDevice(String)
    case permissionDenied(String)
    case busy(String)
    case notACaptureDevice(String, card: String)
    case cannotStream(String, card: String)
    case unsupportedSize(String, requested: FrameSize, offered: [FrameSize])
    case unsupportedFormat(String, offered: [String])
    case unplugged(String)
    case timeout(String, seconds: Double)
    case failed(String, operation: String, reason: String)

    public var description: String {
        switch self {
        case .noSuchDevice(let path):
            return "\(path): no such camera"
        case .permissionDenied(let path):
            return "\(path): permission denied. Install the udev rules (`sudo make install-udev`, see README) "
                + "or add yourself to the video group"
        case .busy(let path):
            return "\(path): the camera is busy (another program is using it); close it and try again"
        case let .notACaptureDevice(path, card):
            return "\(path): \(card) is not a video capture device (try another /dev/video* device)"
        case let .cannotStream(path, card):
            return "\(path): \(card) cannot stream with memory-mapped buffers"
        case let .unsupportedSize(path, requested, offered):
            let offers = offered.map(\.description).joined(separator: ", ")
            return "\(path): the camera cannot capture \(requested); it offers \(offers)"
        case let .unsupportedFormat(path, offered):
            return "\(path): no usable pixel format (the camera offers \(offered.joined(separator: ", ")))"
        case .unplugged(let path):
            return "\(path): the camera was unplugged; stopped (anything recorded is saved)"
        case let .timeout(path, seconds):
            return
                "\(path): no frame for \(decimalText(seconds, decimals: 2)) s; the camera stalled or stopped delivering"
        case let .failed(path, operation, reason):
            return "\(path): \(operation) failed: \(reason)"
        }
    }

    /// Maps a failed ioctl to the error a user can act on.
    public static func from(_ failure: DeviceFailure, path: String) -> CaptureError {
        switch failure.code {
        case ENOENT, ENXIO: return .noSuchDevice(path)
        case EACCES, EPERM: return .permissionDenied(path)
        case EBUSY: return .busy(path)
        case ENODEV: return .unplugged(path)
        default: return .failed(path, operation: failure.operation, reason: errnoMessage(failure.code))
        }
    }
}

/// What the user asked for.
public struct CaptureRequest: Sendable, Equatable {
    public var size: FrameSize
    public var framesPerSecond: Double
    public var bufferCount: Int
    public var timeoutSeconds: Double

    public init(
        size: FrameSize = FrameSize(width: 640, height: 480), framesPerSecond: Double = 30, bufferCount: Int = 4,
        timeoutSeconds: Double = 5
    ) {
        self.size = size
        self.framesPerSecond = framesPerSecond
        self.bufferCount = max(3, bufferCount)
        self.timeoutSeconds = timeoutSeconds
    }
}

/// One captured frame, converted to planar YUV.
public struct CapturedFrame: Sendable {
    public var frame: YUVFrame
    public var sequence: Int
    public var timestamp: Double?
}

/// A streaming camera: negotiates the format, cycles memory-mapped buffers and
/// converts each frame. `stop()` (also run on deinit) always turns streaming off,
/// unmaps and closes, whatever state it was left in.
///
/// Threading rule: one thread at a time (the capture thread).
public final class Camera {
    public let path: String
    public let capabilities: DeviceCapabilities
    public let format: PixelFormat
    public let frameInterval: FrameInterval?
    public let bufferCount: Int
    private let device: CaptureDevice
    private let timeoutSeconds: Double
    private var streaming = false
    private var stopped = false

    /// Formats fercam can convert, best first. libv4l2 emulates YU12 from MJPEG and most others.
    static let usableFormats: [FourCC] = [.yuv420, .yuyv, .gray]

    public init(device: CaptureDevice, request: CaptureRequest) throws(CaptureError) {
        self.device = device
        path = device.path
        timeoutSeconds = request.timeoutSeconds
        let path = device.path
        func attempt<T>(_ body: () throws(DeviceFailure) -> T) throws(CaptureError) -> T {
            do { return try body() } catch { throw CaptureError.from(error, path: path) }
        }
        do throws(CaptureError) {
            let caps = try attempt { () throws(DeviceFailure) in try device.queryCapabilities() }
            guard caps.canCapture else { throw CaptureError.notACaptureDevice(path, card: caps.card) }
            guard caps.canStream else { throw CaptureError.cannotStream(path, card: caps.card) }
            capabilities = caps

            let offered = try attempt { () throws(DeviceFailure) in try device.enumerateFormats() }
            guard let fourcc = Self.usableFormats.first(where: { f in offered.contains { $0.fourcc == f } }) else {
                throw CaptureError.unsupportedFormat(path, offered: offered.map(\.fourcc.description))
            }
            let sizes = try attempt { () throws(DeviceFailure) in try device.enumerateSizes(fourcc) }
            if !sizes.isEmpty && !sizes.contains(request.size) {
                throw CaptureError.unsupportedSize(path, requested: request.size, offered: sizes)
            }
            let chosen: PixelFormat
            do { chosen = try device.setFormat(fourcc, size: request.size) } catch {
                throw error.code == EINVAL
                    ? CaptureError.unsupportedSize(path, requested: request.size, offered: sizes)
                    : CaptureError.from(error, path: path)
            }
            // Drivers adjust sizes they cannot do instead of failing; fercam does not silently accept that.
            guard chosen.size == request.size else {
                throw CaptureError.unsupportedSize(
                    path, requested: request.size, offered: sizes.isEmpty ? [chosen.size] : sizes)
            }
            guard chosen.fourcc == fourcc else {
                throw CaptureError.unsupportedFormat(path, offered: offered.map(\.fourcc.description))
            }
            format = chosen
            let wanted = FrameInterval(numerator: 1000, denominator: Int((request.framesPerSecond * 1000).rounded()))
            frameInterval = try attempt { () throws(DeviceFailure) in try device.setFrameInterval(wanted) }

            let granted = try attempt { () throws(DeviceFailure) in try device.requestBuffers(request.bufferCount) }
            guard granted >= 2 else {
                throw CaptureError.failed(
                    path, operation: "requesting buffers",
                    reason: "the driver granted \(granted), fercam needs at least 2")
            }
            bufferCount = granted
            try attempt { () throws(DeviceFailure) in
                for index in 0..<granted {
                    try device.mapBuffer(index)
                    try device.queueBuffer(index)
                }
                try device.streamOn()
            }
        } catch {
            // self is not fully initialised here, so clean up through the device itself
            // (streaming never started: streamOn is the last step that can fail).
            device.releaseBuffers()
            device.close()
            throw error
        }
        streaming = true
    }

    deinit { stop() }

    /// Waits (with the request's timeout) for the next frame, copies it out and hands the buffer back.
    public func next() throws(CaptureError) -> CapturedFrame {
        guard !stopped else { throw CaptureError.failed(path, operation: "capture", reason: "the camera was stopped") }
        do {
            guard try device.waitReadable(timeoutMilliseconds: Int(timeoutSeconds * 1000)) else {
                throw CaptureError.timeout(path, seconds: timeoutSeconds)
            }
            let buffer = try device.dequeueBuffer()
            let bytes = device.bufferBytes(buffer.index, count: min(buffer.bytesUsed, format.imageBytes))
            try device.queueBuffer(buffer.index)
            guard let frame = convert(bytes) else {
                throw CaptureError.failed(
                    path, operation: "capture",
                    reason:
                        "short frame: \(bytes.count) bytes of \(format.imageBytes) for \(format.fourcc) \(format.size)")
            }
            return CapturedFrame(frame: frame, sequence: buffer.sequence, timestamp: buffer.timestamp)
        } catch let error as CaptureError {
            throw error
        } catch let error as DeviceFailure {
            let mapped = CaptureError.from(error, path: path)
            if case .unplugged = mapped { stop() }
            throw mapped
        } catch {
            throw CaptureError.failed(path, operation: "capture", reason: "\(error)")
        }
    }

    /// Stops streaming, unmaps and closes. Safe to call more than once.
    public func stop() {
        guard !stopped else { return }
        shutDown()
    }

    private func shutDown() {
        stopped = true
        if streaming { try? device.streamOff() }
        streaming = false
        device.releaseBuffers()
        device.close()
    }

    /// Frame bytes in the negotiated format -> planar YUV.
    func convert(_ bytes: [UInt8]) -> YUVFrame? {
        let w = format.size.width, h = format.size.height
        switch format.fourcc {
        case .yuv420:
            let cw = (w + 1) / 2, ch = (h + 1) / 2
            guard bytes.count >= w * h + 2 * cw * ch else { return nil }
            return YUVFrame(width: w, height: h, subsampling: .yuv420, bytes: Array(bytes[0..<(w * h + 2 * cw * ch)]))
        case .gray:
            guard bytes.count >= w * h else { return nil }
            return YUVFrame(gray: GrayImage(width: w, height: h, pixels: Array(bytes[0..<(w * h)])))
        case .yuyv:
            let stride = max(format.bytesPerLine, w * 2)
            guard bytes.count >= stride * (h - 1) + w * 2 else { return nil }
            let cw = (w + 1) / 2
            var out = [UInt8](repeating: 128, count: w * h + 2 * cw * h)
            bytes.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<h {
                        let row = y * stride
                        for x in 0..<w { dst[y * w + x] = src[row + 2 * x] }
                        for cx in 0..<cw where 4 * cx + 3 < stride {
                            dst[w * h + y * cw + cx] = src[row + 4 * cx + 1]
                            dst[w * h + cw * h + y * cw + cx] = src[row + 4 * cx + 3]
                        }
                    }
                }
            }
            return YUVFrame(width: w, height: h, subsampling: .yuv422, bytes: out)
        default:
            return nil
        }
    }
}
