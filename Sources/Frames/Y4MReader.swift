/// Streams frames out of a YUV4MPEG2 file or pipe; holds one frame at a time.
public final class Y4MReader {
    public let header: Y4MHeader
    public var source: String { input.name }
    public private(set) var framesRead = 0
    private let input: ByteReader
    /// Documented limits (docs/reliability.md): 16384 a side and 64 megapixels, as for images.
    public static let maximumDimension = 16384
    public static let maximumPixels = 1 << 26

    public convenience init(path: String) throws(FrameFormatError) {
        try self.init(reader: try ByteReader(path: path))
    }

    public init(reader: ByteReader) throws(FrameFormatError) {
        input = reader
        guard let line = try reader.readLine(limit: 4096) else {
            throw FrameFormatError(
                source: reader.name, byteOffset: 0, reason: "empty file, expected a YUV4MPEG2 header")
        }
        header = try Self.parseHeader(line, source: reader.name)
    }

    static func parseHeader(_ line: [UInt8], source: String) throws(FrameFormatError) -> Y4MHeader {
        func fail(_ reason: String) -> FrameFormatError {
            FrameFormatError(source: source, byteOffset: 0, reason: reason)
        }
        guard let text = String(validating: line, as: UTF8.self), text.hasPrefix("YUV4MPEG2") else {
            throw fail("not a Y4M file (no YUV4MPEG2 signature)")
        }
        var width: Int?, height: Int?
        var header = Y4MHeader(width: 0, height: 0, colorspace: "420jpeg")
        for token in text.split(separator: " ").dropFirst() {
            let tag = token.first!, value = String(token.dropFirst())
            switch tag {
            case "W": width = Int(value)
            case "H": height = Int(value)
            case "F":
                // Timestamps are index / rate: rates outside 1/1000 to 1000 frames per second are not video.
                guard let r = parseRatio(value), r.numerator > 0, r.denominator > 0, (0.001...1000).contains(r.value)
                else {
                    throw fail("bad frame rate '\(value)' (expected N:D between 1:1000 and 1000:1 frames per second)")
                }
                header.frameRate = r
            case "A":
                guard let r = parseRatio(value) else { throw fail("bad pixel aspect '\(value)'") }
                header.pixelAspect = r
            case "I":
                guard value.count == 1, "ptbm?".contains(value) else { throw fail("bad interlacing '\(value)'") }
                header.interlacing = value.first!
            case "C":
                guard Y4MHeader.subsampling(forColorspace: value) != nil else {
                    let supported = Y4MHeader.colorspaces.flatMap(\.tokens).joined(separator: ", ")
                    throw fail("unsupported colorspace '\(value)' (supported: \(supported); 8-bit only)")
                }
                header.colorspace = value
            case "X": header.comments.append(value)
            default: throw fail("unknown header parameter '\(token)'")
            }
        }
        guard let w = width, let h = height else { throw fail("header lacks W (width) or H (height)") }
        guard (1...maximumDimension).contains(w), (1...maximumDimension).contains(h), w * h <= maximumPixels else {
            let limit = "at most \(maximumDimension) a side, \(maximumPixels >> 20) megapixels"
            throw fail("frame size \(w)x\(h) is out of range (\(limit))")
        }
        header.width = w
        header.height = h
        return header
    }

    private static func parseRatio(_ text: String) -> Ratio? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n >= 0, d >= 0 else { return nil }
        return Ratio(n, d)
    }

    /// The next frame, or nil at a clean end of stream.
    public func next() throws(FrameFormatError) -> YUVFrame? {
        let start = input.offset
        guard let line = try input.readLine(limit: 1024) else { return nil }
        func fail(_ reason: String) -> FrameFormatError {
            FrameFormatError(source: input.name, frame: framesRead, byteOffset: start, reason: reason)
        }
        guard line.starts(with: Array("FRAME".utf8)), line.count == 5 || line[5] == UInt8(ascii: " ") else {
            throw fail("expected a FRAME marker, found \(describe(line))")
        }
        // Grown 16 MiB at a time, so a header that claims huge frames costs memory only for bytes that exist.
        let count = header.frameByteCount
        var bytes = [UInt8](), got = 0
        while got < count {
            let chunk = min(count - got, 1 << 24)
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let read = try input.read(into: &bytes, at: got, count: chunk)
            got += read
            if read < chunk { break }
        }
        guard got == count else { throw fail("truncated frame, expected \(count) bytes, got \(got)") }
        framesRead += 1
        return YUVFrame(width: header.width, height: header.height, subsampling: header.subsampling, bytes: bytes)
    }

    private func describe(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(16).map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
        return "'\(shown)'"
    }
}
