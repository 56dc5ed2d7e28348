/// An 8-bit single-channel image, row-major with no padding.
public struct GrayImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height, "pixel count must be width * height")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: fill, count: width * height))
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// The image inside a border of `border` pixels on each side that repeats its edge pixels (OpenCV's
    /// BORDER_REPLICATE): lets a detector find a face that fills a tightly cropped photo.
    public func padded(by border: Int) -> GrayImage {
        guard border > 0, width > 0, height > 0 else { return self }
        return GrayImage(
            width: width + 2 * border, height: height + 2 * border,
            pixels: replicatePadded(pixels, width: width, height: height, channels: 1, border: border))
    }

    /// The pixels inside `rect`, clipped to the image.
    public func cropped(to rect: Rect) -> GrayImage {
        let clipped = rect.intersection(Rect(x: 0, y: 0, width: width, height: height))
        var out = [UInt8](repeating: 0, count: clipped.width * clipped.height)
        for row in 0..<clipped.height {
            let src = (clipped.y + row) * width + clipped.x
            out[(row * clipped.width)..<((row + 1) * clipped.width)] = pixels[src..<(src + clipped.width)]
        }
        return GrayImage(width: clipped.width, height: clipped.height, pixels: out)
    }
}

/// An 8-bit RGB image, interleaved R, G, B, row-major with no padding.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height * 3, "pixel count must be width * height * 3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// As `GrayImage.padded(by:)`, for colour: a border repeating the edge pixels.
    public func padded(by border: Int) -> RGBImage {
        guard border > 0, width > 0, height > 0 else { return self }
        return RGBImage(
            width: width + 2 * border, height: height + 2 * border,
            pixels: replicatePadded(pixels, width: width, height: height, channels: 3, border: border))
    }

    /// ITU-R BT.601 luma with the 14-bit fixed-point weights OpenCV's `cvtColor` uses,
    /// so that gray images match OpenCV's for the same decoded RGB.
    public func grayscale() -> GrayImage {
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { rgb in
            for i in 0..<(width * height) {
                let r = UInt32(rgb[3 * i]), g = UInt32(rgb[3 * i + 1]), b = UInt32(rgb[3 * i + 2])
                out[i] = UInt8((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14)
            }
        }
        return GrayImage(width: width, height: height, pixels: out)
    }
}

/// An axis-aligned integer rectangle (top-left corner and size), as detectors report them.
public struct Rect: Hashable, Sendable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Int { width * height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    public func intersection(_ other: Rect) -> Rect {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(x + width, other.x + other.width), y1 = min(y + height, other.y + other.height)
        guard x1 > x0, y1 > y0 else { return Rect(x: x0, y: y0, width: 0, height: 0) }
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    public var description: String { "[\(x),\(y),\(width),\(height)]" }
}

/// Interleaved pixels inside a border of `border` on each side that repeats the edge pixels (BORDER_REPLICATE).
func replicatePadded(_ pixels: [UInt8], width: Int, height: Int, channels: Int, border: Int) -> [UInt8] {
    let w = width + 2 * border, h = height + 2 * border
    var out = [UInt8](repeating: 0, count: w * h * channels)
    for y in 0..<h {
        let sy = min(max(y - border, 0), height - 1)
        for x in 0..<w {
            let s = channels * (sy * width + min(max(x - border, 0), width - 1)), d = channels * (y * w + x)
            for c in 0..<channels { out[d + c] = pixels[s + c] }
        }
    }
    return out
}
