import CSDL2
import Frames

/// A fault while decoding an image file.
public struct ImageDecodingError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Decodes JPEG, PNG and the other formats SDL2_image supports into RGB.
///
/// SDL_image keeps no per-call state; the error string it reports is thread-local,
/// so decoding may happen on any thread.
public enum ImageDecoder {
    public static func decodeRGB(path: String) throws(ImageDecodingError) -> RGBImage {
        guard let loaded = IMG_Load(path) else {
            throw ImageDecodingError(path: path, reason: "cannot decode image: \(String(cString: SDL_GetError()))")
        }
        defer { SDL_FreeSurface(loaded) }
        guard let rgb = SDL_ConvertSurfaceFormat(loaded, SDL_PIXELFORMAT_RGB24.rawValue, 0) else {
            throw ImageDecodingError(path: path, reason: "cannot convert image to RGB: \(String(cString: SDL_GetError()))")
        }
        defer { SDL_FreeSurface(rgb) }
        let width = Int(rgb.pointee.w), height = Int(rgb.pointee.h), pitch = Int(rgb.pointee.pitch)
        guard width > 0, height > 0, let base = rgb.pointee.pixels else {
            throw ImageDecodingError(path: path, reason: "image has no pixels")
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

    /// Encodes RGB pixels as a PNG file (snapshots, screenshots).
    public static func writePNG(_ image: RGBImage, path: String) throws(ImageDecodingError) {
        var pixels = image.pixels
        let result: Int32 = pixels.withUnsafeMutableBytes { bytes in
            guard let surface = SDL_CreateRGBSurfaceWithFormatFrom(bytes.baseAddress, Int32(image.width), Int32(image.height), 24,
                                                                   Int32(image.width * 3), SDL_PIXELFORMAT_RGB24.rawValue) else { return -1 }
            defer { SDL_FreeSurface(surface) }
            return IMG_SavePNG(surface, path)
        }
        if result != 0 { throw ImageDecodingError(path: path, reason: "cannot write PNG: \(String(cString: SDL_GetError()))") }
    }
}
