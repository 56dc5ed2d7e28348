import Glibc

/// Runs `body` with SIGPIPE blocked in this thread, so that writing to a pipe whose reader has gone (an
/// encoder that failed) returns EPIPE, which the caller reports, instead of killing fercam silently. A
/// SIGPIPE left pending by such a write is discarded before the mask is restored.
///
/// Standard output keeps the default: `fercam --stdout | head -1` ends quietly, as a filter should.
public func withBrokenPipeAsError<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    var pipeSignal = sigset_t(), previous = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
    defer {
        var now = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&pipeSignal, nil, &now) == SIGPIPE {}
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    return try body()
}
