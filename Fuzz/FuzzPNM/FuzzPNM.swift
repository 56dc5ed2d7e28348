import Frames
import FuzzSupport
import ImageFiles

/// Netpbm (P2, P3, P5, P6) decoding from bytes, and the gray view every detector input takes.
func fuzzPNM(_ input: UnsafeRawBufferPointer) {
    if let image = try? PNM.decode(Array(input), source: "fuzz.pnm") {
        _ = image.gray
    }
}

@_cdecl("FuzzPNM_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzPNM(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
