import Frames

/// Passes frames through, writing each to the current recording first: the one place fercam records,
/// headless (`--record`) and in the window (where the r key switches recordings on and off).
public struct RecordingSource: FrameSource {
    var base: any FrameSource
    private var recorder: Recorder?
    /// The last frame recorded: frames met again after stepping back are not recorded twice.
    private var lastRecorded = -1
    /// Asked before each frame: the file to record it to, or nil for none. A new path starts a new file.
    private let target: () -> String?
    /// With a handler, a failed write (a full disk) ends that recording and the frames go on; without, it
    /// ends the run. The file keeps the whole frames before the failure either way.
    private let onFailure: ((FrameFormatError) -> Void)?

    public init(
        _ base: any FrameSource, target: @escaping () -> String?, onFailure: ((FrameFormatError) -> Void)? = nil
    ) {
        self.base = base
        self.target = target
        self.onFailure = onFailure
    }

    /// Records every frame to `path`.
    public init(_ base: any FrameSource, path: String) {
        self.init(base, target: { path })
    }

    public var frameRate: Double? { base.frameRate }
    public var isVideo: Bool { base.isVideo }
    public var recording: String? { recorder?.path }

    public mutating func next() throws -> SourceFrame? {
        guard let frame = try base.next() else { return nil }
        let wanted = target()
        if wanted != recorder?.path { recorder = wanted.map { Recorder(path: $0, frameRate: base.frameRate) } }
        if frame.index <= lastRecorded && base.isVideo { return frame }
        do {
            try recorder?.write(frame.frame)
            if recorder != nil { lastRecorded = frame.index }
        } catch {
            guard let onFailure else { throw error }
            recorder = nil
            onFailure(error)
        }
        return frame
    }
}
