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
    /// A one-line message for the HUD (e.g. where a snapshot went).
    var notice: String? {
        get { flags.withLock { $0.notice } }
        set { flags.withLock { $0.notice = newValue } }
    }
}
