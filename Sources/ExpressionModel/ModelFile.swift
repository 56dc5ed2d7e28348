import DNNLKit

/// A model file read and checked against the architecture its metadata names, before any engine exists:
/// what loading a model means for everything that parses untrusted bytes (and for the fuzz harness).
public struct ModelFile: Sendable {
    public let description: ModelDescription
    let weights: Weights

    /// Each architecture's weights; the only place (with `makeNetwork`) that tells architectures apart.
    enum Weights: Sendable {
        case resnetCBAM(ResNetCBAMWeights)
        case deepEmotion(DeepEmotionWeights)
        case cnnALSTM(CNNALSTMWeights)
        case lbpAttention(LBPAttentionWeights)
        case manet(MANetWeights)
    }

    public init(path: String) throws(ModelFileError) {
        let file = try SafeTensorsFile(path: path)
        let config = try ModelConfig(file: file)
        description = try ModelDescription(file: file, config: config)
        switch description.architecture {
        case .resnetCBAM:
            weights = .resnetCBAM(try ResNetCBAMWeights(file: file, config: config, description: description))
        case .deepEmotion:
            weights = .deepEmotion(try DeepEmotionWeights(file: file, config: config, description: description))
        case .cnnALSTM: weights = .cnnALSTM(try CNNALSTMWeights(file: file, config: config, description: description))
        case .lbpAttention:
            weights = .lbpAttention(try LBPAttentionWeights(file: file, config: config, description: description))
        case .manet: weights = .manet(try MANetWeights(file: file, config: config, description: description))
        }
    }

    /// The network for these weights on oneDNN.
    func makeNetwork(precision: Precision) throws(DNNLError) -> any ExpressionNetwork {
        switch weights {
        case let .resnetCBAM(w):
            return try ResNetCBAMNetwork(weights: w, temperature: description.temperature, precision: precision)
        case let .deepEmotion(w):
            return try DeepEmotionNetwork(weights: w, description: description, precision: precision)
        case let .cnnALSTM(w):
            return try CNNALSTMNetwork(weights: w, temperature: description.temperature, precision: precision)
        case let .lbpAttention(w):
            return try LBPAttentionNetwork(weights: w, temperature: description.temperature, precision: precision)
        case let .manet(w):
            return try MANetNetwork(weights: w, temperature: description.temperature, precision: precision)
        }
    }
}
