/// Chroma subsampling of a planar YUV frame.
public enum ChromaSubsampling: Equatable, Sendable {
    case yuv420, yuv422, yuv444, mono

    /// Chroma plane size for a luma plane of `width` x `height`.
    public func chromaSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch self {
        case .yuv420: return ((width + 1) / 2, (height + 1) / 2)
        case .yuv422: return ((width + 1) / 2, height)
        case .yuv444: return (width, height)
        case .mono: return (0, 0)
        }
    }

    public func frameByteCount(width: Int, height: Int) -> Int {
        let c = chromaSize(width: width, height: height)
        return width * height + 2 * c.width * c.height
    }
}

/// A planar 8-bit YUV frame (Y, then Cb and Cr unless mono).
public struct YUVFrame: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let subsampling: ChromaSubsampling
    /// Y, Cb, Cr planes concatenated, exactly as one Y4M frame stores them.
    public var bytes: [UInt8]

    public init(width: Int, height: Int, subsampling: ChromaSubsampling, bytes: [UInt8]) {
        precondition(
            bytes.count == subsampling.frameByteCount(width: width, height: height),
            "plane sizes do not match the frame")
        self.width = width
        self.height = height
        self.subsampling = subsampling
        self.bytes = bytes
    }

    /// A gray frame: the luma plane, with neutral chroma.
    public init(gray: GrayImage, subsampling: ChromaSubsampling = .yuv420) {
        let c = subsampling.chromaSize(width: gray.width, height: gray.height)
        self.init(
            width: gray.width, height: gray.height, subsampling: subsampling,
            bytes: gray.pixels + [UInt8](repeating: 128, count: 2 * c.width * c.height))
    }

    /// BT.601 full-range conversion from RGB (as JPEG and webcams use), chroma averaged per block.
    public init(rgb: RGBImage, subsampling: ChromaSubsampling = .yuv420) {
        let w = rgb.width, h = rgb.height
        let c = subsampling.chromaSize(width: w, height: h)
        var out = [UInt8](repeating: 128, count: subsampling.frameByteCount(width: w, height: h))
        let luma = rgb.grayscale().pixels
        out.replaceSubrange(0..<(w * h), with: luma)
        if c.width > 0 {
            let sx = (w + c.width - 1) / c.width, sy = (h + c.height - 1) / c.height
            for cy in 0..<c.height {
                for cx in 0..<c.width {
                    var cb = 0.0, cr = 0.0, n = 0.0
                    for y in (cy * sy)..<min(h, cy * sy + sy) {
                        for x in (cx * sx)..<min(w, cx * sx + sx) {
                            let i = 3 * (y * w + x)
                            let r = Double(rgb.pixels[i]), g = Double(rgb.pixels[i + 1]), b = Double(rgb.pixels[i + 2])
                            cb += -0.168736 * r - 0.331264 * g + 0.5 * b
                            cr += 0.5 * r - 0.418688 * g - 0.081312 * b
                            n += 1
                        }
                    }
                    out[w * h + cy * c.width + cx] = UInt8(clamping: Int((cb / n + 128).rounded()))
                    out[w * h + c.width * c.height + cy * c.width + cx] = UInt8(clamping: Int((cr / n + 128).rounded()))
                }
            }
        }
        self.init(width: w, height: h, subsampling: subsampling, bytes: out)
    }

    /// The luma plane, which is all the detector and the classifier look at.
    public var luma: GrayImage {
        GrayImage(width: width, height: height, pixels: Array(bytes[0..<(width * height)]))
    }

    /// BT.601 full-range RGB, for display.
    public func rgb() -> RGBImage {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    for x in 0..<width {
                        let (r, g, b) = Self.rgb(src, x: x, y: y, width: width, height: height, subsampling: subsampling)
                        let i = 3 * (y * width + x)
                        (dst[i], dst[i + 1], dst[i + 2]) = (r, g, b)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// One pixel of `rgb()`, for code that reads a few pixels of a frame (BlazeFace's letterbox reads 4 taps for
    /// each of its 128x128 inputs instead of converting all 640x480).
    public func rgb(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        bytes.withUnsafeBufferPointer {
            Self.rgb($0, x: x, y: y, width: width, height: height, subsampling: subsampling)
        }
    }

    @inline(__always)
    public static func rgb(
        _ src: UnsafeBufferPointer<UInt8>, x: Int, y: Int, width: Int, height: Int, subsampling: ChromaSubsampling
    ) -> (UInt8, UInt8, UInt8) {
        let c = subsampling.chromaSize(width: width, height: height)
        let yv = Float(src[y * width + x])
        var r = yv, g = yv, b = yv
        if c.width > 0 {
            let cbBase = width * height, crBase = cbBase + c.width * c.height
            let cyIndex = c.height == height ? y : y / 2
            let cxIndex = c.width == width ? x : x / 2
            let cb = Float(src[cbBase + cyIndex * c.width + cxIndex]) - 128
            let cr = Float(src[crBase + cyIndex * c.width + cxIndex]) - 128
            r = yv + 1.402 * cr
            g = yv - 0.344136 * cb - 0.714136 * cr
            b = yv + 1.772 * cb
        }
        return (UInt8(max(0, min(255, r + 0.5))), UInt8(max(0, min(255, g + 0.5))), UInt8(max(0, min(255, b + 0.5))))
    }
}
