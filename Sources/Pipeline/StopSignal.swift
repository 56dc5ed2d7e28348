import Foundation
import Glibc
import Synchronization

/// Turns SIGINT and SIGTERM into a flag that headless loops check between frames,
/// so that a camera is stopped and closed and a recording ends on a whole frame.
///
/// It blocks both signals in the calling thread (create it on the main thread before
/// starting others, which inherit the mask) and waits for them on its own thread.
public final class StopSignal: Sendable {
    /// The signal that arrived; 0 for a stop requested in code.
    private let signal = Mutex<Int32?>(nil)

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
            self?.signal.withLock { $0 = received }
        }
        watcher.name = "fercam-signals"
        watcher.start()
    }

    /// Stops as a signal would (e.g. after a frame limit); reported as no signal.
    public func requestStop() {
        signal.withLock { if $0 == nil { $0 = 0 } }
    }

    /// The signal that arrived, if any.
    public var received: Int32? { signal.withLock { $0 } }

    /// The conventional exit status after a signal (128 + its number).
    public var exitStatus: Int32? { received.flatMap { $0 == 0 ? nil : 128 + $0 } }
}
