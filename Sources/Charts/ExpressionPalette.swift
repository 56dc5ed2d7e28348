import SDLKit

/// One color per expression, for the window, rendered video and charts alike, chosen to stay apart for
/// common color blindness where possible.
public enum ExpressionPalette {
    public static func color(for label: String) -> Color {
        switch label {
        case "angry": return Color(230, 57, 70)
        case "disgust": return Color(106, 176, 76)
        case "fear": return Color(155, 89, 182)
        case "happy": return Color(255, 200, 40)
        case "sad": return Color(52, 120, 246)
        case "surprise": return Color(255, 140, 0)
        case "neutral": return Color(200, 200, 200)
        default: return Color(0, 220, 255)
        }
    }

    /// The same colors on a white page: neutral's light gray would vanish there.
    public static func ink(for label: String) -> Color {
        label == "neutral" ? Color(130, 130, 130) : color(for: label)
    }
}
