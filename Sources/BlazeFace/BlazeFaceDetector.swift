import ExpressionModel
import Frames

/// MediaPipe's BlazeFace on fercam's engine: letterbox, network, anchor decoding, weighted suppression.
///
/// Loads a file that scripts/blazeface/convert.py made from MediaPipe 0.10.14's TFLite models (assets/
/// detector-blazeface.safetensors: short range, 128x128, webcam distances; detector-blazeface-full.safetensors:
/// full range, 192x192, small and far faces). Threading rule: one thread at a time (the network reuses its buffers).
public final class BlazeFaceDetector: @unchecked Sendable {
    public let path: String
    /// "blazeface" or "blazeface-full", from the file.
    public let architecture: String
    public let inputSize: Int
    public let keypointNames: [String]
    public let decoding: DecodingOptions
    private let network: DetectorNetwork
    private let anchors: [Float]

    public init(path: String) throws {
        let graph = try DetectorGraph(path: path)
        network = try DetectorNetwork(graph: graph)
        self.path = path
        architecture = graph.architecture
        inputSize = graph.inputSize
        keypointNames = graph.keypointNames
        decoding = graph.decoding
        anchors = graph.anchors
    }

    /// Faces in `image`, best score first.
    public func detect(in image: RGBImage) -> [BlazeFaceDetection] {
        detect(width: image.width, height: image.height) { $0.tensor(image) }
    }

    /// Faces in a video frame: the same as in its `rgb()`, without converting the whole frame.
    public func detect(in frame: YUVFrame) -> [BlazeFaceDetection] {
        detect(width: frame.width, height: frame.height) { $0.tensor(frame) }
    }

    private func detect(width: Int, height: Int, input: (Letterbox) -> [Float]) -> [BlazeFaceDetection] {
        guard width > 0, height > 0 else { return [] }
        let letterbox = Letterbox(width: width, height: height, size: inputSize)
        let (scores, regressors) = network.run(input(letterbox))
        let candidates = decodeCandidates(scores: scores, regressors: regressors, anchors: anchors, options: decoding)
        return weightedSuppression(candidates, threshold: decoding.suppressionIoU).map { c in
            let (x0, y0) = letterbox.sourcePoint(Double(c.xmin), Double(c.ymin))
            let (x1, y1) = letterbox.sourcePoint(Double(c.xmax), Double(c.ymax))
            let keypoints = stride(from: 0, to: c.keypoints.count, by: 2).map {
                let (x, y) = letterbox.sourcePoint(Double(c.keypoints[$0]), Double(c.keypoints[$0 + 1]))
                return Keypoint(x: x, y: y)
            }
            return BlazeFaceDetection(
                x: x0, y: y0, width: x1 - x0, height: y1 - y0, score: c.score, keypoints: keypoints)
        }
    }
}
