import Foundation

/// The architecture and conventions stored in the model file's metadata.
public struct ModelDescription: Sendable, Equatable {
    public var inputChannels: Int
    public var inputSize: Int
    public var stemWidth: Int
    public var stageWidths: [Int]
    public var stageBlocks: [Int]
    public var cbamReduction: Int
    public var cbamKernel: Int
    public var classNames: [String]
    /// input = (pixel * scale - mean) / std
    public var scale: Float
    public var mean: Float
    public var std: Float
    /// Validation accuracy recorded by the export, if present.
    public var validationAccuracy: Double?
    /// Probabilities are softmax(logits / temperature): fitted on val by the export so that a score
    /// of 0.8 is right about 80% of the time. 1 when the file has none.
    public var temperature: Float

    public var classCount: Int { classNames.count }
    /// Side of the feature map after the last stage (each stage halves it).
    public var lastSize: Int { stageWidths.reduce(inputSize) { size, _ in (size + 1) / 2 } }

    init(file: SafeTensorsFile) throws(ModelFileError) {
        let path = file.path
        func json(_ key: String) throws(ModelFileError) -> Any {
            guard let text = file.metadata[key] else { throw .badMetadata(path: path, key: key, detail: "missing") }
            guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            else {
                throw .badMetadata(path: path, key: key, detail: "not valid JSON")
            }
            return value
        }
        guard let format = file.metadata["format"], format.hasPrefix("fercam-resnet-cbam/") else {
            throw .badMetadata(
                path: path, key: "format",
                detail: "expected fercam-resnet-cbam/1, found \(file.metadata["format"] ?? "nothing")")
        }
        guard let config = try json("config") as? [String: Any] else {
            throw .badMetadata(path: path, key: "config", detail: "not an object")
        }
        func integer(_ key: String) throws(ModelFileError) -> Int {
            guard let value = config[key] as? Int, value > 0 else {
                throw .badMetadata(path: path, key: "config.\(key)", detail: "missing or not a positive integer")
            }
            return value
        }
        func integers(_ key: String) throws(ModelFileError) -> [Int] {
            guard let value = config[key] as? [Int], !value.isEmpty, value.allSatisfy({ $0 > 0 }) else {
                throw .badMetadata(
                    path: path, key: "config.\(key)", detail: "missing or not a list of positive integers")
            }
            return value
        }
        inputChannels = try integer("in_channels")
        inputSize = try integer("input_size")
        stemWidth = try integer("stem_width")
        stageWidths = try integers("stage_widths")
        stageBlocks = try integers("stage_blocks")
        cbamReduction = try integer("cbam_reduction")
        cbamKernel = try integer("cbam_kernel")
        guard stageWidths.count == stageBlocks.count else {
            throw .badMetadata(path: path, key: "config", detail: "stage_widths and stage_blocks differ in length")
        }
        guard inputChannels == 1 else {
            throw .badMetadata(path: path, key: "config.in_channels", detail: "only grayscale (1) is supported")
        }
        guard cbamKernel % 2 == 1 else {
            throw .badMetadata(path: path, key: "config.cbam_kernel", detail: "must be odd")
        }
        guard let names = try json("class_names") as? [String], !names.isEmpty else {
            throw .badMetadata(path: path, key: "class_names", detail: "not a list of names")
        }
        guard names.count == (try integer("num_classes")) else {
            throw .badMetadata(
                path: path, key: "class_names",
                detail: "\(names.count) names for \(config["num_classes"] ?? "?") classes")
        }
        classNames = names
        guard let norm = try json("normalisation") as? [String: Any], let scale = norm["scale"] as? Double,
            let mean = norm["mean"] as? Double, let std = norm["std"] as? Double, std > 0
        else {
            throw .badMetadata(path: path, key: "normalisation", detail: "expected {scale, mean, std} with std > 0")
        }
        self.scale = Float(scale)
        self.mean = Float(mean)
        self.std = Float(std)
        validationAccuracy = file.metadata["val_accuracy"].flatMap(Double.init)
        if let text = file.metadata["temperature"] {
            guard let t = Float(text), t.isFinite, t >= 0.05, t <= 20 else {
                throw .badMetadata(
                    path: path, key: "temperature", detail: "expected a number from 0.05 to 20, found \(text)")
            }
            temperature = t
        } else {
            temperature = 1
        }
    }
}

/// A convolution with its batch norm folded in: weights OIHW, bias per output channel.
struct FoldedConvolution: Sendable {
    var weights: [Float]
    var bias: [Float]
    var inputChannels: Int
    var outputChannels: Int
    var kernel: Int
    var stride: Int
    var padding: Int
}

struct ResidualBlockWeights: Sendable {
    var conv1: FoldedConvolution
    var conv2: FoldedConvolution
    var shortcut: FoldedConvolution?
}

