import ExpressionModel
import Frames
import Pipeline
import SDLKit

/// `--render`: every frame drawn as the window shows it (boxes, labels, bars, attention, the corner
/// lines), offscreen, and written to a video file. Frames are never dropped, whatever the machine's
/// speed; the corner shows the stream's time and frame number instead of the machine's timings.
///
/// Threading rule: the thread that created it, only (it draws with SDL).
public final class AnnotatedVideo {
    public let path: String
    private let canvas: Canvas
    private let overlay: OverlayRenderer
    private let output: VideoWriter
    private let options: OverlayOptions
    private let sourceName: String
    private let frameRate: Double

    /// A video of `width` x `height` (the first frame's size; frames of other sizes are letterboxed) at
    /// `frameRate` frames per second (still images: one a second).
    public init(
        path: String, width: Int, height: Int, frameRate: Double?, sourceName: String, cropping: FaceCropping,
        options: OverlayOptions = OverlayOptions(), audio: AudioTrack? = nil
    ) throws {
        self.path = path
        self.options = options
        self.sourceName = sourceName
        self.frameRate = frameRate ?? 1
        // 4:2:0 video needs even sides; the canvas adds a column or row of black when the frame has odd ones.
        canvas = try Canvas(width: width + width % 2, height: height + height % 2)
        overlay = try OverlayRenderer(target: canvas, cropping: cropping)
        let header = Y4MHeader(
            for: YUVFrame(gray: GrayImage(width: canvas.width, height: canvas.height)),
            framesPerSecond: self.frameRate)
        output = try VideoWriter(path: path, header: header, audio: audio)
    }

    public var framesWritten: Int { output.framesWritten }

    /// Draws `frame` with its analysis and appends it to the video.
    public func write(_ frame: SourceFrame, _ analysis: FrameAnalysis?) throws {
        let time = JSONLines.number(frame.pts, decimals: 2)
        let hud = HeadsUp(
            source: sourceName, framesPerSecond: frameRate, status: "\(time) s  frame \(frame.index)",
            showsKeys: false)
        try overlay.draw(frame: frame.frame, analysis: analysis, options: options, hud: hud)
        try output.write(YUVFrame(rgb: try canvas.readPixels()))
    }

    /// Ends the file (waits for the encoder to write everything).
    public func finish() throws {
        try output.finish()
    }
}
