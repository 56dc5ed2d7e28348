import Synchronization

/// Flags shared by the capture, analysis and render threads; the mutex owns them.
final class SessionState: Sendable {
    private struct Flags {
        var stop = false
        var paused = false
        var recordingWanted = false
        var recording: String?
        var finished = false
        var failure: (any Error)?
        var notice: String?
        var analysisFinished = false
        /// Frames to move while paused (the stepping keys), not yet done by the capture thread.
        var step: StepRequest?
        /// The last frame the capture thread handed on: its number and time, for the HUD.
        var position: (index: Int, pts: Double)?
    }

    private let flags = Mutex(Flags())

    var stopRequested: Bool { flags.withLock { $0.stop } }
    func requestStop() { flags.withLock { $0.stop = true } }
    var paused: Bool {
        get { flags.withLock { $0.paused } }
        set { flags.withLock { $0.paused = newValue } }
    }
    func togglePaused() { flags.withLock { $0.paused.toggle() } }
    var recordingWanted: Bool {
        get { flags.withLock { $0.recordingWanted } }
        set { flags.withLock { $0.recordingWanted = newValue } }
    }
    func toggleRecording() { flags.withLock { $0.recordingWanted.toggle() } }
    /// The file being recorded, set by the capture thread.
    var recording: String? {
        get { flags.withLock { $0.recording } }
        set { flags.withLock { $0.recording = newValue } }
    }
    var analysisFinished: Bool {
        get { flags.withLock { $0.analysisFinished } }
        set { flags.withLock { $0.analysisFinished = newValue } }
    }
    var finished: Bool {
        get { flags.withLock { $0.finished } }
        set { flags.withLock { $0.finished = newValue } }
    }
    var failure: (any Error)? {
        get { flags.withLock { $0.failure } }
        set { flags.withLock { $0.failure = newValue } }
    }
    func requestStep(_ step: StepRequest) { flags.withLock { $0.step = step } }
    func takeStep() -> StepRequest? { flags.withLock { flags in defer { flags.step = nil }; return flags.step } }
    var position: (index: Int, pts: Double)? {
        get { flags.withLock { $0.position } }
        set { flags.withLock { $0.position = newValue } }
    }
    /// A one-line message for the HUD (e.g. where a snapshot went).
    var notice: String? {
        get { flags.withLock { $0.notice } }
        set { flags.withLock { $0.notice = newValue } }
    }
}

/// A move through a paused replay: frames, or seconds converted at the stream's rate.
enum StepRequest: Sendable, Equatable {
    case frames(Int)
    case seconds(Double)

    func frames(at rate: Double) -> Int {
        switch self {
        case .frames(let n): return n
        case .seconds(let s): return Int((s * rate).rounded())
        }
    }
}
