import ArgumentParser
import Charts
import ExpressionModel
import Frames
import ImageFiles
import Pipeline
import Posix

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classifier accuracy on an image-folder tree (DIR/<class>/*.jpg, the FER2013 layout).",
        discussion: """
            Without --detect, each image is taken as a face crop (resized to the model input if it is not already). \
            With --detect, the largest face the detector finds is cropped and classified; an image without a face \
            counts as wrong. The detector defaults to auto here (BlazeFace's short range, then Haar, then BlazeFace's \
            full range, until one finds a face) and Haar's flags to OpenCV's (1.1, 3, no size limits). \
            Every label set gets accuracy, macro-F1, per-class recall, the confusion matrix and the expected \
            calibration error (ECE, 15 bins) of the reported score. Unreadable images are listed and left out.

            Examples:
              cd ../shared/data
              fercam eval fer2013/val --labels fer2013/ferplus.csv
              fercam eval expressions/taiwanese --detect --json
              fercam eval photos/ --detect --predictions per-image.csv
              fercam eval rafdb/train --list rafdb-val.txt --detect --pad 0.5
              fercam eval fer2013/val --labels fer2013/ferplus.csv \\
                --reliability val.png --reliability-labels fer2013/ferplus.csv
            """)

    @Argument(help: "Root of the tree, e.g. ../shared/data/fer2013/val.")
    var directory: String
    @Option(
        name: .customLong("labels"),
        help: ArgumentHelp(
            "Also score against this CSV (repeatable): FER+ votes (ferplus.csv; the majority class) "
                + "or path,label rows.",
            valueName: "csv"))
    var labelsFiles: [String] = []
    @Option(
        help: ArgumentHelp(
            "Draw the reliability diagram to this PNG (scored against --reliability-labels).", valueName: "png"))
    var reliability: String?
    @Option(
        help: ArgumentHelp(
            "Labels the reliability diagram scores: folder (the tree's own) or one of the --labels files.",
            valueName: "folder|csv"))
    var reliabilityLabels = "folder"
    @Flag(help: "Print one JSON object instead of the tables.")
    var json = false
    @Option(
        help: ArgumentHelp(
            "Also write one CSV row per image: path, true labels, prediction, score, face box and every class "
                + "probability (docs/output-format.md).", valueName: "csv"))
    var predictions: String?
    @Flag(help: "Detect the face first (full photographs).")
    var detect = false
    @Option(
        help: ArgumentHelp(
            "Score only the images this file lists, one <class>/<file> path a line relative to DIR "
                + "(a held-out split, e.g. training/splits/rafdb-val.txt).", valueName: "file"))
    var list: String?
    @Option(parsing: .unconditional, help: ArgumentHelp(
            "With --detect: pad each image by this fraction of its longer side, repeating its edges, before "
                + "detecting (tightly cropped faces such as RAF-DB's need 0.5).", valueName: "fraction"))
    var pad: Double = 0
    @Flag(help: "Take a class's images at any depth below its folder (DIR/<class>/.../*.jpg).")
    var recursive = false
    @Flag(help: "Stop at the first unreadable image instead of listing it and going on.")
    var stopOnError = false
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var detector: DetectorOptions

    func validate() throws {
        guard (0...2).contains(pad) else { throw ValidationError("--pad must be from 0 to 2 (got \(pad))") }
        guard pad == 0 || detect else { throw ValidationError("--pad only applies with --detect") }
        guard reliabilityLabels == "folder" || labelsFiles.contains(reliabilityLabels) else {
            throw ValidationError(
                "--reliability-labels must be folder or one of the --labels files (got \(reliabilityLabels))")
        }
    }

    func run() throws {
        let classifier = try modelOptions.makeClassifier()
        let finder = detect ? try detector.makeFinder(defaults: .opencvDefaults, fallback: "auto") : nil
        let images =
            try list.map { try LabelledImages(root: directory, listFile: $0, classNames: classifier.classNames) }
            ?? LabelledImages(root: directory, classNames: classifier.classNames, recursive: recursive)
        let labels = try labelsFiles.map { try LabelsFile(path: $0, classNames: classifier.classNames) }
        let evaluator = Evaluator(
            classifier: classifier, finder: finder, padding: pad)
        var progress = ProgressBar(total: images.items.count, label: "eval")
        let evaluation = try evaluator.run(images, stopOnError: stopOnError) { progress.update($0) }
        // A labels file that labels none of the images would score 0.00%, which reads as a result.
        for (file, labels) in zip(labelsFiles, labels)
        where !evaluation.images.contains(where: { labels.label(for: $0.path) != nil }) {
            throw InputError(
                "\(file): labels none of the \(evaluation.images.count) images under \(directory) "
                    + "(rows are matched by <class>/<file>)")
        }
        let report = EvaluationReport(evaluation, labelsFiles: labels, detector: finder?.name)
        if let predictions {
            var columns: [String] = []
            for file in labelsFiles {
                let stem = PredictionsTable.column(forLabelsFile: file)
                columns.append(columns.contains(stem) ? "\(stem)_\(columns.count + 1)" : stem)
            }
            let table = PredictionsTable.csv(evaluation, labels: Array(zip(columns, labels)).map { ($0, $1) })
            try AtomicFile.write(Array(table.utf8), to: predictions)
        }
        print(json ? JSONLines.evaluation(report) : report.text)
        if let reliability {
            // A model is calibrated on one label set; the diagram must be drawn against the one it was fitted on.
            let set = labelsFiles.firstIndex(of: reliabilityLabels).map { report.others[$0] } ?? report.folder
            let model = classifier.path.split(separator: "/").last ?? "model"
            let folder = directory.split(separator: "/").suffix(2).joined(separator: "/")
            let title = "\(model) on \(folder), \(set.name)"
            try ImageFile.writePNG(try ReliabilityDiagram.render(set.calibration, title: title), path: reliability)
        }
    }
}
