import CSDL2

/// A failed SDL call, with SDL's own explanation.
public struct SDLError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var reason: String
    public var description: String { "SDL: \(operation) failed: \(reason)" }

    static func last(_ operation: String) -> SDLError {
        SDLError(operation: operation, reason: String(cString: SDL_GetError()))
    }
}
