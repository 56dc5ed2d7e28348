import CSDL2

/// A window with an accelerated (or, offscreen, software) renderer.
public final class Window: Renderer {
    /// Keeps SDL initialised for as long as the window exists.
    public let display: Display
    let window: OpaquePointer
    private var fullscreen = false

    public init(display: Display, title: String, width: Int, height: Int, hidden: Bool = false) throws(SDLError) {
        self.display = display
        var flags = SDL_WINDOW_RESIZABLE.rawValue | SDL_WINDOW_ALLOW_HIGHDPI.rawValue
        if hidden { flags |= SDL_WINDOW_HIDDEN.rawValue }
        let centered = Int32(bitPattern: SDL_WINDOWPOS_CENTERED_MASK)
        guard let window = SDL_CreateWindow(title, centered, centered, Int32(width), Int32(height), flags) else {
            throw .last("creating the window")
        }
        guard
            let renderer = SDL_CreateRenderer(window, -1, 0)
                ?? SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE.rawValue)
        else {
            SDL_DestroyWindow(window)
            throw .last("creating a renderer")
        }
        self.window = window
        super.init(renderer: renderer, releaseTarget: { SDL_DestroyWindow(window) })
        setLogicalSize(width: width, height: height)
    }

    public func setTitle(_ title: String) { SDL_SetWindowTitle(window, title) }

    public func toggleFullscreen() {
        fullscreen.toggle()
        SDL_SetWindowFullscreen(window, fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP.rawValue : 0)
    }

    public func present() { SDL_RenderPresent(renderer) }
}
