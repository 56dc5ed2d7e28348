import CSDL2Image
import Frames
import Posix

/// JPEG, PNG, BMP, TGA, TIFF and WebP through SDL2_image: decoding to RGB, and PNG writing.
///
/// Threading rule: SDL_image keeps no per-call state and SDL's error string is
/// thread-local, so any thread may decode or write.
enum SDLImageCodec {
    static func decodeRGB(path: String) throws(ImageFileError) -> RGBImage {
        SDL_ClearError()  // an earlier failure's message must not stand in for this one's
        // libpng and libjpeg print their own warnings on stderr; they become part of the one error line
        // (or are dropped when the image decodes), never a second line before it.
        let (decoded, chatter) = capturingStandardError { IMG_Load(path) }
        guard let loaded = decoded else {
            let detail = chatter.split(separator: "\n").first.map { " (\($0))" } ?? ""
            throw ImageFileError(path: path, reason: "cannot decode image: \(lastError())\(detail)")
        }
        defer { SDL_FreeSurface(loaded) }
        guard let rgb = SDL_ConvertSurfaceFormat(loaded, SDL_PIXELFORMAT_RGB24.rawValue, 0) else {
            throw ImageFileError(path: path, reason: "cannot convert image to RGB: \(lastError())")
        }
        defer { SDL_FreeSurface(rgb) }
        let width = Int(rgb.pointee.w), height = Int(rgb.pointee.h), pitch = Int(rgb.pointee.pitch)
        guard width > 0, height > 0, let base = rgb.pointee.pixels else {
            throw ImageFileError(path: path, reason: "image has no pixels")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let source = base.assumingMemoryBound(to: UInt8.self)
        let rowBytes = width * 3
        pixels.withUnsafeMutableBufferPointer { out in
            let destination = out.baseAddress!
            for y in 0..<height {
                (destination + y * rowBytes).update(from: source + y * pitch, count: rowBytes)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Written whole or not at all: SDL_image writes a temporary file beside `path` (it does not report every
    /// failed write: a full disk gave truncated PNGs), which is decoded back and compared before it is renamed
    /// into place.
    static func writePNG(_ image: RGBImage, path: String) throws(ImageFileError) {
        let file: AtomicFile
        do { file = try AtomicFile(path: path) } catch {
            throw ImageFileError(path: path, reason: "cannot create: \(error.message)")
        }
        var pixels = image.pixels
        SDL_ClearError()
        let result: Int32 = pixels.withUnsafeMutableBytes { bytes in
            guard
                let surface = SDL_CreateRGBSurfaceWithFormatFrom(
                    bytes.baseAddress, Int32(image.width), Int32(image.height), 24,
                    Int32(image.width * 3), SDL_PIXELFORMAT_RGB24.rawValue)
            else { return -1 }
            defer { SDL_FreeSurface(surface) }
            return IMG_SavePNG(surface, file.temporaryPath)
        }
        if result != 0 { throw ImageFileError(path: path, reason: "cannot write PNG: \(lastError())") }
        guard let written = try? decodeRGB(path: file.temporaryPath), written == image else {
            throw ImageFileError(path: path, reason: "cannot write PNG: the file came out incomplete (is the disk full?)")
        }
        do { try file.commit() } catch { throw ImageFileError(path: path, reason: "cannot write PNG: \(error)") }
    }

    private static func lastError() -> String {
        let text = String(cString: SDL_GetError())
        return text.isEmpty ? "unknown error" : text
    }
}
