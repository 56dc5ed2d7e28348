import Glibc

/// A file as the kernel knows it (device and inode): two paths name the same file, through symbolic or hard
/// links, exactly when their identities are equal.
public struct FileIdentity: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The file at `path`, following links; nil when there is none (a new output cannot be an existing input).
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// The file behind an open descriptor (stdin redirected from a file).
    public init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino))
    }
}
