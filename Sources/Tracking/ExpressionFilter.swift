import Foundation

/// How a track's class probabilities are smoothed over time.
public struct SmoothingParameters: Sendable, Equatable {
    /// Time constant of the exponential average, in seconds: a step change in the probabilities is
    /// 63% through after this long, at any frame rate. 0 turns smoothing and hysteresis off.
    public var timeConstant: Double
    /// The shown label changes only when another class leads it by more than this (probability).
    public var switchMargin: Float
    /// The shown label is reported uncertain when it does not lead every other class by this much.
    public var uncertainMargin: Float

    // Defaults measured on the crowd clip (docs/tracking.md). The switch margin is at most the 0.10 by which a
    // shown class may trail the smoothed leader before it contradicts the bars beside it (issue 32): 0.3 held
    // stale labels on a fifth of the crowd's face-frames. 0.25 s of smoothing keeps switches at 0.29 a second.
    public init(timeConstant: Double = 0.25, switchMargin: Float = 0.1, uncertainMargin: Float = 0.1) {
        self.timeConstant = timeConstant
        self.switchMargin = switchMargin
        self.uncertainMargin = uncertainMargin
    }
}

/// A track's expression after smoothing.
public struct SmoothedExpression: Sendable, Equatable {
    /// Index of the shown class.
    public var label: Int
    /// Smoothed probabilities, in the model's class order (they still sum to 1).
    public var scores: [Float]
    /// True when the shown class does not clearly lead: its probability is within `uncertainMargin` of another
    /// class's, or below it while hysteresis holds it.
    public var uncertain: Bool

    public var score: Float { scores[label] }

    public init(label: Int, scores: [Float], uncertain: Bool) {
        self.label = label
        self.scores = scores
        self.uncertain = uncertain
    }
}

/// One track's smoothing state: an exponential moving average whose weight follows the time between
/// observations, and a shown label that switches with hysteresis.
public struct ExpressionFilter: Sendable {
    public let parameters: SmoothingParameters
    public private(set) var current: SmoothedExpression?
    private var lastTime = 0.0

    public init(parameters: SmoothingParameters) {
        self.parameters = parameters
    }

    /// Folds in the probabilities observed at `time` (seconds, non-decreasing) and returns the result.
    public mutating func update(_ probabilities: [Float], at time: Double) -> SmoothedExpression {
        let scores: [Float]
        if let previous = current, parameters.timeConstant > 0, previous.scores.count == probabilities.count {
            // The weight an observation gets after dt seconds; a gap in detection gives the next one more.
            let weight = Float(1 - exp(-max(0, time - lastTime) / parameters.timeConstant))
            scores = zip(previous.scores, probabilities).map { $0 + weight * ($1 - $0) }
        } else {
            scores = probabilities
        }
        lastTime = time
        let top = Self.argmax(scores)
        var label = top
        if let shown = current?.label, parameters.timeConstant > 0, shown < scores.count,
            scores[top] - scores[shown] <= parameters.switchMargin
        {
            label = shown
        }
        let rival = scores.indices.filter { $0 != label }.map { scores[$0] }.max() ?? 0
        let result = SmoothedExpression(
            label: label, scores: scores, uncertain: scores[label] - rival < parameters.uncertainMargin)
        current = result
        return result
    }

    /// The first index of the largest value (ties go to the lower class index, deterministically).
    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }
}
