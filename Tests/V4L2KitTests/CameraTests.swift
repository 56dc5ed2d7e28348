import Frames
import Glibc
import V4L2Kit
import XCTest

/// A scripted capture device: offers what a test says and records every request made of it.
final class ScriptedDevice: CaptureDevice {
    enum Step { case frame([UInt8]), timeout, failure(Int32) }

    let path = "/dev/video-test"
    var capabilities = DeviceCapabilities(
        card: "Test Cam", driver: "scripted", bus: "usb-0000:00:14.0-1", canCapture: true, canStream: true)
    var formats = [
        FormatDescription(fourcc: .yuyv, name: "YUYV 4:2:2", emulated: false),
        FormatDescription(fourcc: .yuv420, name: "Planar YUV 4:2:0", emulated: true),
    ]
    var sizes = [FrameSize(width: 640, height: 480), FrameSize(width: 4, height: 2)]
    /// Size the driver answers S_FMT with; nil echoes the request.
    var adjustedSize: FrameSize?
    var setFormatFailure: Int32?
    var grantedBuffers = 4
    var script: [Step] = []
    var calls: [String] = []
    private var pending: [(Int, [UInt8])] = []
    private var queued: [Int] = []
    private var contents: [Int: [UInt8]] = [:]
    private var sequence = 0

    func queryCapabilities() throws(DeviceFailure) -> DeviceCapabilities {
        calls.append("querycap"); return capabilities
    }
    func enumerateFormats() throws(DeviceFailure) -> [FormatDescription] { formats }
    func enumerateSizes(_ format: FourCC) throws(DeviceFailure) -> [FrameSize] { sizes }
    func enumerateIntervals(_ format: FourCC, size: FrameSize) throws(DeviceFailure) -> [FrameInterval] {
        [FrameInterval(numerator: 1, denominator: 30), FrameInterval(numerator: 1, denominator: 15)]
    }
    func setFormat(_ format: FourCC, size: FrameSize) throws(DeviceFailure) -> PixelFormat {
        calls.append("s_fmt \(format) \(size)")
        if let setFormatFailure { throw DeviceFailure(operation: "VIDIOC_S_FMT", code: setFormatFailure) }
        let s = adjustedSize ?? size
        let bytes = format == .yuyv ? s.width * s.height * 2 : s.width * s.height * 3 / 2
        return PixelFormat(
            fourcc: format, size: s, bytesPerLine: format == .yuyv ? s.width * 2 : s.width, imageBytes: bytes)
    }
    func setFrameInterval(_ interval: FrameInterval) throws(DeviceFailure) -> FrameInterval? {
        calls.append("s_parm"); return interval
    }
    func requestBuffers(_ count: Int) throws(DeviceFailure) -> Int {
        calls.append("reqbufs \(count)"); return min(count, grantedBuffers)
    }
    func mapBuffer(_ index: Int) throws(DeviceFailure) { calls.append("map \(index)") }
    func queueBuffer(_ index: Int) throws(DeviceFailure) {
        XCTAssertFalse(queued.contains(index), "buffer \(index) queued twice")
        queued.append(index)
    }
    func streamOn() throws(DeviceFailure) { calls.append("streamon") }
    func streamOff() throws(DeviceFailure) { calls.append("streamoff") }
    func waitReadable(timeoutMilliseconds: Int) throws(DeviceFailure) -> Bool {
        guard !script.isEmpty else { return false }
        switch script.removeFirst() {
        case .timeout: return false
        case .failure(let code): throw DeviceFailure(operation: "VIDIOC_DQBUF", code: code)
        case .frame(let bytes):
            let index = queued.removeFirst()  // the driver fills buffers in queue order
            contents[index] = bytes
            pending.append((index, bytes))
            return true
        }
    }
    func dequeueBuffer() throws(DeviceFailure) -> DequeuedBuffer {
        let (index, bytes) = pending.removeFirst()
        sequence += 1
        calls.append("dqbuf \(index)")
        return DequeuedBuffer(
            index: index, bytesUsed: bytes.count, sequence: sequence, timestamp: Double(sequence) / 30)
    }
    func bufferBytes(_ index: Int, count: Int) -> [UInt8] { Array((contents[index] ?? []).prefix(count)) }
    func releaseBuffers() { calls.append("release") }
    func close() { calls.append("close") }

