import Frames

/// Netpbm images: P2/P5 (gray) and P3/P6 (RGB), 8-bit (maxval up to 255).
public enum PNM {
    public enum Image: Equatable, Sendable {
        case gray(GrayImage)
        case rgb(RGBImage)

        public var gray: GrayImage {
            switch self {
            case .gray(let g): return g
            case .rgb(let c): return c.grayscale()
            }
        }
    }

    /// Whether `head` starts with a Netpbm signature (P1 to P6; decode says which it supports).
    public static func isNetpbm(_ head: [UInt8]) -> Bool {
        head.count >= 2 && head[0] == UInt8(ascii: "P") && (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(head[1])
    }

    public static func decode(_ data: [UInt8], source: String) throws(FrameFormatError) -> Image {
        var position = 0
        func fail(_ reason: String) -> FrameFormatError {
            FrameFormatError(source: source, byteOffset: position, reason: reason)
        }
        func skipSpaceAndComments() {
            while position < data.count {
                if data[position] == UInt8(ascii: "#") {
                    while position < data.count && data[position] != UInt8(ascii: "\n") { position += 1 }
                } else if [9, 10, 13, 32].contains(data[position]) {
                    position += 1
                } else {
                    return
                }
            }
        }
        func number() throws(FrameFormatError) -> Int {
            skipSpaceAndComments()
            var value = 0, digits = 0
            while position < data.count, (48...57).contains(data[position]), digits < 9 {
                value = value * 10 + Int(data[position] - 48)
                position += 1
                digits += 1
            }
            guard digits > 0 else { throw fail("expected a number in the PNM header") }
            return value
        }
        guard data.count >= 2, data[0] == UInt8(ascii: "P"), [50, 51, 53, 54].contains(data[1]) else {
            throw fail("not a PGM/PPM file (expected P2, P3, P5 or P6)")
        }
        let kind = data[1] - 48
        position = 2
        let width = try number(), height = try number(), maxval = try number()
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw fail("image size \(width)x\(height) is out of range")
        }
        guard (1...255).contains(maxval) else { throw fail("maxval \(maxval) is not supported (8-bit only)") }
        let channels = (kind == 3 || kind == 6) ? 3 : 1
        let count = width * height * channels
        // The file must hold every sample before anything is allocated: a few header bytes may claim 800 MB.
        if kind == 5 || kind == 6 { position += 1 }  // the single whitespace byte after maxval
        let available = data.count - position
        if kind == 5 || kind == 6 {
            guard available >= count else {
                throw fail("truncated pixel data, expected \(count) bytes, got \(max(0, available))")
            }
        } else {
            guard available >= 2 * count - 1 else { throw fail("truncated pixel data, expected \(count) numbers") }
        }
        var pixels = [UInt8](repeating: 0, count: count)
        if kind == 5 || kind == 6 {
            pixels.replaceSubrange(0..<count, with: data[position..<(position + count)])
        } else {
            for i in 0..<count { pixels[i] = UInt8(min(try number(), maxval)) }
        }
        if maxval != 255 {
            // Samples above maxval are invalid; they are read as maxval rather than wrapped.
            for i in 0..<count { pixels[i] = UInt8((min(Int(pixels[i]), maxval) * 255 + maxval / 2) / maxval) }
        }
        return channels == 1
            ? .gray(GrayImage(width: width, height: height, pixels: pixels))
            : .rgb(RGBImage(width: width, height: height, pixels: pixels))
    }

    public static func encode(_ image: GrayImage) -> [UInt8] {
        Array("P5\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }

    public static func encode(_ image: RGBImage) -> [UInt8] {
        Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }
}
