/// A rational number as Y4M writes frame rates and pixel aspect ratios.
public struct Ratio: Equatable, Sendable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int
    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }
    public var value: Double { denominator == 0 ? 0 : Double(numerator) / Double(denominator) }
    public var description: String { "\(numerator):\(denominator)" }
}

/// The stream header of a YUV4MPEG2 file.
public struct Y4MHeader: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var frameRate: Ratio
    /// `p` progressive, `t` top field first, `b` bottom first, `m` mixed, `?` unknown.
    public var interlacing: Character
    public var pixelAspect: Ratio
    /// The colourspace token as written (`420jpeg`, `420mpeg2`, `420paldv`, `420`, `422`, `444`, `mono`).
    public var colourspace: String
    /// `X` comment parameters, kept so that a re-written stream carries them.
    public var comments: [String]

    public init(
        width: Int, height: Int, frameRate: Ratio = Ratio(30, 1), interlacing: Character = "p",
        pixelAspect: Ratio = Ratio(1, 1), colourspace: String = "420jpeg", comments: [String] = []
    ) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.interlacing = interlacing
        self.pixelAspect = pixelAspect
        self.colourspace = colourspace
        self.comments = comments
    }

    /// The one table between colourspace tokens and chroma layouts: every token fercam reads, and
    /// (first in each row) the token it writes.
    static let colourspaces: [(subsampling: ChromaSubsampling, tokens: [String])] = [
        (.yuv420, ["420jpeg", "420mpeg2", "420paldv", "420"]), (.yuv422, ["422"]), (.yuv444, ["444"]),
        (.mono, ["mono"]),
    ]

    public static func subsampling(forColourspace token: String) -> ChromaSubsampling? {
        colourspaces.first { $0.tokens.contains(token) }?.subsampling
    }

    public static func colourspace(for subsampling: ChromaSubsampling) -> String {
        colourspaces.first { $0.subsampling == subsampling }!.tokens[0]
    }

    /// A header for frames of `frame`'s size and layout at `framesPerSecond` (whole rates exact, others to 1/1000).
    public init(for frame: YUVFrame, framesPerSecond: Double) {
        let rate =
            framesPerSecond == framesPerSecond.rounded()
            ? Ratio(Int(framesPerSecond), 1) : Ratio(Int((framesPerSecond * 1000).rounded()), 1000)
        self.init(
            width: frame.width, height: frame.height, frameRate: rate,
            colourspace: Self.colourspace(for: frame.subsampling))
    }

    public var subsampling: ChromaSubsampling { Self.subsampling(forColourspace: colourspace) ?? .yuv420 }
    public var frameByteCount: Int { subsampling.frameByteCount(width: width, height: height) }

    public var encoded: String {
        var text = "YUV4MPEG2 W\(width) H\(height) F\(frameRate) I\(interlacing) A\(pixelAspect) C\(colourspace)"
        for comment in comments { text += " X\(comment)" }
        return text + "\n"
    }
}

/// Streams frames out of a YUV4MPEG2 file or pipe; holds one frame at a time.
public final class Y4MReader {
    public let header: Y4MHeader
    public var source: String { input.name }
    public private(set) var framesRead = 0
    private let input: ByteReader
    private static let maximumDimension = 16384

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
        var header = Y4MHeader(width: 0, height: 0, colourspace: "420jpeg")
        for token in text.split(separator: " ").dropFirst() {
            let tag = token.first!, value = String(token.dropFirst())
            switch tag {
            case "W": width = Int(value)
            case "H": height = Int(value)
            case "F":
                guard let r = parseRatio(value), r.numerator > 0, r.denominator > 0 else {
                    throw fail("bad frame rate '\(value)'")
                }
                header.frameRate = r
            case "A":
                guard let r = parseRatio(value) else { throw fail("bad pixel aspect '\(value)'") }
                header.pixelAspect = r
            case "I":
                guard value.count == 1, "ptbm?".contains(value) else { throw fail("bad interlacing '\(value)'") }
                header.interlacing = value.first!
            case "C":
                guard Y4MHeader.subsampling(forColourspace: value) != nil else {
                    throw fail(
                        "unsupported colourspace '\(value)' (supported: \(Y4MHeader.colourspaces.flatMap(\.tokens).joined(separator: ", ")); 8-bit only)"
                    )
                }
                header.colourspace = value
            case "X": header.comments.append(value)
            default: throw fail("unknown header parameter '\(token)'")
            }
        }
        guard let w = width, let h = height else { throw fail("header lacks W (width) or H (height)") }
        guard (1...maximumDimension).contains(w), (1...maximumDimension).contains(h) else {
            throw fail("frame size \(w)x\(h) is out of range")
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
        let count = header.frameByteCount
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try input.read(into: &bytes, at: 0, count: count)
        guard got == count else { throw fail("truncated frame, expected \(count) bytes, got \(got)") }
        framesRead += 1
        return YUVFrame(width: header.width, height: header.height, subsampling: header.subsampling, bytes: bytes)
    }

    private func describe(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(16).map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
        return "'\(shown)'"
    }
}

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
        if !headerWritten {
            try output.write(Array(header.encoded.utf8))
            headerWritten = true
        }
        // One write per frame keeps the marker and the planes together on disk.
        try output.write(Array("FRAME\n".utf8) + frame.bytes)
        framesWritten += 1
    }
}
