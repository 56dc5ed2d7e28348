import Glibc

/// A failed system call: which call, and errno.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var code: Int32

    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// errno as the C library words it ("No such file or directory").
    public var message: String { errnoMessage(code) }
    public var description: String { "\(call) failed: \(message)" }
}

/// Runs `body` again while it fails with EINTR (a signal arrived mid-call); any other negative
/// result throws errno. Every blocking call in fercam goes through here.
@discardableResult
public func syscall<Result: BinaryInteger>(_ call: String, _ body: () -> Result) throws(SystemCallError) -> Result {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code != EINTR { throw SystemCallError(call: call, code: code) }
    }
}

/// errno as the C library words it.
public func errnoMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// Up to `count` bytes of the file `descriptor` from `offset` (fewer at its end), read with `pread` so the
/// descriptor's own position is untouched: for reading back a file another writer filled (captured stderr).
public func readBytes(_ descriptor: Int32, at offset: Int, upTo count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: max(0, count))
    var got = 0
    while got < bytes.count {
        let n = bytes.withUnsafeMutableBytes {
            pread(descriptor, $0.baseAddress! + got, $0.count - got, off_t(offset + got))
        }
        if n <= 0 { break }
        got += n
    }
    return Array(bytes[0..<got])
}
