import Frames

/// Runs a source to its end through the analyser, handing each result on as soon as it exists.
public struct HeadlessRun {
    public let analyser: FrameAnalyser
    public let includeTimings: Bool
    public let includeAttention: Bool

    public init(analyser: FrameAnalyser, includeTimings: Bool, includeAttention: Bool = false) {
        self.analyser = analyser
        self.includeTimings = includeTimings
        self.includeAttention = includeAttention
    }

    /// Emits one JSON line per frame; a fault in the input is thrown after every earlier frame was emitted.
    public func run(_ source: inout some FrameSource, emit: (String) throws -> Void) throws -> Int {
        var count = 0
        while let frame = try source.next() {
            try emit(
                JSONLines.encode(
                    try analyser.analyse(frame), includeTimings: includeTimings, includeAttention: includeAttention))
            count += 1
        }
        return count
    }
}
