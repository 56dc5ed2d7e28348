import FaceDetection
import Frames
import FuzzSupport

/// Cascade XML, and a detection with whatever cascade parsed: the scan runs without bounds checks,
/// trusting the loader's validation, so a cascade that loads must also scan safely.
func fuzzCascade(_ input: UnsafeRawBufferPointer) {
    let xml = Array(input)
    guard let cascade = try? HaarCascade(xml: xml, path: "fuzz.xml") else { return }
    let image = GrayImage(width: 48, height: 40, pixels: (0..<(48 * 40)).map { UInt8(truncatingIfNeeded: $0 &* 37) })
    _ = HaarDetector(cascade: cascade).detect(in: image, parameters: DetectionParameters(minNeighbors: 0))
}

@_cdecl("FuzzCascade_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzCascade(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
