import Frames
import Posix

/// Image files in and out: Netpbm natively, every other format through SDL2_image.
public enum ImageFile {
    /// Extensions fercam treats as images when it lists a directory.
    public static let extensions: Set<String> = [
        "jpg", "jpeg", "png", "pgm", "ppm", "pnm", "bmp", "tga", "tif", "tiff", "webp",
    ]

    /// Decodes one image to RGB.
    public static func loadRGB(_ path: String) throws(ImageFileError) -> RGBImage {
        switch try load(path) {
        case .netpbm(.rgb(let rgb)): return rgb
        case .netpbm(.gray(let g)):
            return RGBImage(width: g.width, height: g.height, pixels: g.pixels.flatMap { [$0, $0, $0] })
        case .decoded(let rgb): return rgb
        }
    }

    /// Decodes one image straight to gray (exact for PGM, BT.601 luma otherwise).
    public static func loadGray(_ path: String) throws(ImageFileError) -> GrayImage {
        switch try load(path) {
        case .netpbm(let image): return image.gray
        case .decoded(let rgb): return rgb.grayscale()
        }
    }

    /// Every format's file size limit: far above any real photograph, far below what could exhaust memory.
    static let fileByteLimit = 256 << 20

    private enum Loaded {
        case netpbm(PNM.Image)
        case decoded(RGBImage)
    }

    /// The one way in: a regular file of sane size, its format told by its first bytes (not its name),
    /// Netpbm decoded natively, and only formats whose size fercam can read from the header handed to
    /// SDL2_image, after that size is checked against the documented maximum.
    private static func load(_ path: String) throws(ImageFileError) -> Loaded {
        // The reader's messages start with the path; the image error adds it again.
        func imageError(_ error: FrameFormatError) -> ImageFileError {
            let text = error.description
            return ImageFileError(
                path: path, reason: text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
        }
        let reader: ByteReader
        do throws(FrameFormatError) {
            reader = try ByteReader(path: path, regularFileOnly: true, bufferSize: 1 << 16)
        } catch { throw imageError(error) }
        let size = reader.fileSize ?? 0
        guard size <= fileByteLimit else {
            throw ImageFileError(
                path: path,
                reason: "file of \(size >> 20) MiB is larger than the \(fileByteLimit >> 20) MiB images may have")
        }
        let head: [UInt8]
        do throws(FrameFormatError) {
            var buffer = [UInt8](repeating: 0, count: min(size, ImageDimensions.headBytes))
            let count = try reader.read(into: &buffer, at: 0, count: buffer.count)
            head = Array(buffer[0..<count])
            if PNM.isNetpbm(head) {
                // The rest of the file follows the head through the same reader.
                let rest = try reader.readToEnd(limit: fileByteLimit - head.count)
                return .netpbm(try PNM.decode(head + rest, source: path))
            }
        } catch { throw imageError(error) }
        guard let format = ImageDimensions.format(head, name: path) else {
            throw ImageFileError(path: path, reason: "not an image fercam reads (\(ImageDimensions.supportedFormats))")
        }
        guard let header = ImageDimensions.read(head, name: path) else {
            throw ImageFileError(path: path, reason: "truncated or corrupt \(format) header: no image size in it")
        }
        let (w, h) = (header.width, header.height)
        let side = ImageDimensions.maximumSide, pixels = ImageDimensions.maximumPixels
        guard w > 0, h > 0 else {
            throw ImageFileError(path: path, reason: "the \(header.format) header claims an empty \(w)x\(h) image")
        }
        guard w <= side, h <= side, w * h <= pixels else {
            throw ImageFileError(
                path: path,
                reason: "the header claims \(w)x\(h) pixels; "
                    + "fercam decodes at most \(side) a side and \(pixels >> 20) megapixels")
        }
        return .decoded(try SDLImageCodec.decodeRGB(path: path))
    }

    /// Writes a PNG (snapshots, screenshots, charts).
    public static func writePNG(_ image: RGBImage, path: String) throws(ImageFileError) {
        try SDLImageCodec.writePNG(image, path: path)
    }

    /// The image files directly inside `directory`, in name order.
    public static func files(in directory: String) throws(ImageFileError) -> [String] {
        let entries: [String]
        do { entries = try directoryEntryNames(directory) } catch {
            throw ImageFileError(path: directory, reason: error.message)
        }
        let names = entries.filter { isImageName($0) }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return names.sorted().map { base + $0 }
    }

    /// With `recursive`, the image files at any depth below `directory`, sorted by path (stable across runs
    /// and machines). As `find` does by default, links to files are followed and links to directories are
    /// not (they could loop, or lead outside a class folder); nesting stops at 64 levels.
    public static func files(in directory: String, recursive: Bool) throws(ImageFileError) -> [String] {
        guard recursive else { return try files(in: directory) }
        var found: [String] = []
        func walk(_ folder: String, depth: Int) throws(ImageFileError) {
            guard depth < 64 else { return }
            let entries: [String]
            do { entries = try directoryEntryNames(folder) } catch {
                throw ImageFileError(path: folder, reason: error.message)
            }
            let base = folder.hasSuffix("/") ? folder : folder + "/"
            for name in entries where !name.hasPrefix(".") {
                let path = base + name
                if case .directory? = try? FileKind(path: path) {
                    if !isSymbolicLink(path) { try walk(path, depth: depth + 1) }
                } else if isImageName(name) {
                    found.append(path)
                }
            }
        }
        try walk(directory, depth: 0)
        return found.sorted()
    }

    public static func isImageName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }
}
