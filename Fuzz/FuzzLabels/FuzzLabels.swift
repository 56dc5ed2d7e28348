import FuzzSupport
import Pipeline

/// `fercam eval --labels`: FER+ vote files and path,label files.
func fuzzLabels(_ input: UnsafeRawBufferPointer) {
    let file = ScratchFile(suffix: ".csv")
    file.write(input)
    let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    if let labels = try? LabelsFile(path: file.path, classNames: classes) {
        _ = labels.label(for: "val/happy/00001.png")
    }
}

@_cdecl("FuzzLabels_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzLabels(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
