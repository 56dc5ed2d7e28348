import Frames
import ImageFiles
import Posix

/// Still images: one file, or every image of a directory in name order.
public struct ImageSource: FrameSource {
    let paths: [String]
    var position = 0

    public init(path: String) throws {
        let kind: FileKind
        do { kind = try FileKind(path: path) } catch { throw InputError("\(path): \(error.message)") }
        if kind == .directory {
            paths = try ImageFile.files(in: path)
            guard !paths.isEmpty else {
                let looked = ImageFile.extensions.sorted().joined(separator: ", ")
                throw InputError("\(path): no images in this directory (looked for \(looked))")
            }
        } else {
            paths = [path]
        }
    }

    public var frameRate: Double? { nil }

    public mutating func next() throws -> SourceFrame? {
        guard position < paths.count else { return nil }
        let path = paths[position]
        defer { position += 1 }
        return SourceFrame(index: position, pts: 0, source: path, frame: YUVFrame(rgb: try ImageFile.loadRGB(path)))
    }
}
