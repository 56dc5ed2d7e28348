import FaceDetection
import Frames
#if canImport(Glibc)
import Glibc
#endif

/// What the pipeline found in one frame.
public struct FrameAnalysis: Sendable {
    public var index: Int
    public var pts: Double
    public var source: String
    public var width: Int
    public var height: Int
    public var faces: [Rect]
    /// Stage timings in milliseconds, in the order they ran.
    public var milliseconds: [(stage: String, value: Double)]
}

/// Detects faces in frames. Holds no mutable state, so one analyser may serve several threads.
public struct FrameAnalyser: Sendable {
    public let detector: HaarDetector
    public let parameters: DetectionParameters
    public let threads: Int

    public init(detector: HaarDetector, parameters: DetectionParameters, threads: Int = 1) {
        self.detector = detector
        self.parameters = parameters
        self.threads = threads
    }

    public func analyse(_ input: SourceFrame) -> FrameAnalysis {
        let start = monotonicSeconds()
        let gray = input.frame.luma
        let faces = detector.detect(in: gray, parameters: parameters, threads: threads)
            .sorted { ($0.y, $0.x, $0.width) < ($1.y, $1.x, $1.width) }
        let detected = monotonicSeconds()
        return FrameAnalysis(index: input.index, pts: input.pts, source: input.source, width: gray.width, height: gray.height,
                             faces: faces, milliseconds: [("detect", (detected - start) * 1000), ("total", (monotonicSeconds() - start) * 1000)])
    }
}

public func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
