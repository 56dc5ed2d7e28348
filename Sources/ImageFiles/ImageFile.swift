import Frames
import Posix

/// Image files in and out: Netpbm natively, every other format through SDL2_image.
public enum ImageFile {
    /// Extensions fercam treats as images when it lists a directory.
    public static let extensions: Set<String> = [
        "jpg", "jpeg", "png", "pgm", "ppm", "pnm", "bmp", "tga", "tif", "tiff", "webp",
    ]
    /// Netpbm files are read whole; this bounds a 16384 x 16384 gray or a 8192 x 8192 color image.
    static let netpbmByteLimit = 256 << 20

    /// Decodes one image to RGB.
    public static func loadRGB(_ path: String) throws(ImageFileError) -> RGBImage {
        switch try netpbm(path) {
        case .rgb(let rgb)?: return rgb
        case .gray(let g)?:
            return RGBImage(width: g.width, height: g.height, pixels: g.pixels.flatMap { [$0, $0, $0] })
        case nil: return try decodeChecked(path)
        }
    }

    /// Decodes one image straight to gray (exact for PGM, BT.601 luma otherwise).
    public static func loadGray(_ path: String) throws(ImageFileError) -> GrayImage {
        if let image = try netpbm(path) { return image.gray }
        return try decodeChecked(path).grayscale()
    }

    /// Every format's file size limit: far above any real photograph, far below what could exhaust memory.
    static let fileByteLimit = 256 << 20

    /// SDL2_image decoding, after the file is known to be a regular file of sane size whose header
    /// (where fercam can read it) does not claim more pixels than the documented maximum.
    static func decodeChecked(_ path: String) throws(ImageFileError) -> RGBImage {
        let head: [UInt8]
        do {
            let reader = try ByteReader(path: path, regularFileOnly: true)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            let count = try reader.read(into: &buffer, at: 0, count: buffer.count)
            head = Array(buffer[0..<count])
        } catch {
            throw ImageFileError(path: path, reason: error.reason)
        }
        if case .regular(let size)? = try? FileKind(path: path), size > fileByteLimit {
            throw ImageFileError(
                path: path, reason: "file of \(size >> 20) MiB is larger than the \(fileByteLimit >> 20) MiB images may have")
        }
        if let (w, h) = ImageDimensions.read(head) {
            let side = ImageDimensions.maximumSide, pixels = ImageDimensions.maximumPixels
            guard w > 0, h > 0 else { throw ImageFileError(path: path, reason: "the header claims an empty \(w)x\(h) image") }
            guard w <= side, h <= side, w * h <= pixels else {
                throw ImageFileError(
                    path: path,
                    reason: "the header claims \(w)x\(h) pixels; fercam decodes at most \(side) a side and \(pixels >> 20) megapixels")
            }
        }
        return try SDLImageCodec.decodeRGB(path: path)
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

    public static func isImageName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// The decoded image when `path` names a Netpbm file, nil for other formats.
    static func netpbm(_ path: String) throws(ImageFileError) -> PNM.Image? {
        let lower = path.lowercased()
        guard lower.hasSuffix(".pgm") || lower.hasSuffix(".ppm") || lower.hasSuffix(".pnm") else { return nil }
        do { return try PNM.decode(ByteReader(path: path, regularFileOnly: true).readToEnd(limit: netpbmByteLimit), source: path) } catch {
            throw ImageFileError(
                path: path,
                reason: error.description.hasPrefix(path + ": ")
                    ? String(error.description.dropFirst(path.count + 2)) : error.description)
        }
    }
}
