/// What the pipeline found in one frame.
public struct FrameAnalysis: Sendable {
    public var index: Int
    public var pts: Double
    public var source: String
    public var width: Int
    public var height: Int
    public var faces: [DetectedFace]
    /// Class names of the expression model, in score order (empty without a model).
    public var classNames: [String]
    /// Stage timings in milliseconds, in the order they ran.
    public var milliseconds: [(stage: String, value: Double)]

    public init(
        index: Int, pts: Double, source: String, width: Int, height: Int, faces: [DetectedFace], classNames: [String],
        milliseconds: [(stage: String, value: Double)]
    ) {
        self.index = index
        self.pts = pts
        self.source = source
        self.width = width
        self.height = height
        self.faces = faces
        self.classNames = classNames
        self.milliseconds = milliseconds
    }
}
