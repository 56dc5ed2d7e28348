import Glibc

/// The entry names of a directory (without "." and ".."), unsorted.
public func directoryEntryNames(_ path: String) throws(SystemCallError) -> [String] {
    guard let dir = opendir(path) else { throw SystemCallError(call: "opendir", code: errno) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// What kind of file a path names, following links; nil with the error when it cannot be inspected.
public enum FileKind: Sendable, Equatable {
    case regular(size: Int)
    case directory
    case other

    public init(path: String) throws(SystemCallError) {
        var info = stat()
        try syscall("stat") { stat(path, &info) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .regular(size: Int(info.st_size))
        case S_IFDIR: self = .directory
        default: self = .other
        }
    }
}

/// Whether `path` itself is a symbolic link (not followed).
public func isSymbolicLink(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
}
