import ArgumentParser
import ExpressionModel
import Frames
import Pipeline

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classifier accuracy on an image-folder tree (DIR/<class>/*.jpg, the FER2013 layout).",
        discussion: """
        Without --detect, each image is taken as a face crop (resized to the model input if it is not already). \
        With --detect, the largest face the detector finds is cropped and classified; an image without a face \
        counts as wrong. Detector flags default to OpenCV's (1.1, 3, no size limits) here.
        """)

    @Argument(help: "Root of the tree, e.g. ../shared/data/fer2013/val.")
    var directory: String
    @Flag(help: "Print one JSON object instead of the table.")
    var json = false
    @Flag(help: "Detect the face first (full photographs).")
    var detect = false
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var detector: DetectorOptions

    func run() throws {
        let classifier = try modelOptions.makeClassifier()
        let haar = detect ? try detector.makeDetector() : nil
        let images = try LabelledImages(root: directory, classNames: classifier.classNames)
        let evaluator = Evaluator(classifier: classifier, detector: haar.map { ($0, detector.parameters(defaults: .opencvDefaults)) })
        var progress = ProgressBar(total: images.items.count, label: "eval")
        let matrix = try evaluator.run(images) { progress.update($0) }
        print(json ? matrix.json : matrix.report)
    }
}
