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

/// Flags shared by the capture, analysis and render threads, behind one lock.
final class SessionState: @unchecked Sendable {
    private let lock = NSLock()
    private var _stop = false
    private var _paused = false
    private var _recordingWanted = false
    private var _recording: String?
    private var _finished = false
    private var _failure: Error?
    private var _notice: String?
    private var _analysisFinished = false

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var stopRequested: Bool { locked { _stop } }
    func requestStop() { locked { _stop = true } }
    var paused: Bool { get { locked { _paused } } set { locked { _paused = newValue } } }
    var recordingWanted: Bool { get { locked { _recordingWanted } } set { locked { _recordingWanted = newValue } } }
    /// The file being recorded, set by the capture thread.
    var recording: String? { get { locked { _recording } } set { locked { _recording = newValue } } }
    var analysisFinished: Bool { get { locked { _analysisFinished } } set { locked { _analysisFinished = newValue } } }
    var finished: Bool { get { locked { _finished } } set { locked { _finished = newValue } } }
    var failure: Error? { get { locked { _failure } } set { locked { _failure = newValue } } }
    /// A one-line message for the HUD (e.g. where a snapshot went).
    var notice: String? { get { locked { _notice } } set { locked { _notice = newValue } } }
}
