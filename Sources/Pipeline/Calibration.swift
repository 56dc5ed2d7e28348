/// How far the model's confidence is from its accuracy: equal-width confidence bins, and the
/// expected calibration error (ECE) over them, as Guo et al. (2017) define it.
public struct Calibration: Sendable, Equatable {
    public static let defaultBins = 15

    public struct Bin: Sendable, Equatable {
        public var count = 0
        public var confidenceSum = 0.0
        public var correct = 0
        public var meanConfidence: Double { count == 0 ? 0 : confidenceSum / Double(count) }
        public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    }

    public private(set) var bins: [Bin]

    public init(bins: Int = Calibration.defaultBins) {
        self.bins = Array(repeating: Bin(), count: max(1, bins))
    }

    /// Bin i holds confidences in (i/n, (i+1)/n]; a confidence of 0 goes to the first.
    public mutating func add(confidence: Double, correct: Bool) {
        guard confidence.isFinite else { return }  // a probability that is not one has no bin
        let n = bins.count
        let index = min(n - 1, max(0, Int((confidence * Double(n)).rounded(.up)) - 1))
        bins[index].count += 1
        bins[index].confidenceSum += confidence
        if correct { bins[index].correct += 1 }
    }

    public var count: Int { bins.reduce(0) { $0 + $1.count } }

    /// Sum over bins of (share of faces) x |accuracy - mean confidence|.
    public var expectedError: Double {
        let total = Double(count)
        guard total > 0 else { return 0 }
        return bins.reduce(0) { $0 + Double($1.count) / total * abs($1.accuracy - $1.meanConfidence) }
    }
}
