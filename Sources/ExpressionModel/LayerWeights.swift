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

/// A fully connected layer: weights outputs x inputs (PyTorch's `Linear`), bias per output.
struct DenseWeights: Sendable {
    var weights: [Float]
    var bias: [Float]
    var inputs: Int
    var outputs: Int
}

extension SafeTensorsFile {
    static let batchNormEpsilon: Float = 1e-5

    /// The convolution `prefix` (its `.bias` when `hasBias`), with the batch norm `bn` folded in when given.
    func convolution(
        _ prefix: String, bn: String? = nil, hasBias: Bool = false, inputs: Int, outputs: Int, kernel: Int,
        stride: Int = 1, padding: Int? = nil
    ) throws(ModelFileError) -> FoldedConvolution {
        var weights = try floats("\(prefix).weight", shape: [outputs, inputs, kernel, kernel])
        var bias = hasBias ? try floats("\(prefix).bias", shape: [outputs]) : [Float](repeating: 0, count: outputs)
        if let bn {
            let (scale, shift) = try batchNorm(bn, channels: outputs)
            let perOutput = inputs * kernel * kernel
            for o in 0..<outputs {
                for i in 0..<perOutput { weights[o * perOutput + i] *= scale[o] }
                bias[o] = bias[o] * scale[o] + shift[o]
            }
        }
        return FoldedConvolution(
            weights: weights, bias: bias, inputChannels: inputs, outputChannels: outputs, kernel: kernel,
            stride: stride, padding: padding ?? kernel / 2)
    }

    /// Inference batch norm as y = x * scale + shift.
    func batchNorm(_ prefix: String, channels: Int) throws(ModelFileError) -> (scale: [Float], shift: [Float]) {
        let gamma = try floats("\(prefix).weight", shape: [channels])
        let beta = try floats("\(prefix).bias", shape: [channels])
        let mean = try floats("\(prefix).running_mean", shape: [channels])
        let variance = try floats("\(prefix).running_var", shape: [channels])
        let scale = (0..<channels).map { gamma[$0] / (variance[$0] + Self.batchNormEpsilon).squareRoot() }
        return (scale, (0..<channels).map { beta[$0] - mean[$0] * scale[$0] })
    }

    func dense(_ prefix: String, inputs: Int, outputs: Int) throws(ModelFileError) -> DenseWeights {
        DenseWeights(
            weights: try floats("\(prefix).weight", shape: [outputs, inputs]),
            bias: try floats("\(prefix).bias", shape: [outputs]), inputs: inputs, outputs: outputs)
    }
}
