import ImageFiles

/// The labelled images of an image-folder tree: `root/<class>/*` for each class the model knows.
public struct LabelledImages: Sendable {
    public var items: [(path: String, label: Int)]

    public init(root: String, classNames: [String]) throws {
        var items: [(String, Int)] = []
        var found = false
        for (label, name) in classNames.enumerated() {
            let folder = root + "/" + name
            guard let entries = try? ImageFile.files(in: folder) else { continue }
            found = true
            items += entries.map { ($0, label) }
        }
        guard found else {
            throw InputError(
                "\(root): no class folders (expected \(root)/<class>/*.jpg for \(classNames.joined(separator: ", ")))")
        }
        self.items = items
    }
}
