import CV4L2
import Frames
import Posix
import Glibc

/// `CaptureDevice` over libv4l2: one ioctl per method, nothing more. libv4l2 converts
/// camera formats (MJPEG, Bayer, ...) to YU12 and emulates the ones it can produce.
///
/// Threading rule: one thread at a time.
public final class V4L2Device: CaptureDevice {
    public let path: String
    private var fd: Int32
    private var mappings: [(start: UnsafeMutableRawPointer, length: Int)] = []

    public init(path: String) throws(DeviceFailure) {
        self.path = path
        // libv4l2 prints its own lines about a device that is not a camera (/dev/null); fercam's one line says it.
        do {
            (fd, _) = try capturingStandardError { () throws(SystemCallError) -> Int32 in
                try syscall("open") { fercam_v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }
            }
        } catch {
            throw DeviceFailure(operation: "opening the device", code: error.code)
        }
    }

    deinit { close() }

    private func ioctl<T>(_ request: UInt, _ value: inout T, _ operation: String) throws(DeviceFailure) {
        var failure: SystemCallError?
        withUnsafeMutableBytes(of: &value) { raw in
            do throws(SystemCallError) {
                try syscall("ioctl") { fercam_v4l2_ioctl(fd, request, raw.baseAddress) }
            } catch { failure = error }
        }
        if let failure { throw DeviceFailure(operation: operation, code: failure.code) }
    }

    /// One step of a VIDIOC_ENUM_* walk: false once the index is past the end (EINVAL).
    private func enumerate<T>(_ request: UInt, _ value: inout T, _ operation: String) throws(DeviceFailure) -> Bool {
        do { try ioctl(request, &value, operation) } catch {
            if error.code == EINVAL { return false }
            throw error
        }
        return true
    }

    /// A v4l2_buffer for memory-mapped capture buffer `index`.
    private static func captureBuffer(_ index: Int = 0) -> v4l2_buffer {
        var buf = v4l2_buffer()
        buf.index = UInt32(index)
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buf.memory = V4L2_MEMORY_MMAP.rawValue
        return buf
    }

