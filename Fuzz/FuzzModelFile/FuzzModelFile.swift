import ExpressionModel
import FuzzSupport

/// Safetensors header, tensor table and fercam's metadata, checked against the architecture they name.
func fuzzModelFile(_ input: UnsafeRawBufferPointer) {
    let file = ScratchFile(suffix: ".safetensors")
    file.write(input)
    _ = try? ModelFile(path: file.path)
}

@_cdecl("FuzzModelFile_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzModelFile(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
