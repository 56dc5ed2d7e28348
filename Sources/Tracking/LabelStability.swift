/// How steady the labels of tracks are: label switches per track-second, and the share of a track's frames
/// whose label is not the track's most common one; and how well they agree with the bars beside them: the
/// share of frames whose shown class is more than `LabelStability.agreementTolerance` behind the smoothed
/// leader. Fed one labelled face at a time, in frame order.
public struct LabelStability: Sendable {
    private struct Record: Sendable {
        var first: Double
        var last: Double
        var labels: [Int]
        var uncertain: Int
        var behind: Int
    }

    /// A shown class this far (probability) behind the smoothed leader contradicts the bars (issue 32).
    public static let agreementTolerance: Float = 0.10

    private var records: [Int: Record] = [:]
    /// When set, the share of frames labelled this class index is reported too (a clip with one known expression).
    public let expected: Int?

    public init(expected: Int? = nil) {
        self.expected = expected
    }

    /// `behindLeader`: the smoothed leader's probability less the shown class's (0 when it leads).
    public mutating func add(track: Int, time: Double, label: Int, uncertain: Bool, behindLeader: Float = 0) {
        var record = records[track] ?? Record(first: time, last: time, labels: [], uncertain: 0, behind: 0)
        record.last = time
        record.labels.append(label)
        if uncertain { record.uncertain += 1 }
        if behindLeader > Self.agreementTolerance { record.behind += 1 }
        records[track] = record
    }

    public var summary: StabilitySummary {
        var summary = StabilitySummary()
        for record in records.values {
            summary.tracks += 1
            summary.frames += record.labels.count
            summary.seconds += record.last - record.first
            summary.switches += zip(record.labels, record.labels.dropFirst()).filter { $0 != $1 }.count
            var counts: [Int: Int] = [:]
            for label in record.labels { counts[label, default: 0] += 1 }
            summary.offMajorityFrames += record.labels.count - (counts.values.max() ?? 0)
            summary.uncertainFrames += record.uncertain
            summary.behindLeaderFrames += record.behind
            if let expected { summary.expectedFrames += counts[expected] ?? 0 }
        }
        return summary
    }
}

/// The figures of `LabelStability`.
public struct StabilitySummary: Sendable, Equatable {
    public var tracks = 0
    public var frames = 0
    /// Summed duration of the tracks (first to last detection).
    public var seconds = 0.0
    public var switches = 0
    public var offMajorityFrames = 0
    public var uncertainFrames = 0
    public var expectedFrames = 0
    /// Frames whose shown class is more than `agreementTolerance` behind the smoothed leader.
    public var behindLeaderFrames = 0

    public var switchesPerSecond: Double { seconds > 0 ? Double(switches) / seconds : 0 }
    public var offMajorityShare: Double { frames > 0 ? Double(offMajorityFrames) / Double(frames) : 0 }
    public var uncertainShare: Double { frames > 0 ? Double(uncertainFrames) / Double(frames) : 0 }
    public var expectedShare: Double { frames > 0 ? Double(expectedFrames) / Double(frames) : 0 }
    /// The share of frames whose label agrees with its bars (at most `agreementTolerance` behind the leader).
    public var agreementShare: Double { frames > 0 ? 1 - Double(behindLeaderFrames) / Double(frames) : 1 }
}
