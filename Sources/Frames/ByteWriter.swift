import Glibc
import Posix

/// Unbuffered writes, so that what was written survives a crash or a signal.
public final class ByteWriter {
    public let name: String
    /// Bytes this writer has written (the file offset, for a file it created).
    public private(set) var bytesWritten = 0
    private let fd: Int32
    private let ownsDescriptor: Bool

    public init(fileDescriptor: Int32, name: String, ownsDescriptor: Bool) {
        self.fd = fileDescriptor
        self.name = name
        self.ownsDescriptor = ownsDescriptor
    }

    public convenience init(path: String) throws(FrameFormatError) {
        let fd: Int32
        do { fd = try syscall("open") { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } } catch {
            throw FrameFormatError(source: path, reason: "cannot create: \(error.message)")
        }
        self.init(fileDescriptor: fd, name: path, ownsDescriptor: true)
    }

    deinit { if ownsDescriptor { close(fd) } }

    public func write(_ bytes: [UInt8]) throws(FrameFormatError) {
        var done = 0
        while done < bytes.count {
            let n: Int
            do {
                n = try syscall("write") {
                    bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
                }
            } catch {
                throw FrameFormatError(source: name, reason: "write failed: \(error.message)")
            }
            if n == 0 { throw FrameFormatError(source: name, reason: "write failed: no progress") }
            done += n
            bytesWritten += n
        }
    }

    /// Cuts a regular file back to `length` bytes, so that a write that failed halfway (a full disk)
    /// leaves no partial record. Pipes and terminals cannot be cut; there it does nothing.
    public func truncate(to length: Int) {
        if ftruncate(fd, off_t(length)) == 0 {
            _ = lseek(fd, off_t(length), SEEK_SET)
            bytesWritten = length
        }
    }
}
