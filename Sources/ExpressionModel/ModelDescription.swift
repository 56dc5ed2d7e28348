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
        // Every size is bounded, so that a crafted file cannot ask for gigabytes of buffers.
        let limits = [
            "in_channels": 4, "input_size": 512, "stem_width": 4096, "stage_widths": 4096, "stage_blocks": 64,
            "cbam_reduction": 4096, "cbam_kernel": 15, "num_classes": 1000,
        ]
        func integer(_ key: String) throws(ModelFileError) -> Int {
            let limit = limits[key] ?? 4096
            guard let value = config[key] as? Int, (1...limit).contains(value) else {
                throw .badMetadata(
                    path: path, key: "config.\(key)", detail: "missing or not an integer from 1 to \(limit)")
            }
            return value
        }
        func integers(_ key: String) throws(ModelFileError) -> [Int] {
            let limit = limits[key] ?? 4096
            guard let value = config[key] as? [Int], (1...16).contains(value.count),
                value.allSatisfy({ (1...limit).contains($0) })
            else {
                throw .badMetadata(
                    path: path, key: "config.\(key)",
                    detail: "missing or not a list of 1 to 16 integers from 1 to \(limit)")
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
