/// Which part of a long video to analyse: from `start` (seconds) to `end`, every `every`th frame.
public struct VideoPart: Sendable, Equatable {
    public var start: Double
    /// Exclusive; nil for the end of the input.
    public var end: Double?
    public var every: Int

    public init(start: Double = 0, end: Double? = nil, every: Int = 1) {
        self.start = start
        self.end = end
        self.every = every
    }

    public var isWhole: Bool { start == 0 && end == nil && every == 1 }
}

/// Frames of `base` inside a `VideoPart`: those before `start` are read and dropped (ffmpeg is opened at
/// `start` instead, so there are none to drop), reading stops at `end`, and
/// only every `every`th frame from the part's first is handed on. Frame numbers and times stay the
/// source's, so that tracking and smoothing see the real gaps between the frames they get.
public struct PartSource: FrameSource {
    var base: any FrameSource
    let part: VideoPart
    var kept = 0

    public init(_ base: any FrameSource, part: VideoPart) {
        self.base = base
        self.part = part
    }

    public var frameRate: Double? { base.frameRate }
    public var isVideo: Bool { base.isVideo }

    public mutating func next() throws -> SourceFrame? {
        // Half a frame of slack, so that a start of exactly a frame's time keeps that frame.
        let slack = 0.5 / (base.frameRate ?? 1)
        while let frame = try base.next() {
            if frame.pts + slack < part.start { continue }
            if let end = part.end, frame.pts + slack >= end { return nil }
            defer { kept += 1 }
            if kept % part.every == 0 { return frame }
        }
        return nil
    }
}
