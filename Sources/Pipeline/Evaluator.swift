import ExpressionModel
import FaceDetection
import Frames
import ImageFiles

/// Scores a classifier on labelled images, as `fercam eval` does.
public struct Evaluator {
    public let classifier: ExpressionClassifier
    /// With a detector, the largest face found is classified; without, each image is the face crop.
    public let detector: (HaarDetector, DetectionParameters)?

    public init(classifier: ExpressionClassifier, detector: (HaarDetector, DetectionParameters)? = nil) {
        self.classifier = classifier
        self.detector = detector
    }

    public func run(_ images: LabelledImages, progress: (Int) -> Void = { _ in }) throws -> ConfusionMatrix {
        let size = classifier.description.inputSize
        var matrix = ConfusionMatrix(classNames: classifier.classNames)
        var pending: [(face: GrayImage, label: Int)] = []
        func flush() throws {
            let results = try classifier.classify(faces: pending.map(\.face))
            for (item, result) in zip(pending, results) {
                matrix.add(truth: item.label, predicted: classifier.classNames.firstIndex(of: result.label))
            }
            pending.removeAll(keepingCapacity: true)
        }
        for (done, item) in images.items.enumerated() {
            let gray = try ImageFile.loadGray(item.path)
            if let (haar, parameters) = detector {
                if let largest = haar.detect(in: gray, parameters: parameters).max(by: { $0.area < $1.area }) {
                    pending.append((classifier.cropping.crop(gray, box: largest, size: size), item.label))
                } else {
                    matrix.add(truth: item.label, predicted: nil)
                }
            } else if gray.width == size && gray.height == size {
                pending.append((gray, item.label))
            } else {
                let whole = Rect(x: 0, y: 0, width: gray.width, height: gray.height)
                pending.append((FaceCropping(margin: 0).crop(gray, box: whole, size: size), item.label))
            }
            if pending.count == Network.maximumBatch { try flush() }
            progress(done + 1)
        }
        try flush()
        return matrix
    }
}
