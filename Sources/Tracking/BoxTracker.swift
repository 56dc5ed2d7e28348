import Frames

/// How detections are tied into tracks.
public struct TrackingParameters: Sendable, Equatable {
    /// Least intersection-over-union between a track's predicted box and a detection for them to match.
    public var minimumOverlap: Double
    /// A track that goes undetected survives this many frames or this many seconds, whichever is longer,
    /// so that it behaves alike at 15 and 60 frames per second.
    public var maximumMissedFrames: Int
    public var maximumMissedSeconds: Double

    public init(minimumOverlap: Double = 0.2, maximumMissedFrames: Int = 5, maximumMissedSeconds: Double = 0.5) {
        self.minimumOverlap = minimumOverlap
        self.maximumMissedFrames = maximumMissedFrames
        self.maximumMissedSeconds = maximumMissedSeconds
    }
}

/// A box in continuous coordinates: centre and size.
struct BoxState: Sendable, Equatable {
    var centreX, centreY, width, height: Double

    init(_ r: Rect) {
        centreX = Double(r.x) + Double(r.width) / 2
        centreY = Double(r.y) + Double(r.height) / 2
        width = Double(r.width)
        height = Double(r.height)
    }

    init(centreX: Double, centreY: Double, width: Double, height: Double) {
        self.centreX = centreX
        self.centreY = centreY
        self.width = width
        self.height = height
    }

    func overlap(_ other: BoxState) -> Double {
        let w =
            min(centreX + width / 2, other.centreX + other.width / 2)
            - max(centreX - width / 2, other.centreX - other.width / 2)
        let h =
            min(centreY + height / 2, other.centreY + other.height / 2)
            - max(centreY - height / 2, other.centreY - other.height / 2)
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h
        return inter / (width * height + other.width * other.height - inter)
    }
}

/// One face followed over time.
public struct Track: Sendable, Equatable {
    public let id: Int
    /// Presentation time of the first and the latest detection.
    public let firstSeen: Double
    public internal(set) var lastSeen: Double
    /// Frames with a detection, and frames in a row without one.
    public internal(set) var hits: Int
    public internal(set) var missedFrames: Int
    var box: BoxState
    /// Centre and size change per second, for the constant-velocity prediction.
    var velocity = BoxState(centreX: 0, centreY: 0, width: 0, height: 0)

    /// Where the track should be at `time`.
    func predicted(at time: Double) -> BoxState {
        let dt = max(0, time - lastSeen)
        return BoxState(
            centreX: box.centreX + velocity.centreX * dt, centreY: box.centreY + velocity.centreY * dt,
            width: max(1, box.width + velocity.width * dt), height: max(1, box.height + velocity.height * dt))
    }
}

/// Ties each frame's detections to the faces of earlier frames: constant-velocity prediction, then a
/// minimum-cost assignment on overlap. Pure and deterministic: the same boxes and times give the same ids.
public struct BoxTracker: Sendable {
    public let parameters: TrackingParameters
    public private(set) var tracks: [Track] = []
    private var nextID = 1

    public init(parameters: TrackingParameters = TrackingParameters()) {
        self.parameters = parameters
    }

    /// Matches `boxes`, detected at presentation time `time`, to tracks; returns each box's track, in box
    /// order. Unmatched boxes start new tracks; tracks missing too long are dropped.
    public mutating func update(boxes: [Rect], at time: Double) -> [Track] {
        let observed = boxes.map(BoxState.init)
        let predictions = tracks.map { $0.predicted(at: time) }
        let cost: [[Double?]] = observed.map { box in
            predictions.map { p in
                let overlap = box.overlap(p)
                return overlap >= parameters.minimumOverlap ? 1 - overlap : nil
            }
        }
        let matches = minimumCostAssignment(cost)
        var matched = Set<Int>()
        var result: [Track] = []
        result.reserveCapacity(boxes.count)
        for (i, box) in observed.enumerated() {
            if let t = matches[i] {
                matched.insert(t)
                tracks[t].observe(box, at: time)
                result.append(tracks[t])
            } else {
                let track = Track(id: nextID, firstSeen: time, lastSeen: time, hits: 1, missedFrames: 0, box: box)
                nextID += 1
                tracks.append(track)
                result.append(track)
            }
        }
        for t in tracks.indices where t < predictions.count && !matched.contains(t) {
            tracks[t].missedFrames += 1
        }
        tracks.removeAll { track in
            track.missedFrames > parameters.maximumMissedFrames
                && time - track.lastSeen > parameters.maximumMissedSeconds
        }
        return result
    }
}

extension Track {
    /// A matched detection: the box is taken as seen (Haar boxes are already steady), the velocity is
    /// averaged with the last step's so that one jittery box does not fling the prediction.
    mutating func observe(_ seen: BoxState, at time: Double) {
        let dt = time - lastSeen
        if dt > 0 {
            let step = BoxState(
                centreX: (seen.centreX - box.centreX) / dt, centreY: (seen.centreY - box.centreY) / dt,
                width: (seen.width - box.width) / dt, height: (seen.height - box.height) / dt)
            let keep = hits > 1 ? 0.5 : 0
            velocity = BoxState(
                centreX: keep * velocity.centreX + (1 - keep) * step.centreX,
                centreY: keep * velocity.centreY + (1 - keep) * step.centreY,
                width: keep * velocity.width + (1 - keep) * step.width,
                height: keep * velocity.height + (1 - keep) * step.height)
        }
        box = seen
        lastSeen = time
        hits += 1
        missedFrames = 0
    }
}
