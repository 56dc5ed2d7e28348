import Frames
import FuzzSupport
import Glibc

/// Y4M header and frames, read as replay reads a file or stdin: through a ByteReader over a descriptor.
/// (A 64 KiB buffer rather than the 1 MiB default: the parsing is the same, the harness runs faster.)
func fuzzY4M(_ input: UnsafeRawBufferPointer) {
    let file = ScratchFile(suffix: ".y4m")
    file.write(input)
    let fd = open(file.path, O_RDONLY | O_CLOEXEC)
    precondition(fd >= 0, "cannot reopen \(file.path)")
    let bytes = ByteReader(fileDescriptor: fd, name: file.path, ownsDescriptor: true, bufferSize: 1 << 16)
    guard let reader = try? Y4MReader(reader: bytes) else { return }
    while reader.framesRead < 64, let frame = try? reader.next() {
        _ = frame.luma
    }
}

@_cdecl("FuzzY4M_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzY4M(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
