import ExpressionModel
import FaceDetection
import Frames
import ImageFiles

/// One scored image: its folder's label, and the model's answer (nil when the detector found no face).
public struct EvaluatedImage: Sendable {
    public var path: String
    public var folderLabel: Int
    public var predicted: Int?
    /// Class probabilities; empty when no face was found.
    public var probabilities: [Float]
    /// The face classified, in the image's pixels: the detector's box, or the whole image without `--detect`;
    /// nil when no face was found.
    public var box: Rect? = nil
}

/// Everything `fercam eval` measured, before it is summarised against one label set or another.
public struct Evaluation: Sendable {
    public var classNames: [String]
    public var images: [EvaluatedImage]
    /// Images that could not be read, with the reason; they are left out of every figure.
    public var unreadable: [(path: String, reason: String)]

    /// The confusion matrix against `truth`; images for which `truth` has no label are left out.
    public func matrix(truth: (EvaluatedImage) -> Int?) -> ConfusionMatrix {
        var matrix = ConfusionMatrix(classNames: classNames)
        for image in images { if let t = truth(image) { matrix.add(truth: t, predicted: image.predicted) } }
        return matrix
    }

    /// Confidence against correctness over the faces that were classified and have a label.
    public func calibration(truth: (EvaluatedImage) -> Int?, bins: Int = Calibration.defaultBins) -> Calibration {
        var calibration = Calibration(bins: bins)
        for image in images {
            guard let t = truth(image), let predicted = image.predicted else { continue }
            calibration.add(confidence: Double(image.probabilities[predicted]), correct: predicted == t)
        }
        return calibration
    }
}

/// Scores a classifier on labelled images, as `fercam eval` does.
public struct Evaluator {
    public let classifier: ExpressionClassifier
    /// With a detector, the largest face found is classified; without, each image is the face crop.
    public let finder: FaceFinder?
    /// Border added around each image before detection, as a fraction of its longer side, repeating the edge
    /// pixels: tightly cropped faces (RAF-DB's aligned crops) fill the image, and the cascade needs context.
    public let padding: Double

    public init(
        classifier: ExpressionClassifier, finder: FaceFinder? = nil, padding: Double = 0
    ) {
        self.classifier = classifier
        self.finder = finder
        self.padding = padding
    }

    /// Classifies every image. An unreadable image is recorded and skipped, or thrown when `stopOnError`.
    public func run(
        _ labelled: LabelledImages, stopOnError: Bool = false, progress: (Int) -> Void = { _ in }
    ) throws -> Evaluation {
        let size = classifier.description.inputSize
        var evaluation = Evaluation(classNames: classifier.classNames, images: [], unreadable: [])
        var pending: [(face: GrayImage, index: Int)] = []
        func flush() throws {
            let results = try classifier.classify(faces: pending.map(\.face))
            for (item, result) in zip(pending, results) {
                evaluation.images[item.index].predicted = classifier.classNames.firstIndex(of: result.label)
                evaluation.images[item.index].probabilities = result.scores
            }
            pending.removeAll(keepingCapacity: true)
        }
        for (done, item) in labelled.items.enumerated() {
            defer { progress(done + 1) }
            var gray: GrayImage
            let rgb: RGBImage?
            do throws(ImageFileError) {
                // Without a detector each image is the face crop: gray is all it needs.
                if let finder {
                    (gray, rgb) = try finder.load(item.path)
                } else {
                    (gray, rgb) = (try ImageFile.loadGray(item.path), nil)
                }
            } catch {
                if stopOnError { throw error }
                evaluation.unreadable.append((item.path, error.reason))
                continue
            }
            let face: GrayImage?
            var box: Rect? = Rect(x: 0, y: 0, width: gray.width, height: gray.height)
            if let finder {
                let border = Int((Double(max(gray.width, gray.height)) * padding).rounded())
                gray = gray.padded(by: border)  // the image itself when border is 0
                let colour = rgb
                let found = finder.find(gray: gray, rgb: { colour!.padded(by: border) })
                    .max(by: { $0.box.area < $1.box.area })
                face = found.map { classifier.cropping.crop(gray, box: $0.region.box, size: size, angle: $0.region.angle) }
                box = found.map {
                    Rect(x: $0.box.x - border, y: $0.box.y - border, width: $0.box.width, height: $0.box.height)
                }
            } else if gray.width == size && gray.height == size {
                face = gray
            } else {
                face = FaceCropping(margin: 0).crop(gray, box: box!, size: size)
            }
            evaluation.images.append(
                EvaluatedImage(path: item.path, folderLabel: item.label, predicted: nil, probabilities: [], box: box))
            if let face { pending.append((face, evaluation.images.count - 1)) }
            if pending.count == ExpressionClassifier.maximumBatch { try flush() }
        }
        try flush()
        return evaluation
    }
}
