/// A frame already read (to size a window, say), then the rest of the source.
public struct PrependedSource: FrameSource {
    var first: SourceFrame?
    var rest: any FrameSource

    public init(first: SourceFrame, rest: any FrameSource) {
        self.first = first
        self.rest = rest
    }

    public var frameRate: Double? { rest.frameRate }
    public var isVideo: Bool { rest.isVideo }

    public mutating func next() throws -> SourceFrame? {
        if let frame = first {
            first = nil
            return frame
        }
        return try rest.next()
    }
}
