/// A model file read and checked against the architecture its metadata names, before any engine exists:
/// what loading a model means for everything that parses untrusted bytes (and for the fuzz harness).
public struct ModelFile: Sendable {
    public let description: ModelDescription
    let weights: ModelWeights

    public init(path: String) throws(ModelFileError) {
        let file = try SafeTensorsFile(path: path)
        description = try ModelDescription(file: file)
        weights = try ModelWeights(file: file, description: description)
    }
}
