import ExpressionModel
import FaceDetection
import Frames
import Posix

/// Detects faces in frames and, with a classifier, labels their expressions.
///
/// Threading rule: the detector is immutable, but the classifier reuses buffers,
/// so an analyser with a classifier must be used from one thread at a time.
public struct FrameAnalyser: @unchecked Sendable {
    public let finder: FaceFinder
    public let classifier: ExpressionClassifier?

    public init(finder: FaceFinder, classifier: ExpressionClassifier? = nil) {
        self.finder = finder
        self.classifier = classifier
    }

    public init(
        detector: HaarDetector, parameters: DetectionParameters, threads: Int = 1,
        classifier: ExpressionClassifier? = nil
    ) {
        self.init(finder: .haar(detector, parameters, threads: threads), classifier: classifier)
    }

    public func analyse(_ input: SourceFrame) throws -> FrameAnalysis {
        let start = monotonicSeconds()
        let gray = input.frame.luma
        let found = finder.find(frame: input.frame, gray: gray)
            .sorted { ($0.box.y, $0.box.x, $0.box.width) < ($1.box.y, $1.box.x, $1.box.width) }
        let detected = monotonicSeconds()
        var faces = found.map { DetectedFace(box: $0.box, found: $0) }
        var timings: [(stage: String, value: Double)] = [("detect", (detected - start) * 1000)]
        if let classifier {
            if !found.isEmpty {
                let expressions = try classifier.classify(regions: found.map(\.region), in: gray)
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
