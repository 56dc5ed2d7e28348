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
    /// The colorspace token as written (`420jpeg`, `420mpeg2`, `420paldv`, `420`, `422`, `444`, `mono`).
    public var colorspace: String
    /// `X` comment parameters, kept so that a re-written stream carries them.
    public var comments: [String]

    public init(
        width: Int, height: Int, frameRate: Ratio = Ratio(30, 1), interlacing: Character = "p",
        pixelAspect: Ratio = Ratio(1, 1), colorspace: String = "420jpeg", comments: [String] = []
    ) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.interlacing = interlacing
        self.pixelAspect = pixelAspect
        self.colorspace = colorspace
        self.comments = comments
    }

    /// The one table between colorspace tokens and chroma layouts: every token fercam reads, and
    /// (first in each row) the token it writes.
    static let colorspaces: [(subsampling: ChromaSubsampling, tokens: [String])] = [
        (.yuv420, ["420jpeg", "420mpeg2", "420paldv", "420"]), (.yuv422, ["422"]), (.yuv444, ["444"]),
        (.mono, ["mono"]),
    ]

    public static func subsampling(forColorspace token: String) -> ChromaSubsampling? {
        colorspaces.first { $0.tokens.contains(token) }?.subsampling
    }

    public static func colorspace(for subsampling: ChromaSubsampling) -> String {
        colorspaces.first { $0.subsampling == subsampling }!.tokens[0]
    }

    /// A header for frames of `frame`'s size and layout at `framesPerSecond` (whole rates exact, others to 1/1000).
    public init(for frame: YUVFrame, framesPerSecond: Double) {
        let rate =
            framesPerSecond == framesPerSecond.rounded()
            ? Ratio(Int(framesPerSecond), 1) : Ratio(Int((framesPerSecond * 1000).rounded()), 1000)
        self.init(
            width: frame.width, height: frame.height, frameRate: rate,
            colorspace: Self.colorspace(for: frame.subsampling))
    }

    public var subsampling: ChromaSubsampling { Self.subsampling(forColorspace: colorspace) ?? .yuv420 }
    public var frameByteCount: Int { subsampling.frameByteCount(width: width, height: height) }

    public var encoded: String {
        var text = "YUV4MPEG2 W\(width) H\(height) F\(frameRate) I\(interlacing) A\(pixelAspect) C\(colorspace)"
        for comment in comments { text += " X\(comment)" }
        return text + "\n"
    }
}
