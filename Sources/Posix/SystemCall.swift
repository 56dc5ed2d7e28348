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
