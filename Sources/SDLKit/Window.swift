import CSDL2
import Frames
import Glibc

/// A failed SDL call, with SDL's own explanation.
public struct SDLError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var reason: String
    public var description: String { "SDL: \(operation) failed: \(reason)" }

    static func last(_ operation: String) -> SDLError { SDLError(operation: operation, reason: String(cString: SDL_GetError())) }
}

public struct Color: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8, a: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }
}

/// What the user did, as far as the live view cares.
public enum InputEvent: Sendable, Equatable {
    case quit
    /// A key, as the lower-case character it types ("q", " ") or a name ("escape").
    case key(String)
    case resized
}

/// SDL video and SDL_ttf, initialised for the lifetime of this object.
///
/// Threading rule: SDL video must be driven from the thread that created the
/// `Display` (the main thread); nothing here may be shared with other threads.
public final class Display {
    public init() throws(SDLError) {
        // SDL turns SIGINT/SIGTERM into SDL_QUIT, which the event loop handles like q.
        guard SDL_Init(SDL_INIT_VIDEO) == 0 else {
            throw SDLError(operation: "opening a window", reason: "\(String(cString: SDL_GetError())) (no display? use --stdout for JSON Lines)")
        }
        // Without a display SDL may fall back to a driver that shows nothing; only accept that when asked for.
        let driver = SDL_GetCurrentVideoDriver().map { String(cString: $0) } ?? ""
        let requested = getenv("SDL_VIDEODRIVER").map { String(cString: $0) } ?? ""
        if (driver == "offscreen" || driver == "dummy" || driver == "evdev") && requested != driver {
            SDL_Quit()
            throw SDLError(operation: "opening a window", reason: "no display (SDL found only its \(driver) driver); use --stdout for JSON Lines, or run under X11 or Wayland")
        }
        guard TTF_Init() == 0 else {
            SDL_Quit()
            throw .last("initialising SDL_ttf")
        }
    }

    deinit {
        TTF_Quit()
        SDL_Quit()
    }

    public var driver: String { SDL_GetCurrentVideoDriver().map { String(cString: $0) } ?? "none" }

    public func pollEvents() -> [InputEvent] {
        var events: [InputEvent] = []
        var event = SDL_Event()
        while SDL_PollEvent(&event) != 0 {
            switch SDL_EventType(event.type) {
            case SDL_QUIT: events.append(.quit)
            case SDL_WINDOWEVENT where event.window.event == UInt8(SDL_WINDOWEVENT_SIZE_CHANGED.rawValue): events.append(.resized)
            case SDL_KEYDOWN:
                let key = event.key.keysym.sym
                switch key {
                case Int32(SDLK_ESCAPE.rawValue): events.append(.key("escape"))
                case 32...126: events.append(.key(String(UnicodeScalar(UInt8(key)))))
                default: break
                }
            default: break
            }
        }
        return events
    }

    /// Sleeps up to `milliseconds` waiting for input (keeps an idle window from spinning).
    public func waitForEvents(milliseconds: Int) {
        SDL_WaitEventTimeout(nil, Int32(milliseconds))
    }
}

/// A TrueType font at one size.
public final class Font {
    let font: OpaquePointer
    public let path: String
    /// Keeps SDL_ttf initialised for as long as the font exists.
    let display: Display

    public init(display: Display, path: String, size: Int) throws(SDLError) {
        self.display = display
        guard let font = TTF_OpenFont(path, Int32(size)) else { throw .last("opening font \(path)") }
        self.font = font
        self.path = path
    }

    deinit { TTF_CloseFont(font) }

    public var lineHeight: Int { Int(TTF_FontLineSkip(font)) }

    public func width(of text: String) -> Int {
        var w: Int32 = 0, h: Int32 = 0
        TTF_SizeUTF8(font, text, &w, &h)
        return Int(w)
    }
}

/// A window with an accelerated (or, offscreen, software) renderer.
public final class Window {
    /// Keeps SDL initialised for as long as the window exists.
    public let display: Display
    let window: OpaquePointer
    let renderer: OpaquePointer
    private var video: OpaquePointer?
    private var videoSize = (width: 0, height: 0, planar: false)
    private var heat: OpaquePointer?
    private var heatSize = (width: 0, height: 0)
    private var fullscreen = false

