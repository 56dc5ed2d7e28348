import ExpressionModel
import Foundation
import Frames
import ImageFiles
import Pipeline
import Posix
import SDLKit

/// How a live session runs.
public struct LiveOptions: Sendable {
    /// Pace files at their frame rate (cameras pace themselves); false plays as fast as possible.
    public var paced = true
    /// Start recording to this Y4M file at once; the r key records to it (or to a new name) too.
    public var recordPath: String?
    public var overlay = OverlayOptions()
    public var title = "fercam"
    /// Stop after this many displayed frames (for tests and screenshots); nil runs until quit.
    public var frameLimit: Int?
    /// Close when the input ends instead of showing its last frame until quit.
    public var exitAtEnd = false
    /// Tracks and smoothing, applied when the source is video (still images are not tracked).
    public var tracking: FaceTracking?

    public init(
        paced: Bool = true, recordPath: String? = nil, overlay: OverlayOptions = OverlayOptions(),
        title: String = "fercam",
        frameLimit: Int? = nil, exitAtEnd: Bool = false, tracking: FaceTracking? = nil
    ) {
        self.tracking = tracking
        self.exitAtEnd = exitAtEnd
        self.paced = paced
        self.recordPath = recordPath
        self.overlay = overlay
        self.title = title
        self.frameLimit = frameLimit
    }
}

/// A source and an analyser handed to the session's threads. The source moves to the
/// capture thread, and the analyser to the analysis thread; neither is touched elsewhere.
struct Transfer<T>: @unchecked Sendable { var value: T }

/// The live window: capture, analysis and rendering on three threads joined by
/// newest-wins slots, so a slow stage drops frames instead of adding latency.
/// The frame on screen is always drawn together with its own analysis.
public final class LiveSession {
    let display: Display
    let window: Window
    let renderer: OverlayRenderer
    let analyser: FrameAnalyser
    let sourceName: String
    let isLive: Bool
    var options: LiveOptions
    private let state = SessionState()
    private let captured = LatestSlot<SourceFrame>()
    private let analysed = LatestSlot<(SourceFrame, FrameAnalysis)>()

    public init(
        display: Display, analyser: FrameAnalyser, sourceName: String, isLive: Bool, size: (width: Int, height: Int),
        options: LiveOptions
    ) throws {
        self.display = display
        self.analyser = analyser
        self.sourceName = sourceName
        self.isLive = isLive
        self.options = options
        window = try Window(display: display, title: options.title, width: size.width, height: size.height)
        renderer = try OverlayRenderer(target: window, cropping: analyser.classifier?.cropping ?? FaceCropping())
        state.recordingWanted = options.recordPath != nil
    }

    /// Runs until the user quits, the frame limit is reached, or capture fails (thrown after cleanup).
    public func run(source: any FrameSource) throws {
        let captureDone = DispatchSemaphore(value: 0)
        let analysisDone = DispatchSemaphore(value: 0)
        let sourceBox = Transfer(value: source)
        let analyserBox = Transfer(value: analyser)
        let capture = Thread { [state, captured, options, isLive] in
            Self.captureLoop(sourceBox.value, state: state, output: captured, options: options, isLive: isLive)
            captured.close()
            captureDone.signal()
        }
        capture.name = "fercam-capture"
        // As in headless runs, only video is tracked.
        let initialTracking = source.isVideo ? options.tracking : nil
        let analysis = Thread { [state, captured, analysed] in
            // Tracking runs on the analysis thread, in frame order, on the frames analysed (dropped ones are
            // gaps the smoothing weighs by their time stamps).
            var tracking = initialTracking
            var last: (index: Int, pts: Double)?
            while let frame = captured.take() {
                // Stepping back or jumping starts every track afresh: smoothing runs forwards in time.
                if let last, frame.index < last.index || frame.pts - last.pts > 2 { tracking = initialTracking }
                last = (frame.index, frame.pts)
                do {
                    var result = try analyserBox.value.analyse(frame)
                    tracking?.apply(to: &result)
                    analysed.put((frame, result))
                } catch {
                    state.failure = error
                    state.requestStop()
                    break
                }
            }
            analysed.close()
            state.analysisFinished = true
            analysisDone.signal()
        }
        analysis.name = "fercam-analysis"
        capture.start()
        analysis.start()
        defer {
            state.requestStop()
            captured.close()
            // A camera wakes within its timeout; a blocked stdin read may not, and the process may exit under it.
            _ = captureDone.wait(timeout: .now() + 6)
            _ = analysisDone.wait(timeout: .now() + 2)
        }
        try renderLoop()
        if let failure = state.failure { throw failure }
    }

