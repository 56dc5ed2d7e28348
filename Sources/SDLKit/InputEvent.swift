/// What the user did, as far as the live view cares.
public enum InputEvent: Sendable, Equatable {
    case quit
    /// A key, as the lower-case character it types ("q", " ") or a name ("escape").
    case key(String)
    case resized
    /// A left click, in the window's logical (video) coordinates.
    case click(x: Int, y: Int)
}
