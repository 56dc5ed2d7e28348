import FuzzSupport
import Pipeline

/// `fercam report`: a run's JSON Lines read back into timelines, then summarised.
func fuzzRunLog(_ input: UnsafeRawBufferPointer) {
    let file = ScratchFile(suffix: ".jsonl")
    file.write(input)
    if let run = try? RunTimelines(jsonLines: file.path) {
        _ = run.summaryCSV()
        _ = JSONLines.timelineSummary(run)
    }
}

@_cdecl("FuzzRunLog_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzRunLog(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
