import BlazeFace
import ExpressionModel
import Frames
import FuzzSupport

/// Safetensors header, tensor table and fercam's metadata, checked against the architecture they name; the same
/// bytes as a BlazeFace detector file (graph, shapes, anchors), run once on a small frame when they load.
func fuzzModelFile(_ input: UnsafeRawBufferPointer) {
    let file = ScratchFile(suffix: ".safetensors")
    file.write(input)
    _ = try? ModelFile(path: file.path)
    if let detector = try? BlazeFaceDetector(path: file.path) {
        _ = detector.detect(in: RGBImage(width: 24, height: 18, pixels: [UInt8](repeating: 90, count: 24 * 18 * 3)))
    }
}

@_cdecl("FuzzModelFile_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzModelFile(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
