import Foundation

/// A number as fixed-point text without exponent, rounded to `decimals` and trailing zeros trimmed down to
/// `minimumDecimals`: the one formatter behind JSON numbers ("0.033333", "2.0") and messages ("29.97", "2").
public func decimalText(_ value: Double, decimals: Int, minimumDecimals: Int = 0) -> String {
    guard value.isFinite else { return "null" }
    // Beyond 2^53 no decimals exist and the scaled value would not fit an Int.
    guard abs(value) < 1e15 else { return String(format: "%.0f", value) + (minimumDecimals > 0 ? ".0" : "") }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled - Double(whole) * scale))
    fraction = String(repeating: "0", count: max(0, decimals - fraction.count)) + fraction
    while fraction.count > minimumDecimals && fraction.hasSuffix("0") { fraction.removeLast() }
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
}
