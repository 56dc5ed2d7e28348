/// The seed systems fercam knows (../shared/docs/seed-systems.md), by the name their files and `--model` use.
public enum Architecture: String, Sendable, CaseIterable, CustomStringConvertible {
    case resnetCBAM = "resnet-cbam"
    case lbpAttention = "lbp-attention"
    case cnnALSTM = "cnn-alstm"
    case deepEmotion = "deep-emotion"
    case manet

    public var description: String { rawValue }

    /// The seed paper it is built from (../shared/seeds/).
    public var seedPaper: String {
        switch self {
        case .lbpAttention: return "000 Li et al., LBP + attention"
        case .resnetCBAM: return "001 Zhang, Chen and Wei, ResNet + CBAM"
        case .cnnALSTM: return "002 Ming, Hu and Liu, CNN-LSTM with attention"
        case .deepEmotion: return "003 Minaee and Abdolrashidi, Deep-Emotion"
        case .manet: return "004 Gan et al., MANet"
        }
    }

    /// The file `--model NAME` loads from the assets folder.
    public var fileName: String { "fercam-\(rawValue).safetensors" }

    /// Reads the `format` metadata: "fercam-ARCHITECTURE/1".
    init(format: String?, path: String) throws(ModelFileError) {
        let format = format ?? "nothing"
        guard format.hasPrefix("fercam-"), format.hasSuffix("/1") else {
            throw .badMetadata(path: path, key: "format", detail: "expected fercam-ARCHITECTURE/1, found \(format)")
        }
        let name = String(format.dropFirst("fercam-".count).dropLast("/1".count))
        guard let known = Architecture(rawValue: name) else {
            throw .badMetadata(
                path: path, key: "format",
                detail: "\"\(name)\" is not an architecture this fercam knows "
                    + "(\(Self.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = known
    }
}
