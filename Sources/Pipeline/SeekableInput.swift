/// A source that can be moved to another frame: the window's stepping keys (`.` `,` `[` `]`) go through it.
public protocol Repositionable {
    /// Moves so that the next frame returned is frame `index` of the input (0 at its start). False when this
    /// source cannot go there (stdin, a live stream).
    mutating func seek(toFrame index: Int) throws -> Bool
}

/// A replayed file that is reopened at the frame asked for: ffmpeg seeks to its time, a Y4M file is read up to
/// it (reading skips frames at disk speed). Frame numbers and times stay the file's.
public struct SeekableInput: FrameSource, Repositionable {
    private let reopen: (Int) throws -> any FrameSource
    private var current: any FrameSource

    public init(_ first: any FrameSource, reopen: @escaping (Int) throws -> any FrameSource) {
        current = first
        self.reopen = reopen
    }

    public var frameRate: Double? { current.frameRate }
    public var isVideo: Bool { current.isVideo }

    public mutating func next() throws -> SourceFrame? { try current.next() }

    public mutating func seek(toFrame index: Int) throws -> Bool {
        current = try reopen(max(0, index))
        return true
    }
}

/// Seeks the source a wrapper holds, when it can be repositioned; false otherwise.
func seekWrapped(_ wrapped: inout any FrameSource, toFrame index: Int) throws -> Bool {
    guard var movable = wrapped as? any Repositionable & FrameSource, try movable.seek(toFrame: index) else {
        return false
    }
    wrapped = movable
    return true
}

extension PrependedSource: Repositionable {
    public mutating func seek(toFrame index: Int) throws -> Bool {
        guard try seekWrapped(&rest, toFrame: index) else { return false }
        first = nil  // the frame read ahead is from before the seek
        return true
    }
}

extension RecordingSource: Repositionable {
    public mutating func seek(toFrame index: Int) throws -> Bool { try seekWrapped(&base, toFrame: index) }
}
