import Frames

/// A face in one frame as the tracker sees it: its box and, with a model, its class probabilities.
public struct FaceObservation: Sendable {
    public var box: Rect
    public var probabilities: [Float]?

    public init(box: Rect, probabilities: [Float]?) {
        self.box = box
        self.probabilities = probabilities
    }
}

/// What tracking adds to a face.
public struct TrackedFace: Sendable, Equatable {
    public var id: Int
    /// Frames this track was detected in, this one included.
    public var age: Int
    /// Seconds since the track's first detection.
    public var seconds: Double
    /// One smoothed expression per smoothing setting the tracker runs (nil without probabilities).
    public var smoothed: [SmoothedExpression?]

    public init(id: Int, age: Int, seconds: Double, smoothed: [SmoothedExpression?]) {
        self.id = id
        self.age = age
        self.seconds = seconds
        self.smoothed = smoothed
    }
}

/// Boxes tied into tracks, and each track's probabilities smoothed, for one or more smoothing settings at once
/// (the live view and the output use one; `fercam stability` compares several on the same tracks).
public struct FaceTracker: Sendable {
    public let smoothing: [SmoothingParameters]
    private var boxes: BoxTracker
    private var filters: [Int: [ExpressionFilter]] = [:]

    public init(tracking: TrackingParameters = TrackingParameters(), smoothing: [SmoothingParameters]) {
        self.smoothing = smoothing
        boxes = BoxTracker(parameters: tracking)
    }

    /// The faces detected at presentation time `time`, in the order given.
    public mutating func update(_ faces: [FaceObservation], at time: Double) -> [TrackedFace] {
        let tracks = boxes.update(boxes: faces.map(\.box), at: time)
        var result: [TrackedFace] = []
        result.reserveCapacity(faces.count)
        for (face, track) in zip(faces, tracks) {
            var smoothed: [SmoothedExpression?] = Array(repeating: nil, count: smoothing.count)
            if let p = face.probabilities {
                var trackFilters = filters[track.id] ?? smoothing.map { ExpressionFilter(parameters: $0) }
                for i in trackFilters.indices { smoothed[i] = trackFilters[i].update(p, at: time) }
                filters[track.id] = trackFilters
            }
            result.append(
                TrackedFace(id: track.id, age: track.hits, seconds: time - track.firstSeen, smoothed: smoothed))
        }
        // Forget the filters of tracks the box tracker dropped.
        if filters.count > boxes.tracks.count {
            let live = Set(boxes.tracks.map(\.id))
            filters = filters.filter { live.contains($0.key) }
        }
        return result
    }
}
