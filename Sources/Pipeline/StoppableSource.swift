/// Passes frames through and ends the stream once a stop was requested.
public struct StoppableSource: FrameSource {
    var base: any FrameSource
    let stop: StopSignal

    public init(_ base: any FrameSource, stop: StopSignal) {
        self.base = base
        self.stop = stop
    }

    public var frameRate: Double? { base.frameRate }
    public var isVideo: Bool { base.isVideo }

    public mutating func next() throws -> SourceFrame? {
        stop.received == nil ? try base.next() : nil
    }
}
