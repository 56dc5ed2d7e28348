/// Double to Int for values derived from a log's numbers: NaN becomes 0 and values past ±1e15 are clamped,
/// where `Int(_:)` would trap. A chart only needs the result to be some pixel or tick.
func checkedInt(_ value: Double) -> Int {
    guard value.isFinite else { return 0 }
    return Int(max(-1e15, min(1e15, value)))
}
