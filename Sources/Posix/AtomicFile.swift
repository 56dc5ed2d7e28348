import Glibc

/// A file that appears at its path whole or not at all: written under a temporary name beside it, every write
/// and the close checked, then renamed over the path. Dropped uncommitted (an error, a signal's unwinding),
/// it removes the temporary file, so a full disk never leaves a truncated file behind.
public final class AtomicFile {
    public let path: String
    /// Where the bytes go until `commit()`; a library that insists on opening a path itself writes here.
    public let temporaryPath: String
    private var descriptor: Int32
    private var committed = false

    public init(path: String) throws(SystemCallError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array((directory + "." + name + ".partial-XXXXXX").utf8CString)
        let fd = try syscall("mkstemp") { template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) } }
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        descriptor = fd
        // mkstemp makes the file private (0600); a finished file gets the usual rw-r--r-- less the umask.
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporaryPath) }
    }

    public func write(_ bytes: [UInt8]) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let n = try syscall("write") {
                bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, $0.count - done) }
            }
            if n == 0 { throw SystemCallError(call: "write", code: EIO) }
            done += n
        }
    }

    /// Flushes the data to the disk (where a full disk or an I/O error shows last), closes, and renames the
    /// file into place. After a failure the temporary file is removed and `path` is untouched.
    public func commit() throws(SystemCallError) {
        try syscall("fsync") { fsync(descriptor) }
        let fd = descriptor
        descriptor = -1
        // Never retried: after close fails with EINTR the descriptor is gone on Linux, and a second close could
        // close a descriptor another thread has just been given.
        if close(fd) != 0 && errno != EINTR { throw SystemCallError(call: "close", code: errno) }
        try syscall("rename") { rename(temporaryPath, path) }
        committed = true
    }
}

/// A file fercam could not write whole; what is left at its path is what was there before.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let cause: SystemCallError
    public init(path: String, cause: SystemCallError) {
        self.path = path
        self.cause = cause
    }
    public var description: String { "\(path): cannot write: \(cause.message) (\(cause.call))" }
}

extension AtomicFile {
    /// `bytes` as the whole content of `path`, atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        do {
            let file = try AtomicFile(path: path)
            try file.write(bytes)
            try file.commit()
        } catch { throw FileWriteError(path: path, cause: error) }
    }
}
