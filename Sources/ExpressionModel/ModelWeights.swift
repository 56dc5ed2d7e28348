import Foundation

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