    private func renderLoop() throws {
        var current: (SourceFrame, FrameAnalysis)?
        var shown = 0
        var rateWindow: [Double] = []
        var dirty = true
        while true {
            for event in display.pollEvents() {
                dirty = true
                let action: KeyAction?
                switch event {
                case .quit: action = .quit
                case .key(let key): action = KeyBinding.action(for: key)
                case let .click(x, y):
                    action = nil
                    select(at: (x, y), in: current?.1)
                default: action = nil
                }
                switch action {
                case .quit: return
                case .pause: state.togglePaused()
                case .attention: options.overlay.attention.toggle()
                case .bars: options.overlay.bars.toggle()
                case .keypoints: options.overlay.keypoints.toggle()
                case .help: options.overlay.help.toggle()
                case .fullscreen: window.toggleFullscreen()
                case .record: state.toggleRecording()
                case .snapshot: try snapshot(current)
                case .nextFace: selectNext(in: current?.1)
                case .step(let step):
                    // A stepping key pauses a playing replay first; a camera does not step.
                    if !isLive {
                        state.paused = true
                        state.requestStep(step)
                    }
                case nil: break
                }
            }
            if state.failure != nil { return }
            if let next = analysed.poll() {
                current = next
                smooth(next.1.milliseconds)
                shown += 1
                dirty = true
                let now = monotonicSeconds()
                rateWindow.append(now)
                rateWindow.removeAll { now - $0 > 2 }
            }
            if dirty, let (frame, analysis) = current {
                try draw(
                    frame, analysis,
                    rate: rateWindow.count > 1
                        ? Double(rateWindow.count - 1) / (rateWindow.last! - rateWindow.first!) : 0)
                window.present()
                dirty = false
                if let limit = options.frameLimit, shown >= limit { return }
            }
            if options.exitAtEnd && state.analysisFinished && !dirty {
                // Show whatever the analysis published last, then leave.
                if let last = analysed.poll() { current = last; dirty = true; continue }
                return
            }
            display.waitForEvents(milliseconds: 4)
        }
    }

    /// Tab: the next track by id after the selected face's (wrapping round).
    func selectNext(in analysis: FrameAnalysis?) {
        guard let faces = analysis?.faces else { return }
        if let id = OverlayRenderer.nextTrack(in: faces, after: options.overlay.selectedTrack) {
            options.overlay.selectedTrack = id
        }
    }

    /// A click on a face selects its track.
    func select(at point: (x: Int, y: Int), in analysis: FrameAnalysis?) {
        if let id = OverlayRenderer.track(at: point, in: analysis?.faces ?? []) { options.overlay.selectedTrack = id }
    }

    /// Stage times smoothed over recent frames, so that the HUD is readable.
    private var smoothed: [(stage: String, value: Double)] = []

    func smooth(_ latest: [(stage: String, value: Double)]) {
        guard smoothed.map(\.stage) == latest.map(\.stage) else {
            smoothed = latest
            return
        }
        smoothed = zip(smoothed, latest).map { ($0.stage, 0.9 * $0.value + 0.1 * $1.value) }
    }

    func hud(rate: Double) -> HeadsUp {
        var status: String?
        if state.paused {
            let at = state.position.map {
                " at frame \($0.index), \(JSONLines.number($0.pts, decimals: 2)) s"
            } ?? ""
            status = "paused\(at) (space resumes; . , step; [ ] 5 s)"
        }
        if state.finished { status = "end of stream (q to quit)" }
        if let notice = state.notice { status = notice }
        return HeadsUp(
            source: sourceName, framesPerSecond: rate, milliseconds: smoothed,
            dropped: captured.dropped + analysed.dropped, recording: state.recording, status: status,
            model: hudModel)
    }