    var queuedCount: Int { queued.count }
}

final class CameraTests: XCTestCase {
    let small = CaptureRequest(
        size: FrameSize(width: 4, height: 2), framesPerSecond: 30, bufferCount: 3, timeoutSeconds: 0.5)

    func captureError(_ body: () throws -> Void) -> CaptureError? {
        do { try body(); return nil } catch let error as CaptureError { return error } catch {
            XCTFail("\(error)"); return nil
        }
    }

    func testNegotiatesPlanarYUVAndCyclesEveryBuffer() throws {
        let device = ScriptedDevice()
        let frame: [UInt8] = Array(0..<8) + [100, 101] + [200, 201]  // 4x2 Y, then 2x1 Cb and Cr
        device.script = Array(repeating: .frame(frame), count: 7)
        let camera = try Camera(device: device, request: small)
        XCTAssertEqual(camera.format.fourcc, .yuv420, "YU12 (libv4l2's conversion) is preferred over YUYV")
        XCTAssertEqual(camera.bufferCount, 3)
        XCTAssertEqual(
            device.calls, ["querycap", "s_fmt YU12 4x2", "s_parm", "reqbufs 3", "map 0", "map 1", "map 2", "streamon"])
        XCTAssertEqual(device.queuedCount, 3)
        var indices: [String] = []
        for i in 0..<7 {
            let captured = try camera.next()
            XCTAssertEqual(captured.sequence, i + 1)
            XCTAssertEqual(captured.frame.luma.pixels, Array(0..<8))
            XCTAssertEqual(captured.frame.bytes, frame)
            XCTAssertEqual(device.queuedCount, 3, "every dequeued buffer goes straight back")
            indices.append(device.calls.last!)
        }
        XCTAssertEqual(indices, ["dqbuf 0", "dqbuf 1", "dqbuf 2", "dqbuf 0", "dqbuf 1", "dqbuf 2", "dqbuf 0"])
        camera.stop()
        camera.stop()
        XCTAssertEqual(Array(device.calls.suffix(3)), ["streamoff", "release", "close"])
        XCTAssertEqual(device.calls.filter { $0 == "close" }.count, 1)
    }

    func testConvertsYUYVToPlanar422() throws {
        let device = ScriptedDevice()
        device.formats = [FormatDescription(fourcc: .yuyv, name: "YUYV", emulated: false)]
        // Two rows of Y0 U Y1 V Y2 U Y3 V.
        device.script = [.frame([10, 50, 11, 60, 12, 51, 13, 61, 20, 70, 21, 80, 22, 71, 23, 81])]
        let camera = try Camera(device: device, request: small)
        let frame = try camera.next().frame
        XCTAssertEqual(frame.subsampling, .yuv422)
        XCTAssertEqual(frame.luma.pixels, [10, 11, 12, 13, 20, 21, 22, 23])
        XCTAssertEqual(frame.bytes, [10, 11, 12, 13, 20, 21, 22, 23, 50, 51, 70, 71, 60, 61, 80, 81])
    }

