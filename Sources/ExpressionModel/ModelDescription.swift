import Foundation

/// What every model file's metadata states, whatever its architecture: which network to build, its input and
/// classes, and the conventions around it. The architecture's own sizes are read from `config` by its weights.
public struct ModelDescription: Sendable, Equatable {
    public var architecture: Architecture
    public var inputSize: Int
    public var classNames: [String]
    /// input = (pixel * scale - mean) / std
    public var scale: Float
    public var mean: Float
    public var std: Float
    /// Probabilities are softmax(logits / temperature): fitted on val by the export so that a score
    /// of 0.8 is right about 80% of the time. 1 when the file has none.
    public var temperature: Float
    /// The crop margin the model was selected at (`FaceCropping.margin`), when the file states one: a model
    /// trained on other framing wants another crop. nil in older files, which get `FaceCropping`'s default.
    public var margin: Double?
    /// What the export measured, for `fercam models` (absent from older files).
    public var figures: ModelFigures

    public var classCount: Int { classNames.count }

    init(file: SafeTensorsFile, config: ModelConfig) throws(ModelFileError) {
        let path = file.path
        architecture = try Architecture(format: file.metadata["format"], path: path)
        // The default model keeps its size in its config (version 1); the seed systems are built for 48x48 faces.
        if architecture == .resnetCBAM {
            inputSize = try config.integer("input_size", in: 1...512)
            guard try config.integer("in_channels", in: 1...4) == 1 else {
                throw .badMetadata(path: path, key: "config.in_channels", detail: "only grayscale (1) is supported")
            }
        } else {
            inputSize = 48
            if let size = file.metadata["input_size"], size != "48" {
                throw .badMetadata(
                    path: path, key: "input_size", detail: "\(architecture) takes 48x48 faces, not \(size)")
            }
        }
        guard
            let names = try ModelConfig.json(file.metadata["class_names"], path: path, key: "class_names")
                as? [String], (2...1000).contains(names.count)
        else {
            throw .badMetadata(path: path, key: "class_names", detail: "not a list of 2 to 1000 names")
        }
        // Two equal names would give JSON objects with two equal keys and bars nobody can tell apart.
        if let repeated = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) || $0.element.isEmpty }) {
            throw .badMetadata(
                path: path, key: "class_names",
                detail: repeated.element.isEmpty ? "an empty class name" : "\"\(repeated.element)\" appears twice")
        }
        classNames = names
        guard
            let norm = try ModelConfig.json(file.metadata["normalisation"], path: path, key: "normalisation")
                as? [String: Any],
            let scale = norm["scale"] as? Double, let mean = norm["mean"] as? Double, let std = norm["std"] as? Double,
            std > 0
        else {
            throw .badMetadata(path: path, key: "normalisation", detail: "expected {scale, mean, std} with std > 0")
        }
        self.scale = Float(scale)
        self.mean = Float(mean)
        self.std = Float(std)
        if let text = file.metadata["temperature"] {
            guard let t = Float(text), t.isFinite, t >= 0.05, t <= 20 else {
                throw .badMetadata(
                    path: path, key: "temperature", detail: "expected a number from 0.05 to 20, found \(text)")
            }
            temperature = t
        } else {
            temperature = 1
        }
        if let text = file.metadata["margin"] {
            guard let m = Double(text), FaceCropping.margins.contains(m) else {
                throw .badMetadata(
                    path: path, key: "margin",
                    detail: "expected a number from \(FaceCropping.marginsText), found \(text)")
            }
            margin = m
        } else {
            margin = nil
        }
        figures = ModelFigures(metadata: file.metadata)
    }
}

/// Sizes and val accuracies the export wrote into the metadata. Informational: a missing or odd value is nil.
public struct ModelFigures: Sendable, Equatable {
    public var parameters: Int?
    /// Multiply-accumulates per face.
    public var macs: Int?
    /// FER2013 val accuracy against the FER2013 labels and against the FER+ majority.
    public var valFER2013: Double?
    public var valFERPlus: Double?

    init(metadata: [String: String]) {
        parameters = metadata["parameters"].flatMap { Int($0) }
        macs = metadata["macs"].flatMap { Int($0) }
        valFER2013 = metadata["val_fer2013"].flatMap { Double($0) }.flatMap { (0...1).contains($0) ? $0 : nil }
        valFERPlus = (metadata["val_ferplus"] ?? metadata["val_accuracy"]).flatMap { Double($0) }
            .flatMap { (0...1).contains($0) ? $0 : nil }
    }
}

/// An architecture's `config` metadata (a JSON object), read with bounds on every size, so that a crafted file
/// cannot ask for gigabytes of buffers.
struct ModelConfig {
    let path: String
    private let values: [String: Any]

    init(file: SafeTensorsFile) throws(ModelFileError) {
        path = file.path
        guard let values = try Self.json(file.metadata["config"], path: path, key: "config") as? [String: Any] else {
            throw .badMetadata(path: path, key: "config", detail: "not an object")
        }
        self.values = values
    }

    static func json(_ text: String?, path: String, key: String) throws(ModelFileError) -> Any {
        guard let text else { throw .badMetadata(path: path, key: key, detail: "missing") }
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
            throw .badMetadata(path: path, key: key, detail: "not valid JSON")
        }
        return value
    }

    /// An integer in `range`; `fallback` when the key is absent (nil: required).
    func integer(_ key: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws(ModelFileError) -> Int
    {
        if values[key] == nil, let fallback { return fallback }
        guard let value = values[key] as? Int, range.contains(value) else {
            throw .badMetadata(
                path: path, key: "config.\(key)",
                detail: "missing or not an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The number of classes under `key`, which must equal the number of names in the metadata.
    func classCount(
        _ key: String, default fallback: Int? = nil, matching description: ModelDescription
    ) throws(ModelFileError) -> Int {
        let classes = try integer(key, in: 1...1000, default: fallback)
        guard classes == description.classCount else {
            throw .badMetadata(
                path: path, key: "class_names", detail: "\(description.classCount) names for \(classes) classes")
        }
        return classes
    }

    func integers(_ key: String, in range: ClosedRange<Int>) throws(ModelFileError) -> [Int] {
        guard let value = values[key] as? [Int], (1...16).contains(value.count), value.allSatisfy(range.contains)
        else {
            throw .badMetadata(
                path: path, key: "config.\(key)",
                detail: "missing or not a list of 1 to 16 integers from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func string(_ key: String, oneOf allowed: [String], default fallback: String) throws(ModelFileError) -> String {
        guard let value = values[key] else { return fallback }
        guard let text = value as? String, allowed.contains(text) else {
            throw .badMetadata(
                path: path, key: "config.\(key)", detail: "expected one of \(allowed.joined(separator: ", "))")
        }
        return text
    }

    func flag(_ key: String, default fallback: Bool) throws(ModelFileError) -> Bool {
        guard let value = values[key] else { return fallback }
        guard let flag = value as? Bool else {
            throw .badMetadata(path: path, key: "config.\(key)", detail: "expected true or false")
        }
        return flag
    }
}
