import Frames

/// One frame as it enters the pipeline.
public struct SourceFrame: Sendable {
    public var index: Int
    /// Presentation time in seconds (frame index over frame rate; 0 for still images).
    public var pts: Double
    /// The stream's name, or the image's path for still images.
    public var source: String
    public var frame: YUVFrame

    public init(index: Int, pts: Double, source: String, frame: YUVFrame) {
        self.index = index
        self.pts = pts
        self.source = source
        self.frame = frame
    }
}

/// Anything that yields frames in order: files, pipes, cameras.
public protocol FrameSource {
    /// Frames per second the source runs at, when it has one.
    var frameRate: Double? { get }
    /// The next frame, nil at the end; throws on a fault, after every good frame before it was returned.
    mutating func next() throws -> SourceFrame?
}
