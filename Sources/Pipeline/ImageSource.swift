import Foundation
import Frames
import ImageFiles
import Posix

/// Images a folder run could not decode. Each is reported as it is met and the run goes on; the command exits
/// non-zero at the end when any were skipped, as `fercam eval` does.
public final class SkippedImages: @unchecked Sendable {
    private let lock = NSLock()
    private var skipped = 0
    private let report: @Sendable (String) -> Void

    public init(report: @escaping @Sendable (String) -> Void) { self.report = report }

    public func add(_ path: String, reason: String) {
        lock.withLock { skipped += 1 }
        report("\(path): skipped: \(reason)")
    }

    public var count: Int { lock.withLock { skipped } }

    /// Thrown at the end of a run that skipped images, so that it exits non-zero.
    public func check() throws(SkippedImagesError) {
        let n = count
        if n > 0 { throw SkippedImagesError(count: n) }
    }
}

public struct SkippedImagesError: Error, CustomStringConvertible, Sendable {
    public let count: Int
    public var description: String {
        "\(count) image\(count == 1 ? "" : "s") could not be read and \(count == 1 ? "was" : "were") skipped (listed above)"
    }
}

/// Still images: one file, or every image of a directory in name order.
public struct ImageSource: FrameSource {
    let paths: [String]
    let isDirectory: Bool
    let skipped: SkippedImages?
    var position = 0

    /// With `skipped`, an undecodable image in a directory is reported there and passed over; without, or for
    /// a single file, it ends the run.
    public init(path: String, skipped: SkippedImages? = nil, recursive: Bool = false) throws {
        let kind: FileKind
        do { kind = try FileKind(path: path) } catch { throw InputError("\(path): \(error.message)") }
        isDirectory = kind == .directory
        self.skipped = skipped
        if isDirectory {
            paths = try ImageFile.files(in: path, recursive: recursive)
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
        while position < paths.count {
            let path = paths[position]
            defer { position += 1 }
            do {
                return SourceFrame(
                    index: position, pts: 0, source: path, frame: YUVFrame(rgb: try ImageFile.loadRGB(path)))
            } catch {
                guard isDirectory, let skipped else { throw error }
                skipped.add(path, reason: error.reason)
            }
        }
        return nil
    }
}
