/// What a key does in the live window.
enum KeyAction: Sendable {
    case quit, pause, attention, bars, keypoints, snapshot, record, fullscreen, help, nextFace
    case step(StepRequest)
}

/// The one table of keys: the event loop dispatches through it and the help overlay lists it.
struct KeyBinding: Sendable {
    /// Key names as `InputEvent.key` reports them.
    let keys: [String]
    /// The keys as the help overlay shows them.
    let label: String
    let action: KeyAction
    let help: String

    static let all: [KeyBinding] = [
        KeyBinding(keys: ["q", "escape"], label: "q / Esc", action: .quit, help: "quit"),
        KeyBinding(keys: [" "], label: "space", action: .pause, help: "pause"),
        KeyBinding(keys: ["a"], label: "a", action: .attention, help: "attention map on/off"),
        KeyBinding(keys: ["b"], label: "b", action: .bars, help: "class bars on/off"),
        KeyBinding(keys: ["k"], label: "k", action: .keypoints, help: "BlazeFace keypoints on/off"),
        KeyBinding(keys: ["s"], label: "s", action: .snapshot, help: "snapshot (PNG of the window)"),
        KeyBinding(keys: ["r"], label: "r", action: .record, help: "start/stop recording"),
        KeyBinding(keys: ["f"], label: "f", action: .fullscreen, help: "fullscreen"),
        KeyBinding(keys: ["tab"], label: "Tab / click", action: .nextFace, help: "choose the face whose bars show"),
        KeyBinding(keys: ["."], label: ". / ,", action: .step(.frames(1)), help: "paused: one frame on / back"),
        KeyBinding(keys: [","], label: "", action: .step(.frames(-1)), help: ""),
        KeyBinding(keys: ["]"], label: "] / [", action: .step(.seconds(5)), help: "paused: 5 s on / back"),
        KeyBinding(keys: ["["], label: "", action: .step(.seconds(-5)), help: ""),
        KeyBinding(keys: ["h"], label: "h", action: .help, help: "this help"),
    ]

    static func action(for key: String) -> KeyAction? {
        all.first { $0.keys.contains(key) }?.action
    }
}