    private static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    public func queryCapabilities() throws(DeviceFailure) -> DeviceCapabilities {
        var cap = v4l2_capability()
        try ioctl(fercam_VIDIOC_QUERYCAP(), &cap, "VIDIOC_QUERYCAP")
        let caps = (cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS)) != 0 ? cap.device_caps : cap.capabilities
        return DeviceCapabilities(
            card: Self.text(cap.card), driver: Self.text(cap.driver), bus: Self.text(cap.bus_info),
            canCapture: caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0, canStream: caps & UInt32(V4L2_CAP_STREAMING) != 0)
    }

    public func enumerateFormats() throws(DeviceFailure) -> [FormatDescription] {
        var formats: [FormatDescription] = []
        for index in 0..<64 {
            var desc = v4l2_fmtdesc()
            desc.index = UInt32(index)
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard try enumerate(fercam_VIDIOC_ENUM_FMT(), &desc, "VIDIOC_ENUM_FMT") else { break }
            formats.append(
                FormatDescription(
                    fourcc: FourCC(code: desc.pixelformat), name: Self.text(desc.description),
                    emulated: desc.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0))
        }
        return formats
    }

    public func enumerateSizes(_ format: FourCC) throws(DeviceFailure) -> [FrameSize] {
        var sizes: [FrameSize] = []
        for index in 0..<256 {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(index)
            size.pixel_format = format.code
            guard try enumerate(fercam_VIDIOC_ENUM_FRAMESIZES(), &size, "VIDIOC_ENUM_FRAMESIZES") else { break }
            // Stepwise and continuous ranges accept any size in range: report none, so that S_FMT decides.
            guard size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue else { return [] }
            sizes.append(FrameSize(width: Int(size.discrete.width), height: Int(size.discrete.height)))
        }
        return sizes
    }

    public func enumerateIntervals(_ format: FourCC, size: FrameSize) throws(DeviceFailure) -> [FrameInterval] {
        var intervals: [FrameInterval] = []
        for index in 0..<64 {
            var ival = v4l2_frmivalenum()
            ival.index = UInt32(index)
            ival.pixel_format = format.code
            ival.width = UInt32(size.width)
            ival.height = UInt32(size.height)
            guard try enumerate(fercam_VIDIOC_ENUM_FRAMEINTERVALS(), &ival, "VIDIOC_ENUM_FRAMEINTERVALS") else { break }
            guard ival.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue else { break }
            intervals.append(
                FrameInterval(numerator: Int(ival.discrete.numerator), denominator: Int(ival.discrete.denominator)))
        }
        return intervals
    }

    public func setFormat(_ format: FourCC, size: FrameSize) throws(DeviceFailure) -> PixelFormat {
        var f = v4l2_format()
        f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        f.fmt.pix.width = UInt32(size.width)
        f.fmt.pix.height = UInt32(size.height)
        f.fmt.pix.pixelformat = format.code
        f.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        try ioctl(fercam_VIDIOC_S_FMT(), &f, "VIDIOC_S_FMT")
        return PixelFormat(
            fourcc: FourCC(code: f.fmt.pix.pixelformat),
            size: FrameSize(width: Int(f.fmt.pix.width), height: Int(f.fmt.pix.height)),
            bytesPerLine: Int(f.fmt.pix.bytesperline), imageBytes: Int(f.fmt.pix.sizeimage))
    }

    public func setFrameInterval(_ interval: FrameInterval) throws(DeviceFailure) -> FrameInterval? {
        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        try ioctl(fercam_VIDIOC_G_PARM(), &parm, "VIDIOC_G_PARM")
        guard parm.parm.capture.capability & UInt32(V4L2_CAP_TIMEPERFRAME) != 0 else { return nil }
        parm.parm.capture.timeperframe.numerator = UInt32(interval.numerator)
        parm.parm.capture.timeperframe.denominator = UInt32(interval.denominator)
        try ioctl(fercam_VIDIOC_S_PARM(), &parm, "VIDIOC_S_PARM")
        let chosen = parm.parm.capture.timeperframe
        return FrameInterval(numerator: Int(chosen.numerator), denominator: Int(chosen.denominator))
    }

    public func requestBuffers(_ count: Int) throws(DeviceFailure) -> Int {
        var req = v4l2_requestbuffers()
        req.count = UInt32(count)
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        req.memory = V4L2_MEMORY_MMAP.rawValue
        try ioctl(fercam_VIDIOC_REQBUFS(), &req, "VIDIOC_REQBUFS")
        return Int(req.count)
    }

    public func mapBuffer(_ index: Int) throws(DeviceFailure) {
        var buf = Self.captureBuffer(index)
        try ioctl(fercam_VIDIOC_QUERYBUF(), &buf, "VIDIOC_QUERYBUF")
        let start = fercam_v4l2_mmap(Int(buf.length), fd, Int(buf.m.offset))
        guard let start, fercam_map_failed(start) == 0 else {
            throw DeviceFailure(operation: "mapping buffer \(index)", code: errno)
        }
        mappings.append((start, Int(buf.length)))
    }

    public func queueBuffer(_ index: Int) throws(DeviceFailure) {
        var buf = Self.captureBuffer(index)
        try ioctl(fercam_VIDIOC_QBUF(), &buf, "VIDIOC_QBUF")
    }

    public func streamOn() throws(DeviceFailure) {
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        try ioctl(fercam_VIDIOC_STREAMON(), &type, "VIDIOC_STREAMON")
    }

    public func streamOff() throws(DeviceFailure) {
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        try ioctl(fercam_VIDIOC_STREAMOFF(), &type, "VIDIOC_STREAMOFF")
    }

    public func waitReadable(timeoutMilliseconds: Int) throws(DeviceFailure) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let result: Int32
        do { result = try syscall("poll") { poll(&p, 1, Int32(timeoutMilliseconds)) } } catch {
            throw DeviceFailure(operation: "waiting for a frame", code: error.code)
        }
        if p.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            throw DeviceFailure(operation: "waiting for a frame", code: ENODEV)
        }
        return result > 0
    }

    public func dequeueBuffer() throws(DeviceFailure) -> DequeuedBuffer {
        var buf = Self.captureBuffer()
        try ioctl(fercam_VIDIOC_DQBUF(), &buf, "VIDIOC_DQBUF")
        let stamp = Double(buf.timestamp.tv_sec) + Double(buf.timestamp.tv_usec) * 1e-6
        return DequeuedBuffer(
            index: Int(buf.index), bytesUsed: Int(buf.bytesused), sequence: Int(buf.sequence),
            timestamp: stamp > 0 ? stamp : nil)
    }

    public func bufferBytes(_ index: Int, count: Int) -> [UInt8] {
        guard index < mappings.count else { return [] }
        let m = mappings[index]
        return Array(UnsafeRawBufferPointer(start: m.start, count: min(count, m.length)))
    }

    public func releaseBuffers() {
        for m in mappings { _ = fercam_v4l2_munmap(m.start, m.length) }
        mappings.removeAll()
        var req = v4l2_requestbuffers()
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        req.memory = V4L2_MEMORY_MMAP.rawValue
        if fd >= 0 { _ = fercam_v4l2_ioctl(fd, fercam_VIDIOC_REQBUFS(), &req) }
    }

    public func close() {
        if fd >= 0 { _ = fercam_v4l2_close(fd) }
        fd = -1
    }
}
