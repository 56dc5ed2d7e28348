import Tracking

/// Replays a video through detection, classification and tracking once, and measures label stability for
/// several smoothing settings on the same tracks (`fercam stability`). The first setting is usually 0: the raw labels.
public struct StabilityRun {
    public let analyser: FrameAnalyser
    public let tracking: TrackingParameters
    public let settings: [SmoothingParameters]

    public init(analyser: FrameAnalyser, tracking: TrackingParameters, settings: [SmoothingParameters]) {
        self.analyser = analyser
        self.tracking = tracking
        self.settings = settings
    }

    /// One summary per setting, in order. `expected` names the class every face should show (a clip of one
    /// held expression); it must be one of the model's classes.
    public func run(
        _ source: inout some FrameSource, expected: Int? = nil, progress: (Int) -> Void = { _ in }
    )
        throws -> [StabilitySummary]
    {
        var tracker = FaceTracker(tracking: tracking, smoothing: settings)
        var measures = settings.map { _ in LabelStability(expected: expected) }
        var frames = 0
        while let frame = try source.next() {
            let analysis = try analyser.analyse(frame)
            for face in tracker.update(analysis.observations, at: analysis.pts) {
                for (i, smoothed) in face.smoothed.enumerated() {
                    guard let smoothed else { continue }
                    measures[i].add(
                        track: face.id, time: face.seconds, label: smoothed.label, uncertain: smoothed.uncertain,
                        behindLeader: (smoothed.scores.max() ?? 0) - smoothed.score)
                }
            }
            frames += 1
            progress(frames)
        }
        return measures.map(\.summary)
    }
}