    /// "resnet-cbam fp32", and the detector when it is not Haar ("resnet-cbam fp32  blazeface").
    private var hudModel: String? {
        let parts = [
            analyser.classifier.map { "\($0.description.architecture) \($0.precisionChoice.precision.rawValue)" },
            analyser.finder.name == "haar" ? nil : analyser.finder.name,
        ].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "  ")
    }

    private func draw(_ frame: SourceFrame, _ analysis: FrameAnalysis, rate: Double) throws {
        try renderer.draw(frame: frame.frame, analysis: analysis, options: options.overlay, hud: hud(rate: rate))
    }

    /// Saves exactly what the window shows (overlay included) as a PNG in the working directory.
    private func snapshot(_ current: (SourceFrame, FrameAnalysis)?) throws {
        guard let (frame, analysis) = current else { return }
        try draw(frame, analysis, rate: 0)
        let image = try window.readPixels()
        let path = uniquePath("fercam-snapshot", extension: "png")
        do { try ImageFile.writePNG(image, path: path); state.notice = "saved \(path)" } catch {
            state.notice = "snapshot failed: \(error)"
        }
    }

    /// The capture thread: read, record, pace, publish. Every exit path drops the source (closing a camera).
    static func captureLoop(
        _ initial: any FrameSource, state: SessionState, output: LatestSlot<SourceFrame>, options: LiveOptions,
        isLive: Bool
    ) {
        // --record names the first recording; later ones (r pressed again) get fresh names.
        var unusedGivenPath = options.recordPath
        var source = RecordingSource(initial) {
            guard state.recordingWanted else {
                state.recording = nil
                return nil
            }
            if let current = state.recording { return current }
            let path = unusedGivenPath ?? uniquePath("fercam-recording", extension: "y4m")
            unusedGivenPath = nil
            state.recording = path
            return path
        } onFailure: { error in
            // The session goes on; the recording stops (its whole frames kept) and the window says why.
            state.recordingWanted = false
            state.recording = nil
            state.notice = "recording stopped: \(error)"
        }
        var clock: (wall: Double, pts: Double)?
        let interval = 1 / (source.frameRate ?? 1)
        do {
            while !state.stopRequested {
                if state.paused && !isLive {
                    clock = nil
                    guard let step = state.takeStep() else {
                        usleep(10_000)
                        continue
                    }
                    let move = step.frames(at: source.frameRate ?? 1)
                    // One frame on is simply the next frame; anything else reopens the input there.
                    if move != 1, let at = state.position {
                        guard try source.seek(toFrame: max(0, at.index + move)) else {
                            state.notice = "this input cannot step back or jump (stdin or a stream)"
                            continue
                        }
                    }
                    guard let frame = try source.next() else { continue }  // past the end: stay on the last
                    state.position = (frame.index, frame.pts)
                    output.put(frame)
                    continue
                }
                guard let frame = try source.next() else { break }
                state.position = (frame.index, frame.pts)
                if options.paced && !isLive {
                    // Still images carry no time stamps: show one per second.
                    let pts = source.frameRate == nil ? Double(frame.index) * interval : frame.pts
                    if let c = clock {
                        let wait = c.wall + (pts - c.pts) - monotonicSeconds()
                        if wait > 0 { usleep(UInt32(min(wait, 5) * 1_000_000)) }
                    } else {
                        clock = (monotonicSeconds(), pts)
                    }
                }
                if state.paused { continue }  // a camera keeps streaming while paused; its frames are dropped
                output.put(frame)
            }
        } catch {
            state.failure = error
            state.requestStop()
        }
        state.finished = true
    }
}

/// `base-1.ext`, `base-2.ext`, ...: the first name not taken in the working directory.
func uniquePath(_ base: String, extension ext: String) -> String {
    var n = 1
    while FileManager.default.fileExists(atPath: "\(base)-\(n).\(ext)") { n += 1 }
    return "\(base)-\(n).\(ext)"
}
