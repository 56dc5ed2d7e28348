import Frames

/// A FOURCC pixel-format code such as "YU12" or "MJPG".
public struct FourCC: Hashable, Sendable, CustomStringConvertible {
    public var code: UInt32

    public init(code: UInt32) { self.code = code }

    public init(_ text: String) {
        let bytes = Array(text.utf8) + [32, 32, 32, 32]
        code = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    }

    public var description: String {
        var text = String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }, as: UTF8.self)
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    /// Planar 4:2:0 (what fercam asks libv4l2 to deliver; it converts MJPEG and others to it).
    public static let yuv420 = FourCC("YU12")
    /// Packed 4:2:2, the common uncompressed webcam format.
    public static let yuyv = FourCC("YUYV")
    public static let gray = FourCC("GREY")
}

public struct FrameSize: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }
}

/// Seconds per frame as a fraction, as V4L2 reports it.
public struct FrameInterval: Hashable, Sendable {
    public var numerator: Int
    public var denominator: Int

    public init(numerator: Int, denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public var framesPerSecond: Double { numerator == 0 ? 0 : Double(denominator) / Double(numerator) }
}

/// What VIDIOC_QUERYCAP says.
public struct DeviceCapabilities: Sendable {
    public var card: String
    public var driver: String
    public var bus: String
    public var canCapture: Bool
    public var canStream: Bool

    public init(card: String, driver: String, bus: String, canCapture: Bool, canStream: Bool) {
        self.card = card
        self.driver = driver
        self.bus = bus
        self.canCapture = canCapture
        self.canStream = canStream
    }
}

public struct FormatDescription: Sendable {
    public var fourcc: FourCC
    public var name: String
    /// True when libv4l2 converts to this format rather than the camera delivering it.
    public var emulated: Bool

    public init(fourcc: FourCC, name: String, emulated: Bool) {
        self.fourcc = fourcc
        self.name = name
        self.emulated = emulated
    }
}

/// The format the driver settled on after VIDIOC_S_FMT.
public struct PixelFormat: Sendable, Equatable {
    public var fourcc: FourCC
    public var size: FrameSize
    public var bytesPerLine: Int
    public var imageBytes: Int

    public init(fourcc: FourCC, size: FrameSize, bytesPerLine: Int, imageBytes: Int) {
        self.fourcc = fourcc
        self.size = size
        self.bytesPerLine = bytesPerLine
        self.imageBytes = imageBytes
    }
}

public struct DequeuedBuffer: Sendable {
    public var index: Int
    public var bytesUsed: Int
    public var sequence: Int
    /// Capture time in seconds (the driver's clock), if it gave one.
    public var timestamp: Double?

    public init(index: Int, bytesUsed: Int, sequence: Int, timestamp: Double?) {
        self.index = index
        self.bytesUsed = bytesUsed
        self.sequence = sequence
        self.timestamp = timestamp
    }
}

/// A failed request to the device: which operation, and the errno it gave.
public struct DeviceFailure: Error, Sendable {
    public var operation: String
    public var code: Int32

    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }
}

/// The ioctl layer of a V4L2 capture device, one method per request, values only.
///
/// `V4L2Device` implements it over libv4l2; tests drive `Camera` with a scripted fake.
/// Everything above this line (negotiation, buffer cycling, error reporting, format
/// conversion) lives in `Camera` and is tested without a camera.
public protocol CaptureDevice: AnyObject {
    var path: String { get }
    func queryCapabilities() throws(DeviceFailure) -> DeviceCapabilities
    func enumerateFormats() throws(DeviceFailure) -> [FormatDescription]
    func enumerateSizes(_ format: FourCC) throws(DeviceFailure) -> [FrameSize]
    func enumerateIntervals(_ format: FourCC, size: FrameSize) throws(DeviceFailure) -> [FrameInterval]
    func setFormat(_ format: FourCC, size: FrameSize) throws(DeviceFailure) -> PixelFormat
    /// Returns the interval the driver chose, or nil when it cannot set one.
    func setFrameInterval(_ interval: FrameInterval) throws(DeviceFailure) -> FrameInterval?
    /// VIDIOC_REQBUFS with memory-mapped buffers; returns how many the driver granted.
    func requestBuffers(_ count: Int) throws(DeviceFailure) -> Int
    func mapBuffer(_ index: Int) throws(DeviceFailure)
    func queueBuffer(_ index: Int) throws(DeviceFailure)
    func streamOn() throws(DeviceFailure)
    func streamOff() throws(DeviceFailure)
    /// Waits until a frame is ready; false on timeout.
    func waitReadable(timeoutMilliseconds: Int) throws(DeviceFailure) -> Bool
    func dequeueBuffer() throws(DeviceFailure) -> DequeuedBuffer
    /// The first `count` bytes of a mapped buffer.
    func bufferBytes(_ index: Int, count: Int) -> [UInt8]
    /// Unmaps every buffer and releases them (VIDIOC_REQBUFS with 0).
    func releaseBuffers()
    func close()
}
