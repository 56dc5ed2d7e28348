import Frames

/// Runs a source to its end through the analyser, handing each result on as soon as it exists.
public struct HeadlessRun {
    public let analyser: FrameAnalyser
    public let includeTimings: Bool
    public let includeAttention: Bool
    /// Tracking for sources with a frame rate (video, cameras); still images are not tracked.
    public let tracking: FaceTracking?

    public init(
        analyser: FrameAnalyser, includeTimings: Bool, includeAttention: Bool = false, tracking: FaceTracking? = nil
    ) {
        self.analyser = analyser
        self.includeTimings = includeTimings
        self.includeAttention = includeAttention
        self.tracking = tracking
    }

    /// Emits one JSON line per frame, after handing the frame and its analysis to `each` (rendering); a
    /// fault in the input is thrown after every earlier frame was emitted.
    public func run(
        _ source: inout some FrameSource, each: (SourceFrame, FrameAnalysis) throws -> Void = { _, _ in },
        emit: (String) throws -> Void
    ) throws -> Int {
        var count = 0
        var tracking = source.isVideo ? self.tracking : nil
        while let frame = try source.next() {
            var analysis = try analyser.analyse(frame)
            tracking?.apply(to: &analysis)
            try each(frame, analysis)
            try emit(JSONLines.encode(analysis, includeTimings: includeTimings, includeAttention: includeAttention))
            count += 1
        }
        return count
    }
}
