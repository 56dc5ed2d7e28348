import Foundation

/// A one-item mailbox where the newest value wins: a slow consumer skips frames
/// instead of building latency. Safe to use from any thread.
final class LatestSlot<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value?
    private var closed = false
    private(set) var overwritten = 0

    func put(_ newValue: Value) {
        condition.lock()
        if value != nil { overwritten += 1 }
        value = newValue
        condition.signal()
        condition.unlock()
    }

    /// Waits for a value; nil once the slot is closed.
    func take() -> Value? {
        condition.lock()
        defer { condition.unlock() }
        while value == nil && !closed { condition.wait() }
        let taken = value
        value = nil
        return taken
    }

    /// The value if there is one, without waiting.
    func poll() -> Value? {
        condition.lock()
        defer { condition.unlock() }
        let taken = value
        value = nil
        return taken
    }

    var dropped: Int {
        condition.lock()
        defer { condition.unlock() }
        return overwritten
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
