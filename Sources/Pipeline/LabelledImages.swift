import Foundation
import ImageFiles

/// The labelled images of an image-folder tree: `root/<class>/*` for each class the model knows.
public struct LabelledImages: Sendable {
    public var items: [(path: String, label: Int)]

    /// With `recursive`, a class's images may sit at any depth below its folder (`root/happy/session-1/x.jpg`).
    public init(root: String, classNames: [String], recursive: Bool = false) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw InputError("\(root): No such file or directory")
        }
        guard isDirectory.boolValue else { throw InputError("\(root): not a directory (eval takes a tree DIR/<class>/*)") }
        var items: [(String, Int)] = []
        var found = false
        for (label, name) in classNames.enumerated() {
            let folder = root + "/" + name
            // A class the tree does not have is fine; one it has but cannot read would silently shift every figure.
            guard FileManager.default.fileExists(atPath: folder) else { continue }
            let entries: [String]
            do { entries = try ImageFile.files(in: folder, recursive: recursive) } catch {
                throw InputError("\(folder): cannot read this class folder: \(error.reason)")
            }
            found = true
            items += entries.map { ($0, label) }
        }
        guard found else {
            throw InputError(
                "\(root): no class folders (expected \(root)/<class>/*.jpg for \(classNames.joined(separator: ", ")))")
        }
        self.items = items
    }

    /// The images a list file names, one `<class>/<file>` path a line relative to `root` (blank lines and
    /// `#` comments skipped): a held-out subset of a tree, as training/splits/ writes them.
    public init(root: String, listFile: String, classNames: [String]) throws {
        // Read as a stream, so that a pipe (`--list <(grep ...)`) works as well as a file.
        guard let handle = FileHandle(forReadingAtPath: listFile),
            let text = String(data: handle.readDataToEndOfFile(), encoding: .utf8)
        else { throw InputError("\(listFile): cannot read the list file (missing, unreadable or not UTF-8)") }
        var items: [(String, Int)] = []
        var seen = Set<String>()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let place = "\(listFile):\(number + 1)"
            let components = line.split(separator: "/")
            guard components.count >= 2, let label = classNames.firstIndex(of: String(components[0])) else {
                throw InputError(
                    "\(place): \(line) is not <class>/<file> with a class of the model (\(classNames.joined(separator: ", ")))")
            }
            guard seen.insert(line).inserted else { throw InputError("\(place): \(line) is listed twice") }
            let path = root + "/" + line
            guard FileManager.default.fileExists(atPath: path) else {
                throw InputError("\(place): \(path) does not exist")
            }
            items.append((path, label))
        }
        guard !items.isEmpty else { throw InputError("\(listFile): lists no images") }
        self.items = items
    }
}
