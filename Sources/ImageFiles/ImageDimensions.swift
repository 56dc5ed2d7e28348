/// An image's format and size read from its first bytes, before any pixel is decoded, so that a small
/// file claiming 30000 x 30000 pixels is refused instead of taking gigabytes. Only formats read here are
/// handed to SDL2_image: a format whose size fercam cannot check is not decoded at all. GIF is one:
/// SDL2_image skips frames it cannot decode and allocates for any later frame's size, anywhere in the
/// file (the image fuzzer found a 62-byte GIF that asked for 4 GB).
enum ImageDimensions {
    /// The largest side fercam decodes, and the largest picture (an RGB copy of it is 192 MB).
    static let maximumSide = 16384
    static let maximumPixels = 64 << 20
    /// How much of a file is read to find its size (JPEG metadata can come first).
    static let headBytes = 1 << 20
    static let supportedFormats = "JPEG, PNG, BMP, WebP, TIFF, TGA or Netpbm"

    struct Header: Equatable {
        var format: String
        var width: Int
        var height: Int
    }

    /// The format `b` (the first bytes of the file `name`) is in, by its signature, when fercam decodes it.
    static func format(_ b: [UInt8], name: String) -> String? {
        func starts(_ s: String, at i: Int = 0) -> Bool { b.has(s, at: i) }
        if b.first == 0x89, starts("PNG", at: 1) { return "PNG" }
        if starts("BM") { return "BMP" }
        if starts("RIFF"), starts("WEBP", at: 8) { return "WebP" }
        if starts("II*\0") || starts("MM\0*") { return "TIFF" }
        if b.count >= 2, b[0] == 0xFF, b[1] == 0xD8 { return "JPEG" }
        if name.lowercased().hasSuffix(".tga") { return "TGA" }
        return nil
    }

    /// The header of `b`, the first bytes of the file `name` (TGA has no signature: it is known by name),
    /// or nil when the format is not one fercam decodes or its size is not within `b`.
    static func read(_ b: [UInt8], name: String) -> Header? {
        func be16(_ i: Int) -> Int? { i >= 0 && i + 2 <= b.count ? Int(b[i]) << 8 | Int(b[i + 1]) : nil }
        func le16(_ i: Int) -> Int? { i >= 0 && i + 2 <= b.count ? Int(b[i]) | Int(b[i + 1]) << 8 : nil }
        func be32(_ i: Int) -> Int? { i >= 0 && i + 4 <= b.count ? (be16(i)! << 16) | be16(i + 2)! : nil }
        func le32(_ i: Int) -> Int? { i >= 0 && i + 4 <= b.count ? le16(i)! | (le16(i + 2)! << 16) : nil }
        func starts(_ s: String, at i: Int) -> Bool { b.has(s, at: i) }
        func header(_ format: String, _ w: Int?, _ h: Int?) -> Header? {
            guard let w, let h else { return nil }
            return Header(format: format, width: w, height: h)
        }

        switch format(b, name: name) {
        case "PNG":
            return header("PNG", be32(16), be32(20))
        case "BMP":
            // Height is signed (negative: rows stored top-down).
            guard let w = le32(18), let h = le32(22) else { return nil }
            return Header(format: "BMP", width: w, height: Int(Int32(truncatingIfNeeded: h)).magnitude.asInt)
        case "WebP":
            if starts("VP8X", at: 12), b.count >= 30 {
                return Header(
                    format: "WebP", width: 1 + (Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16),
                    height: 1 + (Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16))
            }
            if starts("VP8L", at: 12), let bits = le32(21) {
                return Header(format: "WebP", width: 1 + (bits & 0x3FFF), height: 1 + ((bits >> 14) & 0x3FFF))
            }
            if starts("VP8 ", at: 12), let w = le16(26), let h = le16(28) {
                return Header(format: "WebP", width: w & 0x3FFF, height: h & 0x3FFF)
            }
            return nil
        case "TIFF":
            return b[0] == UInt8(ascii: "I") ? tiff(b, le16, le32) : tiff(b, be16, be32)
        case "JPEG":
            return jpeg(b, be16)
        case "TGA":
            return header("TGA", le16(12), le16(14))
        default:
            return nil
        }
    }

    /// JPEG: the marker segments walked to the first start-of-frame (SOF0-15 but DHT, JPG and DAC).
    private static func jpeg(_ b: [UInt8], _ be16: (Int) -> Int?) -> Header? {
        var i = 2
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xFF {
                i += 1
                continue
            }
            guard let length = be16(i + 2) else { return nil }
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard let h = be16(i + 5), let w = be16(i + 7) else { return nil }
                return Header(format: "JPEG", width: w, height: h)
            }
            i += 2 + length
        }
        return nil
    }

    /// TIFF: ImageWidth (256) and ImageLength (257) from the first image file directory.
    private static func tiff(_ b: [UInt8], _ u16: (Int) -> Int?, _ u32: (Int) -> Int?) -> Header? {
        guard let directory = u32(4), let count = u16(directory) else { return nil }
        var width: Int?, height: Int?
        for entry in 0..<count {
            let at = directory + 2 + entry * 12
            guard let tag = u16(at), let type = u16(at + 2) else { return nil }
            guard tag == 256 || tag == 257 else { continue }
            let value = type == 3 ? u16(at + 8) : u32(at + 8)  // SHORT or LONG
            if tag == 256 { width = value } else { height = value }
        }
        guard let width, let height else { return nil }
        return Header(format: "TIFF", width: width, height: height)
    }
}

extension [UInt8] {
    /// Whether the ASCII text `s` is at byte `i`.
    fileprivate func has(_ s: String, at i: Int) -> Bool {
        let s = Array(s.utf8)
        return i + s.count <= count && self[i..<(i + s.count)].elementsEqual(s)
    }
}

extension UInt {
    fileprivate var asInt: Int { Int(truncatingIfNeeded: self) }
}