    public init(display: Display, title: String, width: Int, height: Int, hidden: Bool = false) throws(SDLError) {
        self.display = display
        var flags = SDL_WINDOW_RESIZABLE.rawValue | SDL_WINDOW_ALLOW_HIGHDPI.rawValue
        if hidden { flags |= SDL_WINDOW_HIDDEN.rawValue }
        let centered = Int32(bitPattern: SDL_WINDOWPOS_CENTERED_MASK)
        guard let window = SDL_CreateWindow(title, centered, centered, Int32(width), Int32(height), flags) else { throw .last("creating the window") }
        guard let renderer = SDL_CreateRenderer(window, -1, 0) ?? SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE.rawValue) else {
            SDL_DestroyWindow(window)
            throw .last("creating a renderer")
        }
        self.window = window
        self.renderer = renderer
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
        setLogicalSize(width: width, height: height)
    }

    deinit {
        if let video { SDL_DestroyTexture(video) }
        if let heat { SDL_DestroyTexture(heat) }
        SDL_DestroyRenderer(renderer)
        SDL_DestroyWindow(window)
    }

    /// Draw in frame coordinates; SDL scales to the window and letterboxes, keeping the aspect ratio.
    public func setLogicalSize(width: Int, height: Int) {
        SDL_RenderSetLogicalSize(renderer, Int32(width), Int32(height))
    }

    public func setTitle(_ title: String) { SDL_SetWindowTitle(window, title) }

    public func toggleFullscreen() {
        fullscreen.toggle()
        SDL_SetWindowFullscreen(window, fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP.rawValue : 0)
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
            video = SDL_CreateTexture(renderer, format, Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(frame.width), Int32(frame.height))
            guard video != nil else { throw .last("creating a \(frame.width)x\(frame.height) video texture") }
            videoSize = (frame.width, frame.height, planar)
        }
        if planar {
            let ySize = frame.width * frame.height
            let c = frame.subsampling.chromaSize(width: frame.width, height: frame.height)
            frame.bytes.withUnsafeBufferPointer { b in
                let base = b.baseAddress!
                _ = SDL_UpdateYUVTexture(video, nil, base, Int32(frame.width), base + ySize, Int32(c.width),
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
        guard !string.isEmpty, let surface = TTF_RenderUTF8_Blended(font.font, string, SDL_Color(r: color.r, g: color.g, b: color.b, a: color.a)) else { return (0, 0) }
        defer { SDL_FreeSurface(surface) }
        guard let texture = SDL_CreateTextureFromSurface(renderer, surface) else { return (0, 0) }
        defer { SDL_DestroyTexture(texture) }
        var target = SDL_Rect(x: Int32(x), y: Int32(y), w: surface.pointee.w, h: surface.pointee.h)
        SDL_RenderCopy(renderer, texture, nil, &target)
        return (Int(surface.pointee.w), Int(surface.pointee.h))
    }

    /// Stretches an RGBA image (e.g. a coloured attention map) over `rect` with bilinear filtering.
    public func drawRGBA(_ pixels: [UInt8], width: Int, height: Int, over rect: Rect) {
        if heat == nil || heatSize != (width, height) {
            if let heat { SDL_DestroyTexture(heat) }
            heat = SDL_CreateTexture(renderer, SDL_PIXELFORMAT_ABGR8888.rawValue, Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(width), Int32(height))
            guard let heat else { return }
            SDL_SetTextureBlendMode(heat, SDL_BLENDMODE_BLEND)
            SDL_SetTextureScaleMode(heat, SDL_ScaleModeLinear)
            heatSize = (width, height)
        }
        pixels.withUnsafeBytes { _ = SDL_UpdateTexture(heat, nil, $0.baseAddress, Int32(width * 4)) }
        var target = SDL_Rect(x: Int32(rect.x), y: Int32(rect.y), w: Int32(rect.width), h: Int32(rect.height))
        SDL_RenderCopy(renderer, heat, nil, &target)
    }

    public func present() { SDL_RenderPresent(renderer) }

    /// What the renderer holds now (call before `present`), at the output's pixel size.
    public func readPixels() throws(SDLError) -> RGBImage {
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &w, &h)
        var pixels = [UInt8](repeating: 0, count: Int(w * h * 3))
        let status = pixels.withUnsafeMutableBytes { SDL_RenderReadPixels(renderer, nil, SDL_PIXELFORMAT_RGB24.rawValue, $0.baseAddress, w * 3) }
        guard status == 0 else { throw .last("reading the rendered pixels") }
        return RGBImage(width: Int(w), height: Int(h), pixels: pixels)
    }
}
