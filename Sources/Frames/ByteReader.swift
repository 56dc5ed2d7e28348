import Glibc
import Posix

/// Buffered reading from a file descriptor that counts the bytes consumed, for streaming
/// parsers that must report where a fault is. Not thread-safe: one reader per thread.
public final class ByteReader {
    public let name: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    public private(set) var offset = 0
    /// The file's size when it was opened with `regularFileOnly` (known from the same `fstat`).
    public private(set) var fileSize: Int?
    private var atEOF = false
    /// Asked while waiting for a pipe or terminal: when it returns true the input ends there, as if
    /// closed. A signal handled on another thread cannot interrupt a blocking read, so stdin is polled.
    public var stopRequested: (@Sendable () -> Bool)?

    public init(fileDescriptor: Int32, name: String, ownsDescriptor: Bool, bufferSize: Int = 1 << 20) {
        self.fd = fileDescriptor
        self.name = name
        self.ownsDescriptor = ownsDescriptor
        self.buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    /// Opens `path`. With `regularFileOnly`, devices, FIFOs and directories are refused before a byte
    /// is read (a FIFO would block and /dev/zero never end), for files that must be read whole.
    public convenience init(
        path: String, regularFileOnly: Bool = false, bufferSize: Int = 1 << 20
    )
        throws(FrameFormatError)
    {
        let fd: Int32
        // O_NONBLOCK keeps opening a FIFO from waiting for a writer; it is cleared once the file is known.
        let flags = O_RDONLY | O_CLOEXEC | (regularFileOnly ? O_NONBLOCK : 0)
        do { fd = try syscall("open") { open(path, flags) } } catch {
            throw FrameFormatError(source: path, reason: error.message)
        }
        var size = bufferSize
        var info = stat()
        if regularFileOnly {
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw FrameFormatError(source: path, reason: "not a regular file")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            // A small file needs no megabyte of buffer (labels, cascades and photos are read one after another).
            size = min(bufferSize, max(4096, Int(info.st_size) + 1))
        }
        self.init(fileDescriptor: fd, name: path, ownsDescriptor: true, bufferSize: size)
        if regularFileOnly { fileSize = Int(info.st_size) }
    }

    deinit { if ownsDescriptor { close(fd) } }

    private func fill() throws(FrameFormatError) {
        if start > 0 && start == end { start = 0; end = 0 }
        if end == buffer.count && start > 0 {
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        if let stopRequested, try !waitForInput(until: stopRequested) {
            atEOF = true
            return
        }
        let n: Int
        do {
            n = try syscall("read") {
                buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + end, $0.count - end) }
            }
        } catch {
            throw FrameFormatError(source: name, byteOffset: offset, reason: "read failed: \(error.message)")
        }
        if n == 0 { atEOF = true }
        end += n
    }

    /// Waits, a tenth of a second at a time, until the descriptor is readable (true) or a stop is requested.
    private func waitForInput(until stopRequested: () -> Bool) throws(FrameFormatError) -> Bool {
        var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stopRequested() {
            let ready: Int32
            do { ready = try syscall("poll") { poll(&request, 1, 100) } } catch {
                throw FrameFormatError(source: name, byteOffset: offset, reason: "poll failed: \(error.message)")
            }
            if ready > 0 { return true }
        }
        return false
    }

    /// A line without its `\n`; nil at end of input; throws when no newline comes within `limit` bytes.
    public func readLine(limit: Int) throws(FrameFormatError) -> [UInt8]? {
        var line: [UInt8] = []
        while true {
            if start == end {
                if atEOF { return line.isEmpty ? nil : line }
                try fill()
                continue
            }
            if let nl = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                line.append(contentsOf: buffer[start..<nl])
                offset += nl + 1 - start
                start = nl + 1
                return line
            }
            line.append(contentsOf: buffer[start..<end])
            offset += end - start
            start = end
            if line.count > limit { return line }
            if atEOF { return line }
        }
    }

    /// Every byte left, for files read whole (cascades, Netpbm images); refuses more than `limit` bytes,
    /// so that /dev/zero or a runaway file cannot take all memory.
    public func readToEnd(limit: Int) throws(FrameFormatError) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try read(into: &chunk, at: 0, count: chunk.count)
            guard data.count + n <= limit else {
                throw FrameFormatError(
                    source: name, byteOffset: offset,
                    reason: "larger than the \(limit >> 20) MiB this kind of file may have")
            }
            data += chunk[0..<n]
            if n < chunk.count { return data }
        }
    }

    /// Reads up to `count` bytes into `destination` at `at`; returns how many arrived before end of input.
    public func read(into destination: inout [UInt8], at: Int, count: Int) throws(FrameFormatError) -> Int {
        var got = 0
        while got < count {
            if start == end {
                if atEOF { break }
                try fill()
                continue
            }
            let n = min(count - got, end - start)
            destination.withUnsafeMutableBufferPointer { dst in
                buffer.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + at + got).update(from: src.baseAddress! + start, count: n)
                }
            }
            start += n
            got += n
            offset += n
        }
        return got
    }
}
