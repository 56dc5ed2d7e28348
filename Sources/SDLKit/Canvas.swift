import CSDL2

/// An offscreen picture drawn with SDL's software renderer: no display, no video driver.
/// Charts and rendered video frames are drawn here.
///
/// Threading rule: the thread that created it, only.
public final class Canvas: Renderer {
    let surface: UnsafeMutablePointer<SDL_Surface>
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) throws(SDLError) {
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw SDLError(operation: "creating a \(width)x\(height) canvas", reason: "sides must be 1 to 16384 pixels")
        }
        guard
            let surface = SDL_CreateRGBSurfaceWithFormat(
                0, Int32(width), Int32(height), 32, SDL_PIXELFORMAT_RGBA32.rawValue)
        else {
            throw .last("creating a \(width)x\(height) canvas")
        }
        guard let renderer = SDL_CreateSoftwareRenderer(surface) else {
            SDL_FreeSurface(surface)
            throw .last("creating a software renderer")
        }
        self.surface = surface
        self.width = width
        self.height = height
        super.init(renderer: renderer, releaseTarget: { SDL_FreeSurface(surface) })
    }

}
