import Foundation
import Frames
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into a flag that headless loops check between frames,
/// so that a camera is stopped and closed and a recording ends on a whole frame.
///
/// It blocks both signals in the calling thread (create it on the main thread before
/// starting others, which inherit the mask) and waits for them on its own thread.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?

    public init() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let watched = set
        let watcher = Thread { [weak self] in
            var received: Int32 = 0
            var waitSet = watched
            sigwait(&waitSet, &received)
            guard let self else { return }
            self.lock.lock()
            self.signal = received
            self.lock.unlock()
        }
        watcher.name = "fercam-signals"
        watcher.start()
    }

    /// Stops as a signal would (e.g. after a frame limit); reported as no signal.
    public func requestStop() {
        lock.lock()
        if signal == nil { signal = 0 }
        lock.unlock()
    }

    /// The signal that arrived, if any.
    public var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signal
    }

    /// The conventional exit status after a signal (128 + its number).
    public var exitStatus: Int32? { received.flatMap { $0 == 0 ? nil : 128 + $0 } }
}

/// Passes frames through and ends the stream once a stop was requested.
public struct StoppableSource: FrameSource {
    var base: any FrameSource
    let stop: StopSignal

    public init(_ base: any FrameSource, stop: StopSignal) {
        self.base = base
        self.stop = stop
    }

    public var frameRate: Double? { base.frameRate }

    public mutating func next() throws -> SourceFrame? {
        stop.received == nil ? try base.next() : nil
    }
}

/// Writes every frame it passes on to a recorder first.
public struct RecordingSource: FrameSource {
    var base: any FrameSource
    public let recorder: Recorder

    public init(_ base: any FrameSource, recorder: Recorder) {
        self.base = base
        self.recorder = recorder
    }

    public var frameRate: Double? { base.frameRate }

    public mutating func next() throws -> SourceFrame? {
        guard let frame = try base.next() else { return nil }
        try recorder.write(frame.frame)
        return frame
    }
}
