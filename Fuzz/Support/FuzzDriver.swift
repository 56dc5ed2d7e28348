import CFuzzDriver

/// One fuzz input: the bytes libFuzzer generated. A C function pointer, so it captures nothing.
public typealias FuzzBody = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer with the process's arguments (-max_total_time=..., corpus folders) over `body`.
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, _ body: FuzzBody
)
    -> CInt
{
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, body)
}

extension UnsafeRawBufferPointer {
    /// The input as libFuzzer hands it over (a null pointer for the empty input).
    public init(fuzzInput data: UnsafePointer<UInt8>?, count: Int) {
        self.init(start: data, count: data == nil ? 0 : count)
    }
}
