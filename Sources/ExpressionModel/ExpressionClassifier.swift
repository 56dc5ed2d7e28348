import DNNLKit
import Frames

/// One classified face.
public struct Expression: Sendable {
    public var label: String
    public var score: Float
    /// Probabilities in the model's class order.
    public var scores: [Float]
    public var output: NetworkOutput

    public init(label: String, score: Float, scores: [Float], output: NetworkOutput) {
        self.label = label
        self.score = score
        self.scores = scores
        self.output = output
    }
}

/// Loads the model file and classifies face crops or detector boxes.
///
/// Threading rule: as its network, one thread at a time.
public final class ExpressionClassifier: @unchecked Sendable {
    public static let defaultModelName = Architecture.resnetCBAM.fileName
    /// The most faces one network call takes; larger requests are split.
    public static var maximumBatch: Int { ExpressionModel.maximumBatch }
    public let path: String
    public let description: ModelDescription
    public let network: any ExpressionNetwork
    public var cropping: FaceCropping

    /// How the precision was chosen (`--precision auto` measures it at start-up).
    public let precisionChoice: PrecisionChoice

    /// `cropping` nil: the crop the model file asks for (its `margin`), else `FaceCropping`'s default.
    public convenience init(path: String, precision: Precision = .fp32, cropping: FaceCropping? = nil) throws {
        try self.init(path: path, request: precision == .bf16 ? .bf16 : .fp32, cropping: cropping)
    }

    public init(path: String, request: PrecisionChoice.Request, cropping: FaceCropping? = nil) throws {
        self.path = path
        let file = try ModelFile(path: path)
        description = file.description
        if request == .bf16 && !Engine.supportsBF16 {
            throw ModelFileError.unsupportedPrecision(
                path: path,
                detail: "it needs AVX-512 BF16 or AMX, and this CPU (\(Engine.instructionSet)) has neither")
        }
        (precisionChoice, network) = try PrecisionChoice.resolve(request, model: file)
        self.cropping = cropping ?? FaceCropping(margin: file.description.margin ?? FaceCropping().margin)
    }

    public var classNames: [String] { description.classNames }

    /// Model input for one `inputSize`-square gray face: (pixel * scale - mean) / std.
    public func normalise(_ face: GrayImage) -> [Float] {
        precondition(face.width == description.inputSize && face.height == description.inputSize)
        let d = description
        return face.pixels.map { (Float($0) * d.scale - d.mean) / d.std }
    }

    /// Classifies faces that are already model-sized crops (as in FER2013).
    public func classify(faces: [GrayImage]) throws -> [Expression] {
        let outputs = try network.run(faces.map(normalise))
        // Every consumer (bars, JSON, calibration, reports) relies on real probabilities; a model that
        // overflows is refused here, once, rather than in each of them.
        if outputs.contains(where: { !$0.probabilities.allSatisfy(\.isFinite) }) {
            throw NonFiniteOutputError(path: path)
        }
        return outputs.map { output in
            let best = output.probabilities.indices.max { output.probabilities[$0] < output.probabilities[$1] } ?? 0
            return Expression(
                label: description.classNames[best], score: output.probabilities[best], scores: output.probabilities,
                output: output)
        }
    }

    /// Crops each detector box from `image` and classifies the crops in one batch.
    public func classify(boxes: [Rect], in image: GrayImage) throws -> [Expression] {
        try classify(regions: boxes.map { FaceRegion(box: $0) }, in: image)
    }

    /// As `classify(boxes:in:)`, each crop turned by its region's angle (levelled faces).
    public func classify(regions: [FaceRegion], in image: GrayImage) throws -> [Expression] {
        try classify(faces: regions.map { cropping.crop(image, box: $0.box, size: description.inputSize, angle: $0.angle) })
    }
}

/// The network produced NaN or infinite probabilities: its weights are finite but numerically broken.
public struct NonFiniteOutputError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public var description: String {
        "\(path): the model computed non-finite probabilities (NaN or Inf); the file is damaged or not a trained model"
    }
}
