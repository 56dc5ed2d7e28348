import Frames
import Tracking
import XCTest

/// Smoothing and hysteresis on synthetic probability sequences.
final class ExpressionFilterTests: XCTestCase {
    // Three classes keep the sequences readable.
    let a: [Float] = [0.8, 0.1, 0.1], b: [Float] = [0.1, 0.8, 0.1]

    func run(
        _ filter: inout ExpressionFilter, _ p: [Float], frames: Int, fps: Double, from start: Double = 0
    )
        -> [SmoothedExpression]
    {
        (0..<frames).map { filter.update(p, at: start + Double($0) / fps) }
    }

    func testTheAverageFollowsTheTimeConstantAtAnyFrameRate() {
        for fps in [16.0, 60.0] {
            var filter = ExpressionFilter(parameters: SmoothingParameters(timeConstant: 0.5))
            _ = run(&filter, a, frames: 1, fps: fps)
            // After one time constant of a step from a to b, 63% of the step is through.
            let out = run(&filter, b, frames: Int(0.5 * fps), fps: fps, from: 1 / fps)
            XCTAssertEqual(out.last!.scores[1], 0.1 + 0.7 * Float(1 - exp(-1.0)), accuracy: 1e-4, "\(fps) fps")
            XCTAssertEqual(out.last!.scores.reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    func testOneOddFrameDoesNotChangeTheLabel() {
        var filter = ExpressionFilter(parameters: SmoothingParameters(timeConstant: 0.5))
        var labels = run(&filter, a, frames: 10, fps: 25).map(\.label)
        labels += run(&filter, b, frames: 1, fps: 25, from: 0.4).map(\.label)
        labels += run(&filter, a, frames: 10, fps: 25, from: 0.44).map(\.label)
        XCTAssertEqual(Set(labels), [0])
    }

    func testALastingChangeSwitchesOnceAfterTheMargin() {
        var filter = ExpressionFilter(parameters: SmoothingParameters(timeConstant: 0.3, switchMargin: 0.1))
        _ = run(&filter, a, frames: 25, fps: 25)
        let out = run(&filter, b, frames: 50, fps: 25, from: 1)
        let switchAt = out.firstIndex { $0.label == 1 }!
        XCTAssertEqual(out[switchAt...].filter { $0.label != 1 }.count, 0, "no switching back")
        // b overtakes a where the step is half through (ln 2 · 0.3 s after the last a),
        // and leads by 0.1 a little later.
        let crossing = Int((log(2.0) * 0.3 * 25).rounded(.up)) - 1
        XCTAssertGreaterThan(switchAt, crossing)
        XCTAssertLessThan(switchAt, crossing + 4)
        // Between the crossing and the switch, the held label is reported uncertain.
        XCTAssertTrue(out[crossing].uncertain)
        XCTAssertFalse(out.last!.uncertain)
    }

    func testHysteresisHoldsTheLabelThroughNearTies() {
        var filter = ExpressionFilter(parameters: SmoothingParameters(timeConstant: 0.2, switchMargin: 0.1))
        let nearA: [Float] = [0.46, 0.44, 0.1], nearB: [Float] = [0.43, 0.47, 0.1]
        var labels: [Int] = []
        for i in 0..<60 { labels.append(filter.update(i % 10 < 5 ? nearA : nearB, at: Double(i) / 25).label) }
        XCTAssertEqual(Set(labels), [0])
        XCTAssertTrue(filter.current!.uncertain, "a near tie is uncertain")
    }

    func testZeroTimeConstantPassesTheRawProbabilitiesThrough() {
        var filter = ExpressionFilter(parameters: SmoothingParameters(timeConstant: 0))
        XCTAssertEqual(filter.update(a, at: 0).label, 0)
        let out = filter.update(b, at: 0.04)
        XCTAssertEqual(out.scores, b)
        XCTAssertEqual(out.label, 1)
        XCTAssertFalse(out.uncertain)
    }

    func testAGapInDetectionWeighsTheNextObservationMore() {
        var steady = ExpressionFilter(parameters: SmoothingParameters(timeConstant: 0.5))
        var gap = steady
        _ = steady.update(a, at: 0)
        _ = gap.update(a, at: 0)
        let soon = steady.update(b, at: 0.04).scores[1], late = gap.update(b, at: 1.0).scores[1]
        XCTAssertGreaterThan(late, soon)
    }

    func testTracksKeepTheirOwnSmoothing() {
        var tracker = FaceTracker(smoothing: [
            SmoothingParameters(timeConstant: 0.5), SmoothingParameters(timeConstant: 0),
        ])
        let left = Rect(x: 10, y: 10, width: 50, height: 50), right = Rect(x: 300, y: 10, width: 50, height: 50)
        var last: [TrackedFace] = []
        for frame in 0..<20 {
            last = tracker.update(
                [FaceObservation(box: left, probabilities: a), FaceObservation(box: right, probabilities: b)],
                at: Double(frame) / 25)
        }
        XCTAssertEqual(last.map(\.id), [1, 2])
        XCTAssertEqual(last.map(\.age), [20, 20])
        XCTAssertEqual(last[0].seconds, 19.0 / 25, accuracy: 1e-9)
        XCTAssertEqual(last.map { $0.smoothed[0]!.label }, [0, 1])
        XCTAssertEqual(last[1].smoothed[1]!.scores, b)
        let noModel = tracker.update([FaceObservation(box: left, probabilities: nil)], at: 1)
        XCTAssertEqual(noModel[0].smoothed, [SmoothedExpression?](repeating: nil, count: 2))
    }

    /// With the default settings the shown label never contradicts the bars: over noisy probabilities that
    /// wander between classes it is the smoothed leader or within 0.10 of it on every frame, and a label
    /// trailing the leader is marked uncertain. The old margin (0.3) fails this.
    func testTheDefaultLabelAgreesWithItsBars() {
        func worstLag(_ parameters: SmoothingParameters) -> (lag: Float, unmarked: Int) {
            var filter = ExpressionFilter(parameters: parameters)
            var generator = SplitMix(seed: 7)
            var worst: Float = 0, unmarked = 0
            for frame in 0..<2_000 {
                // A slowly drifting favourite with noise on every class.
                let favourite = (frame / 150) % 7
                var raw = (0..<7).map { _ in Float(generator.next() % 1000) / 4000 }
                raw[favourite] += 0.5
                let total = raw.reduce(0, +)
                let shown = filter.update(raw.map { $0 / total }, at: Double(frame) / 25)
                let lag = (shown.scores.max() ?? 0) - shown.score
                worst = max(worst, lag)
                if lag > 0 && !shown.uncertain { unmarked += 1 }
            }
            return (worst, unmarked)
        }
        let defaults = worstLag(SmoothingParameters())
        XCTAssertLessThanOrEqual(defaults.lag, 0.1 + 1e-6)
        XCTAssertEqual(defaults.unmarked, 0)
        XCTAssertGreaterThan(worstLag(SmoothingParameters(switchMargin: 0.3)).lag, 0.1)
    }
}

/// A small deterministic generator, so that the test's noise is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
