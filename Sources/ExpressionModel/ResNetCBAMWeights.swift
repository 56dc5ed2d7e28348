/// The default model's sizes, from its `config` metadata.
struct ResNetCBAMShape: Sendable, Equatable {
    var inputSize: Int
    var stemWidth: Int
    var stageWidths: [Int]
    var stageBlocks: [Int]
    var cbamReduction: Int
    var cbamKernel: Int

    /// Side of the feature map after the last stage (each stage halves it).
    var lastSize: Int { stageWidths.reduce(inputSize) { size, _ in (size + 1) / 2 } }

    init(_ config: ModelConfig, description: ModelDescription) throws(ModelFileError) {
        inputSize = description.inputSize
        stemWidth = try config.integer("stem_width", in: 1...4096)
        stageWidths = try config.integers("stage_widths", in: 1...4096)
        stageBlocks = try config.integers("stage_blocks", in: 1...64)
        cbamReduction = try config.integer("cbam_reduction", in: 1...4096)
        cbamKernel = try config.integer("cbam_kernel", in: 1...15)
        guard stageWidths.count == stageBlocks.count else {
            throw .badMetadata(
                path: config.path, key: "config", detail: "stage_widths and stage_blocks differ in length")
        }
        guard cbamKernel % 2 == 1 else {
            throw .badMetadata(path: config.path, key: "config.cbam_kernel", detail: "must be odd")
        }
        _ = try config.classCount("num_classes", matching: description)
    }
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

/// All weights of the ResNet+CBAM network, read and folded from a safetensors file.
struct ResNetCBAMWeights: Sendable {
    var shape: ResNetCBAMShape
    var classCount: Int
    var stem: FoldedConvolution
    var stemAttention: CBAMWeights
    var blocks: [ResidualBlockWeights]
    var lastAttention: CBAMWeights
    var classifier: [Float]  // classes x channels
    var classifierBias: [Float]

    init(file: SafeTensorsFile, config: ModelConfig, description: ModelDescription) throws(ModelFileError) {
        let d = try ResNetCBAMShape(config, description: description)
        shape = d
        classCount = description.classCount
        func cbam(_ prefix: String, channels: Int) throws(ModelFileError) -> CBAMWeights {
            let hidden = max(channels / d.cbamReduction, 4)
            let k = d.cbamKernel
            let spatial = try file.floats("\(prefix).spatial.conv.weight", shape: [1, 2, k, k])
            let (scale, shift) = try file.batchNorm("\(prefix).spatial.bn", channels: 1)
            return CBAMWeights(
                channels: channels, hidden: hidden,
                fc1: try file.floats("\(prefix).channel.fc1.weight", shape: [hidden, channels, 1, 1]),
                fc1Bias: try file.floats("\(prefix).channel.fc1.bias", shape: [hidden]),
                fc2: try file.floats("\(prefix).channel.fc2.weight", shape: [channels, hidden, 1, 1]),
                fc2Bias: try file.floats("\(prefix).channel.fc2.bias", shape: [channels]),
                kernel: k, spatial: spatial.map { $0 * scale[0] }, spatialBias: shift[0])
        }

        stem = try file.convolution("stem.0", bn: "stem.1", inputs: 1, outputs: d.stemWidth, kernel: 3)
        stemAttention = try cbam("cbam_stem", channels: d.stemWidth)
        var blocks: [ResidualBlockWeights] = []
        var cin = d.stemWidth
        for (stage, (width, count)) in zip(d.stageWidths, d.stageBlocks).enumerated() {
            for index in 0..<count {
                let p = "stages.\(stage).\(index)"
                let stride = index == 0 ? 2 : 1
                let shortcut: FoldedConvolution? =
                    (stride != 1 || cin != width)
                    ? try file.convolution(
                        "\(p).shortcut.0", bn: "\(p).shortcut.1", inputs: cin, outputs: width, kernel: 1,
                        stride: stride)
                    : nil
                blocks.append(
                    ResidualBlockWeights(
                        conv1: try file.convolution(
                            "\(p).conv1", bn: "\(p).bn1", inputs: cin, outputs: width, kernel: 3, stride: stride),
                        conv2: try file.convolution(
                            "\(p).conv2", bn: "\(p).bn2", inputs: width, outputs: width, kernel: 3),
                        shortcut: shortcut))
                cin = width
            }
        }
        self.blocks = blocks
        lastAttention = try cbam("cbam_last", channels: cin)
        classifier = try file.floats("classifier.weight", shape: [description.classCount, cin])
        classifierBias = try file.floats("classifier.bias", shape: [description.classCount])
    }
}
