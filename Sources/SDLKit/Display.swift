import CSDL2
import Frames
import Glibc

/// SDL video, initialised for the lifetime of this object.
///
/// Threading rule: SDL video must be driven from the thread that created the
/// `Display` (the main thread); nothing here may be shared with other threads.
public final class Display {
    public init() throws(SDLError) {
        // SDL turns SIGINT/SIGTERM into SDL_QUIT, which the event loop handles like q.
        guard SDL_Init(SDL_INIT_VIDEO) == 0 else {
            throw SDLError(
                operation: "opening a window",
                reason: "\(String(cString: SDL_GetError())) (no display? use --stdout for JSON Lines)")
        }
        // Without a display SDL may fall back to a driver that shows nothing; only accept that when asked for.
        let driver = SDL_GetCurrentVideoDriver().map { String(cString: $0) } ?? ""
        let requested = getenv("SDL_VIDEODRIVER").map { String(cString: $0) } ?? ""
        if (driver == "offscreen" || driver == "dummy" || driver == "evdev") && requested != driver {
            SDL_Quit()
            throw SDLError(
                operation: "opening a window",
                reason: "no display (SDL found only its \(driver) driver); "
                    + "use --stdout for JSON Lines, or run under X11 or Wayland")
        }
    }

    deinit { SDL_Quit() }

    public var driver: String { SDL_GetCurrentVideoDriver().map { String(cString: $0) } ?? "none" }

    public func pollEvents() -> [InputEvent] {
        var events: [InputEvent] = []
        var event = SDL_Event()
        while SDL_PollEvent(&event) != 0 {
            switch SDL_EventType(event.type) {
            case SDL_QUIT: events.append(.quit)
            case SDL_WINDOWEVENT where event.window.event == UInt8(SDL_WINDOWEVENT_SIZE_CHANGED.rawValue):
                events.append(.resized)
            case SDL_KEYDOWN:
                let key = event.key.keysym.sym
                switch key {
                case Int32(SDLK_ESCAPE.rawValue): events.append(.key("escape"))
                case Int32(SDLK_TAB.rawValue): events.append(.key("tab"))
                case 32...126: events.append(.key(String(UnicodeScalar(UInt8(key)))))
                default: break
                }
            // With a logical size set, SDL reports mouse positions in logical coordinates.
            case SDL_MOUSEBUTTONDOWN where event.button.button == UInt8(SDL_BUTTON_LEFT):
                events.append(.click(x: Int(event.button.x), y: Int(event.button.y)))
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
