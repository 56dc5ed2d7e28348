/// Writes a YUV4MPEG2 stream; every frame goes straight to the file, so the file is
/// valid up to the last whole frame whatever stops the program.
public final class Y4MWriter {
    public let header: Y4MHeader
    public private(set) var framesWritten = 0
    private let output: ByteWriter
    private var headerWritten = false

    public init(output: ByteWriter, header: Y4MHeader) {
        self.output = output
        self.header = header
    }

    public convenience init(path: String, header: Y4MHeader) throws(FrameFormatError) {
        self.init(output: try ByteWriter(path: path), header: header)
    }

    public func write(_ frame: YUVFrame) throws(FrameFormatError) {
        guard frame.width == header.width, frame.height == header.height, frame.subsampling == header.subsampling else {
            throw FrameFormatError(
                source: output.name, frame: framesWritten,
                reason: "frame is \(frame.width)x\(frame.height) but the stream is \(header.width)x\(header.height)")
        }
        // A write that fails partway (a full disk) is cut back to the last whole frame: the file stays valid.
        let end = output.bytesWritten
        do {
            if !headerWritten {
                try output.write(Array(header.encoded.utf8))
                headerWritten = true
            }
            // One write per frame keeps the marker and the planes together on disk.
            try output.write(Array("FRAME\n".utf8) + frame.bytes)
        } catch {
            output.truncate(to: end)
            if end == 0 { headerWritten = false }
            throw FrameFormatError(
                source: output.name, frame: framesWritten,
                reason: "\(error.reason); the file keeps the \(framesWritten) whole frames before it")
        }
        framesWritten += 1
    }
}
