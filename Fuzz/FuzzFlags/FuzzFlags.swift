import FercamCLI
import FuzzSupport

/// Command lines: the input is split at NUL bytes into arguments, parsed and validated exactly as the
/// binary does (nothing runs). Every value must be accepted or refused with a message, never trap.
func fuzzFlags(_ input: UnsafeRawBufferPointer) {
    let arguments = input.split(separator: 0, omittingEmptySubsequences: false).prefix(24)
        .map { String(decoding: $0, as: UTF8.self) }
    _ = try? Fercam.parseAsRoot(arguments)
}

@_cdecl("FuzzFlags_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzFlags(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
