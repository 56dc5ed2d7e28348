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
    /// True for video (files, pipes, cameras): frames are moments of one scene, so faces are tracked across
    /// them. False for still images, each its own scene.
    var isVideo: Bool { get }
    /// The next frame, nil at the end; throws on a fault, after every good frame before it was returned.
    mutating func next() throws -> SourceFrame?
}

extension FrameSource {
    /// A source with a frame rate is video; a camera that reports none says so itself.
    public var isVideo: Bool { frameRate != nil }
}
