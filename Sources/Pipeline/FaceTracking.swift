import Tracking

/// The tracking stage: gives each face of a video's frames its track id and smoothed expression.
/// It depends only on the boxes, probabilities and time stamps it is fed, so replays stay byte-identical.
public struct FaceTracking: Sendable {
    private var tracker: FaceTracker

    public init(tracking: TrackingParameters = TrackingParameters(), smoothing: SmoothingParameters) {
        tracker = FaceTracker(tracking: tracking, smoothing: [smoothing])
    }

    public mutating func apply(to analysis: inout FrameAnalysis) {
        for (i, track) in tracker.update(analysis.observations, at: analysis.pts).enumerated() {
            analysis.faces[i].track = track
        }
    }
}

extension FrameAnalysis {
    /// The frame's faces as the tracker takes them: box and this frame's probabilities.
    var observations: [FaceObservation] {
        faces.map { FaceObservation(box: $0.box, probabilities: $0.expression?.scores) }
    }
}
