import Foundation

/// A point in source pixels.
public struct Keypoint: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) { (self.x, self.y) = (x, y) }

    /// The keypoints every detector file must give, in this order (MediaPipe's face detection graph); levelling
    /// reads the eyes from the first two.
    public static let names = [
        "right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear_tragion", "left_ear_tragion",
    ]
}

/// One face BlazeFace found, in source pixels.
public struct BlazeFaceDetection: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public var score: Float
    /// In `Keypoint.names` order: the subject's right eye first, on the image's left in an upright face.
    public var keypoints: [Keypoint]

    public init(x: Double, y: Double, width: Double, height: Double, score: Float, keypoints: [Keypoint]) {
        (self.x, self.y, self.width, self.height, self.score, self.keypoints) = (x, y, width, height, score, keypoints)
    }
}

/// A candidate in 0-1 of the input square: corners and keypoints, as MediaPipe's calculators hold them.
struct Candidate {
    var xmin: Float
    var ymin: Float
    var xmax: Float
    var ymax: Float
    var score: Float
    var keypoints: [Float]

    var area: Float { max(0, xmax - xmin) * max(0, ymax - ymin) }

    func iou(_ other: Candidate) -> Float {
        let w = min(xmax, other.xmax) - max(xmin, other.xmin)
        let h = min(ymax, other.ymax) - max(ymin, other.ymin)
        guard w > 0, h > 0 else { return 0 }
        let intersection = w * h
        let union = area + other.area - intersection
        return union > 0 ? intersection / union : 0
    }
}

/// MediaPipe's TensorsToDetectionsCalculator for BlazeFace (fixed-size anchors, x before y): box centre and
/// keypoints are offsets from the anchor in input pixels, size in input pixels; scores through a clipped sigmoid;
/// candidates below the minimum score dropped.
func decodeCandidates(
    scores: [Float], regressors: [Float], anchors: [Float], options: DecodingOptions
) -> [Candidate] {
    let stride = 4 + 2 * options.keypointCount
    var found: [Candidate] = []
    for i in 0..<scores.count {
        let raw = min(max(scores[i], -options.scoreClip), options.scoreClip)
        let score = 1 / (1 + exp(-raw))
        guard score >= options.minimumScore else { continue }
        let r = i * stride
        let ax = anchors[2 * i], ay = anchors[2 * i + 1]
        let cx = regressors[r] / options.scale + ax, cy = regressors[r + 1] / options.scale + ay
        let w = regressors[r + 2] / options.scale, h = regressors[r + 3] / options.scale
        var keypoints = [Float](repeating: 0, count: 2 * options.keypointCount)
        for k in 0..<options.keypointCount {
            keypoints[2 * k] = regressors[r + 4 + 2 * k] / options.scale + ax
            keypoints[2 * k + 1] = regressors[r + 5 + 2 * k] / options.scale + ay
        }
        found.append(
            Candidate(
                xmin: cx - w / 2, ymin: cy - h / 2, xmax: cx + w / 2, ymax: cy + h / 2, score: score,
                keypoints: keypoints))
    }
    return found
}

/// MediaPipe's weighted non-maximum suppression: the best remaining candidate and every one overlapping it by more
/// than `threshold` IoU (itself included) become one detection, their corners and keypoints averaged by score;
/// the detection keeps the best score. Ties in score keep the anchor order.
func weightedSuppression(_ candidates: [Candidate], threshold: Float) -> [Candidate] {
    var remaining = candidates.indices.sorted { (candidates[$0].score, -$0) > (candidates[$1].score, -$1) }
    var kept: [Candidate] = []
    while let first = remaining.first {
        let best = candidates[first]
        var cluster: [Int] = [], rest: [Int] = []
        for i in remaining {
            if candidates[i].iou(best) > threshold { cluster.append(i) } else { rest.append(i) }
        }
        var merged = best
        if !cluster.isEmpty {
            var total: Float = 0, corners: (Float, Float, Float, Float) = (0, 0, 0, 0)
            var keypoints = [Float](repeating: 0, count: best.keypoints.count)
            for i in cluster {
                let c = candidates[i], s = c.score
                total += s
                corners.0 += c.xmin * s
                corners.1 += c.ymin * s
                corners.2 += c.xmax * s
                corners.3 += c.ymax * s
                for k in keypoints.indices { keypoints[k] += c.keypoints[k] * s }
            }
            merged.xmin = corners.0 / total
            merged.ymin = corners.1 / total
            merged.xmax = corners.2 / total
            merged.ymax = corners.3 / total
            merged.keypoints = keypoints.map { $0 / total }
        }
        kept.append(merged)
        if rest.count == remaining.count { break }
        remaining = rest
    }
    return kept
}
