import Glibc
import Synchronization

/// Runs `body` with file descriptor 2 pointed at an unlinked temporary file and returns what C libraries wrote
/// there meanwhile (libpng prints its own "libpng error: ..." lines before SDL2_image reports), so that
/// fercam can fold that text into its one error line instead of letting it reach the terminal.
///
/// Descriptor 2 is process-wide: captures are serialised by one lock, and fercam's own output goes
/// to stderr only from `main()` after work has stopped, so nothing of fercam's is swallowed. If the
/// redirection cannot be set up, `body` runs with stderr as it is.
public func capturingStandardError<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (T, String) {
    try standardErrorLock.withLock { _ throws(E) -> (T, String) in
        let file = tmpfile()
        let memory = file.map { fileno($0) } ?? -1
        let saved = memory >= 0 ? dup(2) : -1
        guard memory >= 0, saved >= 0, dup2(memory, 2) >= 0 else {
            if let file { fclose(file) }
            if saved >= 0 { close(saved) }
            return (try body(), "")
        }
        defer {
            dup2(saved, 2)
            close(saved)
            fclose(file)
        }
        let result = try body()
        return (result, String(decoding: readBytes(memory, at: 0, upTo: 1 << 16), as: UTF8.self))
    }
}

private let standardErrorLock = Mutex<Void>(())
