import CSDL2

/// A TrueType font at one size. SDL_ttf counts its initialisations, so each font keeps it initialised
/// for as long as the font exists, with or without a window.
///
/// Threading rule: one thread at a time.
public final class Font {
    let font: OpaquePointer
    public let path: String

    /// DejaVu Sans from Debian's fonts-dejavu-core, which `make deps` installs.
    public static let regularPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    public static let boldPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

    public init(path: String, size: Int) throws(SDLError) {
        guard TTF_Init() == 0 else { throw .last("initialising SDL_ttf") }
        guard let font = TTF_OpenFont(path, Int32(size)) else {
            let error = SDLError.last("opening font \(path)")
            TTF_Quit()
            throw error
        }
        self.font = font
        self.path = path
    }

    deinit {
        TTF_CloseFont(font)
        TTF_Quit()
    }

    public var lineHeight: Int { Int(TTF_FontLineSkip(font)) }

    public func width(of text: String) -> Int {
        var w: Int32 = 0, h: Int32 = 0
        TTF_SizeUTF8(font, text, &w, &h)
        return Int(w)
    }
}
