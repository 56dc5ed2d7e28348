import SDLKit

/// Fonts and colors shared by fercam's charts.
enum ChartStyle {
    static let background = Color(255, 255, 255)
    static let ink = Color(30, 30, 30)
    static let muted = Color(120, 120, 120)
    static let grid = Color(225, 225, 225)
    static let bar = Color(52, 120, 246)
    static let over = Color(230, 57, 70, 150)
}
