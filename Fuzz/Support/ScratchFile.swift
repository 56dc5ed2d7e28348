import Glibc

/// A file in /tmp that each input is written to, for parsers whose public entry point takes a path
/// (so the harness also covers opening, size checks and reading). One per process: libFuzzer's
/// parallel workers are separate processes.
public struct ScratchFile {
    public let path: String

    public init(suffix: String) {
        path = "/tmp/fercam-fuzz-\(getpid())\(suffix)"
    }

    /// Replaces the file's contents with `bytes`; traps if /tmp is unusable, which is not an input's fault.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
    }
}
