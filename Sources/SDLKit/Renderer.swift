import CSDL2
import Frames
import Glibc

/// An SDL renderer and everything fercam draws with it: video frames, boxes, text, heat maps.
/// `Window` draws to the screen and `Canvas` to memory through the same calls, so a picture
/// rendered offscreen is what the window shows.
///
/// Threading rule: the thread that created it, only.
public class Renderer {
    let renderer: OpaquePointer
    private var video: OpaquePointer?
    private var videoSize = (width: 0, height: 0, planar: false)
    private var heat: OpaquePointer?
    private var heatSize = (width: 0, height: 0)

    /// Frees what the renderer draws into (a window, a surface); runs after the renderer is destroyed.
    private let releaseTarget: () -> Void

    init(renderer: OpaquePointer, releaseTarget: @escaping () -> Void) {
        self.renderer = renderer
        self.releaseTarget = releaseTarget
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
    }

    deinit {
        if let video { SDL_DestroyTexture(video) }
        if let heat { SDL_DestroyTexture(heat) }
        SDL_DestroyRenderer(renderer)
        releaseTarget()
    }

    /// Draw in frame coordinates; SDL scales to the window and letterboxes, keeping the aspect ratio.
    public func setLogicalSize(width: Int, height: Int) {
        SDL_RenderSetLogicalSize(renderer, Int32(width), Int32(height))
    }

    public func clear(_ color: Color) {
        SDL_SetRenderDrawColor(renderer, color.r, color.g, color.b, color.a)
        SDL_RenderClear(renderer)
    }

    /// Draws a video frame filling the logical area. 4:2:0 goes straight to a YUV texture; other layouts via RGB.
    public func drawVideo(_ frame: YUVFrame) throws(SDLError) {
        let planar = frame.subsampling == .yuv420
        if video == nil || videoSize != (frame.width, frame.height, planar) {
            if let video { SDL_DestroyTexture(video) }
            let format = planar ? SDL_PIXELFORMAT_IYUV.rawValue : SDL_PIXELFORMAT_RGB24.rawValue
            video = SDL_CreateTexture(
                renderer, format, Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(frame.width), Int32(frame.height))
            guard video != nil else { throw .last("creating a \(frame.width)x\(frame.height) video texture") }
            videoSize = (frame.width, frame.height, planar)
        }
        if planar {
            let ySize = frame.width * frame.height
            let c = frame.subsampling.chromaSize(width: frame.width, height: frame.height)
            frame.bytes.withUnsafeBufferPointer { b in
                let base = b.baseAddress!
                _ = SDL_UpdateYUVTexture(
                    video, nil, base, Int32(frame.width), base + ySize, Int32(c.width),
                    base + ySize + c.width * c.height, Int32(c.width))
            }
        } else {
            let rgb = frame.rgb()
            rgb.pixels.withUnsafeBytes { _ = SDL_UpdateTexture(video, nil, $0.baseAddress, Int32(rgb.width * 3)) }
        }
        SDL_RenderCopy(renderer, video, nil, nil)
    }

    public func fill(_ rect: Rect, _ color: Color) {
        var r = SDL_Rect(x: Int32(rect.x), y: Int32(rect.y), w: Int32(rect.width), h: Int32(rect.height))
        SDL_SetRenderDrawColor(renderer, color.r, color.g, color.b, color.a)
        SDL_RenderFillRect(renderer, &r)
    }

    public func outline(_ rect: Rect, _ color: Color, thickness: Int) {
        let t = thickness
        fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: t), color)
        fill(Rect(x: rect.x, y: rect.y + rect.height - t, width: rect.width, height: t), color)
        fill(Rect(x: rect.x, y: rect.y + t, width: t, height: rect.height - 2 * t), color)
        fill(Rect(x: rect.x + rect.width - t, y: rect.y + t, width: t, height: rect.height - 2 * t), color)
    }

    /// Draws text with its top-left corner at (x, y); returns its size.
    @discardableResult
    public func text(_ string: String, font: Font, x: Int, y: Int, color: Color) -> (width: Int, height: Int) {
        guard !string.isEmpty,
            let surface = TTF_RenderUTF8_Blended(
                font.font, string, SDL_Color(r: color.r, g: color.g, b: color.b, a: color.a))
        else { return (0, 0) }
        defer { SDL_FreeSurface(surface) }
        guard let texture = SDL_CreateTextureFromSurface(renderer, surface) else { return (0, 0) }
        defer { SDL_DestroyTexture(texture) }
        var target = SDL_Rect(x: Int32(x), y: Int32(y), w: surface.pointee.w, h: surface.pointee.h)
        SDL_RenderCopy(renderer, texture, nil, &target)
        return (Int(surface.pointee.w), Int(surface.pointee.h))
    }

    /// Stretches an RGBA image (e.g. a colored attention map) over `rect` with bilinear filtering.
    public func drawRGBA(_ pixels: [UInt8], width: Int, height: Int, over rect: Rect) {
        if heat == nil || heatSize != (width, height) {
            if let heat { SDL_DestroyTexture(heat) }
            heat = SDL_CreateTexture(
                renderer, SDL_PIXELFORMAT_ABGR8888.rawValue, Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(width),
                Int32(height))
            guard let heat else { return }
            SDL_SetTextureBlendMode(heat, SDL_BLENDMODE_BLEND)
            SDL_SetTextureScaleMode(heat, SDL_ScaleModeLinear)
            heatSize = (width, height)
        }
        pixels.withUnsafeBytes { _ = SDL_UpdateTexture(heat, nil, $0.baseAddress, Int32(width * 4)) }
        var target = SDL_Rect(x: Int32(rect.x), y: Int32(rect.y), w: Int32(rect.width), h: Int32(rect.height))
        SDL_RenderCopy(renderer, heat, nil, &target)
    }

    /// What the renderer holds now (call before `present`), at the output's pixel size.
    public func readPixels() throws(SDLError) -> RGBImage {
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &w, &h)
        var pixels = [UInt8](repeating: 0, count: Int(w * h * 3))
        let status = pixels.withUnsafeMutableBytes {
            SDL_RenderReadPixels(renderer, nil, SDL_PIXELFORMAT_RGB24.rawValue, $0.baseAddress, w * 3)
        }
        guard status == 0 else { throw .last("reading the rendered pixels") }
        return RGBImage(width: Int(w), height: Int(h), pixels: pixels)
    }

    /// A straight line, one pixel wide.
    public func line(from a: (x: Int, y: Int), to b: (x: Int, y: Int), _ color: Color) {
        SDL_SetRenderDrawColor(renderer, color.r, color.g, color.b, color.a)
        SDL_RenderDrawLine(renderer, Int32(a.x), Int32(a.y), Int32(b.x), Int32(b.y))
    }
}
