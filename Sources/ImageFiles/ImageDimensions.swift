/// An image's size read from its header, before any pixel is decoded, so that a small file claiming
/// 30000 x 30000 pixels is refused instead of taking gigabytes. JPEG, PNG, BMP, GIF and WebP are read;
/// other formats are bounded by the file size limit alone.
enum ImageDimensions {
    /// The largest side fercam decodes, and the largest picture (an RGB copy of it is 192 MB).
    static let maximumSide = 16384
    static let maximumPixels = 64 << 20

    /// Width and height from the first bytes of a file, or nil when the format is not one read here.
    static func read(_ b: [UInt8]) -> (width: Int, height: Int)? {
        func be16(_ i: Int) -> Int? { i + 2 <= b.count ? Int(b[i]) << 8 | Int(b[i + 1]) : nil }
        func le16(_ i: Int) -> Int? { i + 2 <= b.count ? Int(b[i]) | Int(b[i + 1]) << 8 : nil }
        func be32(_ i: Int) -> Int? { i + 4 <= b.count ? (be16(i)! << 16) | be16(i + 2)! : nil }
        func le32(_ i: Int) -> Int? { i + 4 <= b.count ? le16(i)! | (le16(i + 2)! << 16) : nil }
        func starts(_ s: [UInt8], at i: Int = 0) -> Bool { i + s.count <= b.count && Array(b[i..<(i + s.count)]) == s }

        if starts([0x89, 0x50, 0x4E, 0x47]), let w = be32(16), let h = be32(20) { return (w, h) }
        if starts(Array("GIF8".utf8)), let w = le16(6), let h = le16(8) { return (w, h) }
        if starts(Array("BM".utf8)), let w = le32(18), let h = le32(22) {
            return (Int(Int32(truncatingIfNeeded: w)).magnitude.asInt, Int(Int32(truncatingIfNeeded: h)).magnitude.asInt)
        }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) {
            if starts(Array("VP8X".utf8), at: 12), b.count >= 30 {
                return (1 + (Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16), 1 + (Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16))
            }
            if starts(Array("VP8L".utf8), at: 12), b.count >= 25 {
                let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
                return (1 + bits & 0x3FFF, 1 + (bits >> 14) & 0x3FFF)
            }
            if starts(Array("VP8 ".utf8), at: 12), let w = le16(26), let h = le16(28) { return (w & 0x3FFF, h & 0x3FFF) }
            return nil
        }
        if starts([0xFF, 0xD8]) {
            // Walk the marker segments to the first start-of-frame (SOF0-15 but DHT, JPG and DAC).
            var i = 2
            while i + 4 <= b.count, b[i] == 0xFF {
                let marker = b[i + 1]
                if marker == 0xFF { i += 1; continue }
                guard let length = be16(i + 2) else { return nil }
                if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                    guard let h = be16(i + 5), let w = be16(i + 7) else { return nil }
                    return (w, h)
                }
                i += 2 + length
            }
        }
        return nil
    }
}

extension UInt {
    fileprivate var asInt: Int { Int(truncatingIfNeeded: self) }
}
