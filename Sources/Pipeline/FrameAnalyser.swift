import ExpressionModel
import FaceDetection
import Frames
import Posix

/// Detects faces in frames and, with a classifier, labels their expressions.
///
/// Threading rule: the detector is immutable, but the classifier reuses buffers,
/// so an analyser with a classifier must be used from one thread at a time.
public struct FrameAnalyser: @unchecked Sendable {
    public let detector: HaarDetector
    public let parameters: DetectionParameters
    public let threads: Int
    public let classifier: ExpressionClassifier?

    public init(
        detector: HaarDetector, parameters: DetectionParameters, threads: Int = 1,
        classifier: ExpressionClassifier? = nil
    ) {
        self.detector = detector
        self.parameters = parameters
        self.threads = threads
        self.classifier = classifier
    }

    public func analyse(_ input: SourceFrame) throws -> FrameAnalysis {
        let start = monotonicSeconds()
        let gray = input.frame.luma
        let boxes = detector.detect(in: gray, parameters: parameters, threads: threads)
            .sorted { ($0.y, $0.x, $0.width) < ($1.y, $1.x, $1.width) }
        let detected = monotonicSeconds()
        var faces = boxes.map { DetectedFace(box: $0) }
        var timings: [(stage: String, value: Double)] = [("detect", (detected - start) * 1000)]
        if let classifier {
            if !boxes.isEmpty {
                let expressions = try classifier.classify(boxes: boxes, in: gray)
                for i in faces.indices { faces[i].expression = expressions[i] }
            }
            timings.append(("classify", (monotonicSeconds() - detected) * 1000))
        }
        timings.append(("total", (monotonicSeconds() - start) * 1000))
        return FrameAnalysis(
            index: input.index, pts: input.pts, source: input.source, width: gray.width, height: gray.height,
            faces: faces, classNames: classifier?.classNames ?? [], milliseconds: timings)
    }
}
