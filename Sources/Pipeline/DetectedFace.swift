import BlazeFace
import ExpressionModel
import Frames
import Tracking

/// One face in a frame: where it is and, when a model is loaded, its expression; in video, its track.
public struct DetectedFace: Sendable {
    public var box: Rect
    /// This frame's expression alone (the raw per-frame probabilities).
    public var expression: Expression?
    /// The track the face belongs to, with its smoothed expression; nil for still images.
    public var track: TrackedFace?
    /// BlazeFace's score, keypoints and roll; Haar gives none of them.
    public var detectorScore: Float?
    public var keypoints: [Keypoint]
    public var roll: Double?

    public init(
        box: Rect, expression: Expression? = nil, track: TrackedFace? = nil, found: FoundFace? = nil
    ) {
        self.box = box
        self.expression = expression
        self.track = track
        detectorScore = found?.score
        keypoints = found?.keypoints ?? []
        roll = found.flatMap { $0.keypoints.isEmpty ? nil : $0.roll }
    }

    /// The smoothed expression of the face's track, when there is one.
    public var smoothed: SmoothedExpression? { track?.smoothed.first ?? nil }

    /// What to show and print: the track's smoothed expression where there is one, else this frame's.
    public func shown(classNames: [String]) -> ShownExpression? {
        guard let e = expression else { return nil }
        if let s = smoothed, classNames.indices.contains(s.label) {
            return ShownExpression(label: classNames[s.label], score: s.score, scores: s.scores, uncertain: s.uncertain)
        }
        return ShownExpression(label: e.label, score: e.score, scores: e.scores, uncertain: false)
    }
}

/// A face's expression as fercam reports it.
public struct ShownExpression: Sendable, Equatable {
    public var label: String
    public var score: Float
    /// Probabilities in the model's class order.
    public var scores: [Float]
    /// No class clearly ahead (see `SmoothedExpression.uncertain`); always false for untracked faces.
    public var uncertain: Bool
}
