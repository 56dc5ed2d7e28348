import Frames
import SDLKit
#if canImport(Glibc)
import Glibc
#endif

/// One frame as it enters the pipeline.
public struct SourceFrame: Sendable {
    public var index: Int
    /// Presentation time in seconds (frame index over frame rate; 0 for still images).
    public var pts: Double
    /// The stream's name, or the image's path for still images.
    public var source: String
    public var frame: YUVFrame

    public init(index: Int, pts: Double, source: String, frame: YUVFrame) {
        self.index = index
        self.pts = pts
        self.source = source
        self.frame = frame
    }
}

/// Anything that yields frames in order: files, pipes, cameras.
public protocol FrameSource {
    /// Frames per second the source runs at, when it has one.
    var frameRate: Double? { get }
    /// The next frame, nil at the end; throws on a fault, after every good frame before it was returned.
    mutating func next() throws -> SourceFrame?
}

/// A fault reading input, with the location in its message.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Frames from a Y4M file or from standard input (`-`).
public struct Y4MSource: FrameSource {
    let reader: Y4MReader
    let name: String

    public init(path: String) throws {
        if path == "-" {
            reader = try Y4MReader(reader: ByteReader(fileDescriptor: 0, name: "stdin", ownsDescriptor: false))
            name = "stdin"
        } else {
            reader = try Y4MReader(path: path)
            name = path
        }
    }

    public var header: Y4MHeader { reader.header }
    public var frameRate: Double? { reader.header.frameRate.value }

    public mutating func next() throws -> SourceFrame? {
        let index = reader.framesRead
        guard let frame = try reader.next() else { return nil }
        return SourceFrame(index: index, pts: Double(index) / reader.header.frameRate.value, source: name, frame: frame)
    }
}

/// Still images: one file, or every image of a directory in name order.
public struct ImageSource: FrameSource {
    public static let extensions: Set<String> = ["jpg", "jpeg", "png", "pgm", "ppm", "pnm", "bmp", "tga", "tif", "tiff", "webp"]
    let paths: [String]
    var position = 0

    public init(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw InputError("\(path): \(systemErrorMessage(errno))") }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            paths = try Self.imageFiles(in: path)
            guard !paths.isEmpty else { throw InputError("\(path): no images in this directory (looked for \(Self.extensions.sorted().joined(separator: ", ")))") }
        } else {
            paths = [path]
        }
    }

    /// The image files directly inside `directory`, in name order.
    public static func imageFiles(in directory: String) throws -> [String] {
        guard let entries = directoryEntryNames(directory) else { throw InputError("\(directory): \(systemErrorMessage(errno))") }
        let names = entries.filter { name in
            guard let dot = name.lastIndex(of: ".") else { return false }
            return extensions.contains(name[name.index(after: dot)...].lowercased())
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return names.sorted().map { base + $0 }
    }

    public var frameRate: Double? { nil }

    public mutating func next() throws -> SourceFrame? {
        guard position < paths.count else { return nil }
        let path = paths[position]
        defer { position += 1 }
        return SourceFrame(index: position, pts: 0, source: path, frame: YUVFrame(rgb: try Self.load(path)))
    }

    /// Decodes one image: Netpbm natively, everything else through SDL2_image.
    public static func load(_ path: String) throws -> RGBImage {
        switch try netpbm(path) {
        case .rgb(let rgb)?: return rgb
        case .gray(let g)?: return RGBImage(width: g.width, height: g.height, pixels: g.pixels.flatMap { [$0, $0, $0] })
        case nil: return try ImageDecoder.decodeRGB(path: path)
        }
    }

    /// Decodes one image straight to grey (exact for PGM, BT.601 luma otherwise).
    public static func loadGray(_ path: String) throws -> GrayImage {
        try netpbm(path)?.gray ?? ImageDecoder.decodeRGB(path: path).grayscale()
    }

    /// The decoded image when `path` names a Netpbm file, nil for other formats.
    static func netpbm(_ path: String) throws -> PNM.Image? {
        let lower = path.lowercased()
        guard lower.hasSuffix(".pgm") || lower.hasSuffix(".ppm") || lower.hasSuffix(".pnm") else { return nil }
        return try PNM.decode(ByteReader(path: path).readToEnd(), source: path)
    }
}