/// CBAM: a channel gate (shared two-layer MLP) and a spatial gate (a k x k conv over mean and max maps, BN folded).
struct CBAMWeights: Sendable {
    var channels: Int
    var hidden: Int
    var fc1: [Float]  // hidden x channels
    var fc1Bias: [Float]
    var fc2: [Float]  // channels x hidden
    var fc2Bias: [Float]
    var kernel: Int
    var spatial: [Float]  // 2 x k x k (mean map first, then max map)
    var spatialBias: Float
}

/// All weights of the network, read and folded from a safetensors file.
struct ModelWeights: Sendable {
    var stem: FoldedConvolution
    var stemAttention: CBAMWeights
    var blocks: [ResidualBlockWeights]
    var lastAttention: CBAMWeights
    var classifier: [Float]  // classes x channels
    var classifierBias: [Float]

    static let batchNormEpsilon: Float = 1e-5

    init(file: SafeTensorsFile, description d: ModelDescription) throws(ModelFileError) {
        func conv(
            _ prefix: String, bn: String, cin: Int, cout: Int, kernel: Int, stride: Int
        ) throws(ModelFileError) -> FoldedConvolution {
            let w = try file.floats("\(prefix).weight", shape: [cout, cin, kernel, kernel])
            let (scale, shift) = try batchNorm(bn, channels: cout)
            let perOutput = cin * kernel * kernel
            var folded = w
            for o in 0..<cout { for i in 0..<perOutput { folded[o * perOutput + i] *= scale[o] } }
            return FoldedConvolution(
                weights: folded, bias: shift, inputChannels: cin, outputChannels: cout, kernel: kernel, stride: stride,
                padding: kernel / 2)
        }
        func batchNorm(_ prefix: String, channels: Int) throws(ModelFileError) -> (scale: [Float], shift: [Float]) {
            let gamma = try file.floats("\(prefix).weight", shape: [channels])
            let beta = try file.floats("\(prefix).bias", shape: [channels])
            let mean = try file.floats("\(prefix).running_mean", shape: [channels])
            let variance = try file.floats("\(prefix).running_var", shape: [channels])
            let scale = (0..<channels).map { gamma[$0] / (variance[$0] + Self.batchNormEpsilon).squareRoot() }
            return (scale, (0..<channels).map { beta[$0] - mean[$0] * scale[$0] })
        }
        func cbam(_ prefix: String, channels: Int) throws(ModelFileError) -> CBAMWeights {
            let hidden = max(channels / d.cbamReduction, 4)
            let k = d.cbamKernel
            let spatial = try file.floats("\(prefix).spatial.conv.weight", shape: [1, 2, k, k])
            let (scale, shift) = try batchNorm("\(prefix).spatial.bn", channels: 1)
            return CBAMWeights(
                channels: channels, hidden: hidden,
                fc1: try file.floats("\(prefix).channel.fc1.weight", shape: [hidden, channels, 1, 1]),
                fc1Bias: try file.floats("\(prefix).channel.fc1.bias", shape: [hidden]),
                fc2: try file.floats("\(prefix).channel.fc2.weight", shape: [channels, hidden, 1, 1]),
                fc2Bias: try file.floats("\(prefix).channel.fc2.bias", shape: [channels]),
                kernel: k, spatial: spatial.map { $0 * scale[0] }, spatialBias: shift[0])
        }

        stem = try conv("stem.0", bn: "stem.1", cin: d.inputChannels, cout: d.stemWidth, kernel: 3, stride: 1)
        stemAttention = try cbam("cbam_stem", channels: d.stemWidth)
        var blocks: [ResidualBlockWeights] = []
        var cin = d.stemWidth
        for (stage, (width, count)) in zip(d.stageWidths, d.stageBlocks).enumerated() {
            for index in 0..<count {
                let p = "stages.\(stage).\(index)"
                let stride = index == 0 ? 2 : 1
                let shortcut: FoldedConvolution? =
                    (stride != 1 || cin != width)
                    ? try conv(
                        "\(p).shortcut.0", bn: "\(p).shortcut.1", cin: cin, cout: width, kernel: 1, stride: stride)
                    : nil
                blocks.append(
                    ResidualBlockWeights(
                        conv1: try conv("\(p).conv1", bn: "\(p).bn1", cin: cin, cout: width, kernel: 3, stride: stride),
                        conv2: try conv("\(p).conv2", bn: "\(p).bn2", cin: width, cout: width, kernel: 3, stride: 1),
                        shortcut: shortcut))
                cin = width
            }
        }
        self.blocks = blocks
        lastAttention = try cbam("cbam_last", channels: cin)
        classifier = try file.floats("classifier.weight", shape: [d.classCount, cin])
        classifierBias = try file.floats("classifier.bias", shape: [d.classCount])
    }
}