    func testRefusesWhatItCannotUse() {
        let notCapture = ScriptedDevice()
        notCapture.capabilities.canCapture = false
        XCTAssertEqual(
            captureError { _ = try Camera(device: notCapture, request: small) },
            .notACaptureDevice("/dev/video-test", card: "Test Cam"))
        XCTAssertEqual(notCapture.calls.suffix(2), ["release", "close"], "a refused device is closed")

        let noStreaming = ScriptedDevice()
        noStreaming.capabilities.canStream = false
        XCTAssertEqual(
            captureError { _ = try Camera(device: noStreaming, request: small) },
            .cannotStream("/dev/video-test", card: "Test Cam"))

        let wrongSize = ScriptedDevice()
        let big = CaptureRequest(size: FrameSize(width: 1920, height: 1080))
        let error = captureError { _ = try Camera(device: wrongSize, request: big) }
        XCTAssertEqual(
            error,
            .unsupportedSize(
                "/dev/video-test", requested: FrameSize(width: 1920, height: 1080), offered: wrongSize.sizes))
        XCTAssertEqual(
            error?.description,
            "/dev/video-test: the camera cannot capture 1920x1080; it offers 640x480, 4x2")

        let adjusts = ScriptedDevice()
        adjusts.sizes = []
        adjusts.adjustedSize = FrameSize(width: 640, height: 360)
        XCTAssertEqual(
            captureError { _ = try Camera(device: adjusts, request: big) },
            .unsupportedSize(
                "/dev/video-test", requested: FrameSize(width: 1920, height: 1080),
                offered: [FrameSize(width: 640, height: 360)]))

        let exotic = ScriptedDevice()
        exotic.formats = [FormatDescription(fourcc: FourCC("H264"), name: "H.264", emulated: false)]
        XCTAssertEqual(
            captureError { _ = try Camera(device: exotic, request: small) },
            .unsupportedFormat("/dev/video-test", offered: ["H264"]))

        let busy = ScriptedDevice()
        busy.setFormatFailure = EBUSY
        XCTAssertEqual(captureError { _ = try Camera(device: busy, request: small) }, .busy("/dev/video-test"))

        let stingy = ScriptedDevice()
        stingy.grantedBuffers = 1
        XCTAssertNotNil(captureError { _ = try Camera(device: stingy, request: small) })
        XCTAssertEqual(stingy.calls.last, "close")
    }

    func testTimeoutAndUnplugWhileStreaming() throws {
        let device = ScriptedDevice()
        device.script = [.frame(Array(repeating: 1, count: 12)), .timeout, .failure(ENODEV)]
        let camera = try Camera(device: device, request: small)
        _ = try camera.next()
        XCTAssertEqual(captureError { _ = try camera.next() }, .timeout("/dev/video-test", seconds: 0.5))
        let unplugged = captureError { _ = try camera.next() }
        XCTAssertEqual(unplugged, .unplugged("/dev/video-test"))
        XCTAssertEqual(
            device.calls.suffix(3), ["streamoff", "release", "close"], "an unplugged camera is shut down at once")
        XCTAssertNotNil(captureError { _ = try camera.next() }, "no capture after stop")
    }

    func testShortFrameIsAnErrorNotACrash() throws {
        let device = ScriptedDevice()
        device.script = [.frame([1, 2, 3])]
        let camera = try Camera(device: device, request: small)
        let error = captureError { _ = try camera.next() }
        XCTAssertEqual(error?.description, "/dev/video-test: capture failed: short frame: 3 bytes of 12 for YU12 4x2")
    }

    func testOpenErrorsAreActionable() {
        XCTAssertEqual(CaptureError.noSuchDevice("/dev/video7").description, "/dev/video7: no such camera")
        XCTAssertTrue(CaptureError.permissionDenied("/dev/video0").description.contains("install-udev"))
        XCTAssertThrowsError(try V4L2Device(path: "/dev/video-does-not-exist")) { error in
            XCTAssertEqual((error as? DeviceFailure)?.code, ENOENT)
        }
    }

    func testDeviceListing() {
        let text = DeviceList.render(DeviceList.describe(ScriptedDevice()))
        XCTAssertEqual(
            text,
            """
            /dev/video-test: Test Cam (driver scripted, bus usb-0000:00:14.0-1, capture)
              YUYV YUYV 4:2:2
                640x480 @ 30, 15 fps
                4x2 @ 30, 15 fps
              YU12 Planar YUV 4:2:0 (converted by libv4l2)
                640x480 @ 30, 15 fps
                4x2 @ 30, 15 fps
            """)
    }
}
