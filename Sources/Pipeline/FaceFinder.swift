import BlazeFace
import ExpressionModel
import FaceDetection
import Foundation
import Frames
import ImageFiles

/// A face a detector found: its box in Haar framing (what the expression model was trained on), and with BlazeFace
/// its detector score, six keypoints and the roll that levels the eyes.
public struct FoundFace: Sendable, Equatable {
    public var box: Rect
    public var score: Float?
    public var keypoints: [Keypoint]
    /// Radians the eye line is turned clockwise on screen (0 without keypoints).
    public var roll: Double
    /// Radians the crop is turned: the roll when levelling is on, else 0.
    public var cropAngle: Double

    public init(box: Rect, score: Float? = nil, keypoints: [Keypoint] = [], roll: Double = 0, cropAngle: Double = 0) {
        (self.box, self.score, self.keypoints, self.roll, self.cropAngle) = (box, score, keypoints, roll, cropAngle)
    }

    /// The box the crop is cut around: `box` before clipping to the frame, so that a face at the border is
    /// framed as in the middle (the crop repeats the edge pixels).
    public var cropBox: Rect?

    public var region: FaceRegion { FaceRegion(box: cropBox ?? box, angle: cropAngle) }
}

/// Which detector finds faces, with its settings (`--detector`).
///
/// Threading rule: Haar is immutable; BlazeFace reuses buffers, so a finder must be used from one thread at a time
/// (as the classifier beside it in `FrameAnalyser`).
public enum FaceFinder: @unchecked Sendable {
    case haar(HaarDetector, DetectionParameters, threads: Int)
    /// Boxes outside minimum...maximum side (0: no limit) are dropped; `level` turns each crop to level the eyes.
    case blazeface(BlazeFaceDetector, minimumSide: Int, maximumSide: Int, level: Bool)
    /// Each finder in turn until one finds a face (`--detector auto`: BlazeFace's short range, Haar, BlazeFace's
    /// full range). Boxes of different detectors are never mixed in one image: each is in Haar framing already,
    /// and the first detector that sees a face is the one best suited to that image (docs/detectors.md).
    case firstFound(name: String, [FaceFinder])

    public var name: String {
        switch self {
        case .haar: return "haar"
        case let .blazeface(detector, _, _, _): return detector.architecture
        case let .firstFound(name, _): return name
        }
    }

    /// Threads the busiest member uses: Haar's `--threads`; BlazeFace runs on one.
    public var threads: Int {
        switch self {
        case let .haar(_, _, threads): return threads
        case .blazeface: return 1
        case let .firstFound(_, finders): return finders.map(\.threads).max() ?? 1
        }
    }

    public var needsColour: Bool {
        switch self {
        case .haar: return false
        case .blazeface: return true
        case let .firstFound(_, finders): return finders.contains(where: \.needsColour)
        }
    }

    /// An image file as this finder reads it: gray for Haar; for BlazeFace colour too, with the gray the
    /// expression model sees taken from it (the luma `loadGray` would give).
    public func load(_ path: String) throws(ImageFileError) -> (gray: GrayImage, rgb: RGBImage?) {
        guard needsColour else { return (try ImageFile.loadGray(path), nil) }
        let rgb = try ImageFile.loadRGB(path)
        return (rgb.grayscale(), rgb)
    }

    /// Faces in an image: Haar reads `gray`, BlazeFace `rgb()` (MediaPipe's models take colour). `rgb` is called
    /// at most once, however many BlazeFace models a chain asks (`eval --pad` builds a padded copy in it).
    public func find(gray: GrayImage, rgb: () -> RGBImage) -> [FoundFace] {
        var colour: RGBImage?
        return find(gray: gray) { detector in
            let image = colour ?? rgb()
            colour = image
            return detector.detect(in: image)
        }
    }

    /// Faces in a video frame (`gray` is its luma): BlazeFace converts only the pixels it samples.
    public func find(frame: YUVFrame, gray: GrayImage) -> [FoundFace] {
        find(gray: gray) { $0.detect(in: frame) }
    }

    private func find(gray: GrayImage, blazeface: (BlazeFaceDetector) -> [BlazeFaceDetection]) -> [FoundFace] {
        switch self {
        case let .firstFound(_, finders):
            for finder in finders {
                let faces = finder.find(gray: gray, blazeface: blazeface)
                if !faces.isEmpty { return faces }
            }
            return []
        case let .haar(detector, parameters, threads):
            return detector.detect(in: gray, parameters: parameters, threads: threads).map { FoundFace(box: $0) }
        case let .blazeface(detector, minimumSide, maximumSide, level):
            return blazeface(detector).compactMap { d in
                var face = Self.haarFraming(d, level: level, framing: Self.framing[detector.architecture] ?? (0, 1))
                // Boxes are clipped to the frame, as Haar's always are (docs/output-format.md).
                face.cropBox = face.box
                face.box = face.box.intersection(Rect(x: 0, y: 0, width: gray.width, height: gray.height))
                guard !face.box.isEmpty else { return nil }
                let side = max(face.box.width, face.box.height)
                guard side >= max(1, minimumSide), maximumSide == 0 || side <= maximumSide else { return nil }
                return face
            }
        }
    }

    /// The Haar box the cascade would give the same face, from BlazeFace's: the centre moved up by `framing.down`
    /// of the side (turned with the face) and the side scaled by `framing.scale`. Measured on the 169 upright Caltech
    /// faces where both detectors find the face (`scripts/blazeface/framing.py`, docs/detectors.md).
    public static func haarFraming(_ d: BlazeFaceDetection, level: Bool, framing: (down: Double, scale: Double)) -> FoundFace {
        var roll = 0.0
        if d.keypoints.count >= 2 {
            // Keypoint 0 is the subject's right eye, on the image's left when upright.
            roll = atan2(d.keypoints[1].y - d.keypoints[0].y, d.keypoints[1].x - d.keypoints[0].x)
        }
        let side = max(d.width, d.height)
        let turn = level ? roll : 0
        // The offset is along the face's own vertical (turned with it when levelling). Sideways the median
        // offset is under 0.02 sides, and a face is symmetric: none is applied.
        let down = framing.down * side
        let cx = d.x + d.width / 2 - down * sin(turn)
        let cy = d.y + d.height / 2 + down * cos(turn)
        let haarSide = side * framing.scale
        let box = Rect(
            x: Int((cx - haarSide / 2).rounded()), y: Int((cy - haarSide / 2).rounded()),
            width: Int(haarSide.rounded()), height: Int(haarSide.rounded()))
        return FoundFace(
            box: box, score: d.score, keypoints: d.keypoints, roll: roll, cropAngle: turn)
    }

    /// Per model: the Haar centre's offset below BlazeFace's (in its box sides; negative is up) and the side ratio.
    public static let framing: [String: (down: Double, scale: Double)] = [
        "blazeface": (-0.1064, 1.0748), "blazeface-full": (-0.0660, 1.0192),
    ]
}
