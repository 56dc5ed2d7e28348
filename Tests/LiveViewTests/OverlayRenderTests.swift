import ExpressionModel
import FaceDetection
import Foundation
import Frames
import ImageFiles
import LiveView
import Pipeline
import SDLKit
import XCTest

/// Renders offscreen (SDL_VIDEODRIVER=offscreen) and checks that the box, the label,
/// the bars and the heat map land where the face is.
final class OverlayRenderTests: XCTestCase {
    static let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    let frameSize = (width: 640, height: 480)
    let box = Rect(x: 200, y: 150, width: 120, height: 120)
    let gray: UInt8 = 128

    override func setUpWithError() throws {
        setenv("SDL_VIDEODRIVER", "offscreen", 1)
        guard FileManager.default.fileExists(atPath: Font.regularPath) else {
            throw XCTSkip("install fonts-dejavu-core")
        }
    }

    /// A face labelled happy, with attention hot in the top-left cell and cold elsewhere; or, with `outline`, a
    /// spatial transformer's view: that sampled area and a black resampled face.
    func analysis(outline: [SIMD2<Float>]? = nil) -> FrameAnalysis {
        var attention = [Float](repeating: 0.1, count: 36)
        attention[0] = 0.9
        let scores: [Float] = [0.05, 0.0, 0.05, 0.7, 0.1, 0.05, 0.05]
        let output = NetworkOutput(
            logits: scores, probabilities: scores,
            attention: AttentionMap(width: 6, height: 6, values: attention), samplingOutline: outline,
            resampledFace: outline == nil ? nil : GrayImage(width: 48, height: 48, fill: 0))
        let face = DetectedFace(
            box: box, expression: Expression(label: "happy", score: 0.7, scores: scores, output: output))
        return FrameAnalysis(
            index: 0, pts: 0, source: "test", width: frameSize.width, height: frameSize.height, faces: [face],
            classNames: Self.classes, milliseconds: [("detect", 1), ("total", 2)])
    }

    func render(_ options: OverlayOptions, outline: [SIMD2<Float>]? = nil) throws -> RGBImage {
        let display = try Display()
        XCTAssertEqual(display.driver, "offscreen")
        let window = try Window(
            display: display, title: "test", width: frameSize.width, height: frameSize.height, hidden: true)
        let renderer = try OverlayRenderer(target: window, cropping: FaceCropping(margin: 0.1))
        let frame = YUVFrame(gray: GrayImage(width: frameSize.width, height: frameSize.height, fill: gray))
        try renderer.draw(
            frame: frame, analysis: analysis(outline: outline), options: options,
            hud: HeadsUp(source: "test", framesPerSecond: 30, milliseconds: [("detect", 1)]))
        let image = try window.readPixels()
        XCTAssertEqual(image.width, frameSize.width)
        return image
    }

    func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int) {
        let i = (y * image.width + x) * 3
        return (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
    }

    func assertGray(_ p: (r: Int, g: Int, b: Int), _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue([p.r, p.g, p.b].allSatisfy { abs($0 - Int(gray)) <= 3 }, "\(what): \(p)", file: file, line: line)
    }

    func testBoxLabelBarsAndHeatMapAreOnTheFace() throws {
        let image = try render(OverlayOptions(attention: true, bars: true))
        let happy = OverlayRenderer.color(for: "happy")
        // The box: the tinted line just inside the detector rectangle, on all four sides.
        for (x, y) in [
            (box.x + 2, box.y + 60), (box.x + box.width - 3, box.y + 60), (box.x + 60, box.y + box.height - 3),
        ] {
            let p = pixel(image, x, y)
            XCTAssertEqual([p.r, p.g, p.b], [Int(happy.r), Int(happy.g), Int(happy.b)], "box edge at \(x),\(y)")
        }
        // The label sits above the box: a tinted tag with dark text inside it.
        let tag = (box.y - 22)..<(box.y - 2)
        let tagPixels = tag.flatMap { y in (box.x..<(box.x + 60)).map { pixel(image, $0, y) } }
        XCTAssertGreaterThan(
            tagPixels.filter { $0.r == Int(happy.r) && $0.g == Int(happy.g) }.count, 200, "label background")
        XCTAssertGreaterThan(tagPixels.filter { $0.r < 60 && $0.g < 60 && $0.b < 60 }.count, 20, "label text")
        // Heat map over the model's crop (box widened by 10% a side, 6x6 cells of 24 px from 188,138):
        // the hot top-left cell is red, a cold cell is blue-tinted gray.
        let hot = pixel(image, 194, 144)
        XCTAssertGreaterThan(hot.r, hot.b + 40, "hot corner \(hot)")
        let cold = pixel(image, 260, 230)
        XCTAssertGreaterThan(cold.b, cold.r + 15, "cold middle \(cold)")
        // Bars: right of the box; the happy bar (70%) is drawn in its color.
        let barRow = (box.y...(box.y + 140)).first { y in
            ((box.x + box.width + 8)..<frameSize.width).contains { x in
                let p = pixel(image, x, y); return p.r == Int(happy.r) && p.g == Int(happy.g) && p.b == Int(happy.b)
            }
        }
        XCTAssertNotNil(barRow, "a happy-colored bar right of the face")
        // Outside faces and panels the video is untouched (YUV to RGB may move gray by a level or two).
        assertGray(pixel(image, 600, 450), "background")
    }

    /// deep-emotion's view: the sampled area's outline in white over the crop (box widened by 10%: 144 px from
    /// 188,138), the resampled face in the box's bottom-right corner, and no heat map.
    func testSpatialTransformerViewShowsItsAreaAndWhatItSaw() throws {
        let inner: [SIMD2<Float>] = [.init(0.25, 0.25), .init(0.75, 0.25), .init(0.75, 0.75), .init(0.25, 0.75)]
        let image = try render(OverlayOptions(attention: true, bars: false), outline: inner)
        let white = pixel(image, 188 + 72, 138 + 36)  // the top edge, at y = 138 + 0.25 * 144
        XCTAssertTrue([white.r, white.g, white.b].allSatisfy { $0 > 240 }, "outline top edge \(white)")
        assertGray(pixel(image, 188 + 72, 138 + 20), "no heat map above the outline")
        let inset = pixel(image, box.x + box.width - 10, box.y + box.height - 10)
        XCTAssertTrue([inset.r, inset.g, inset.b].allSatisfy { $0 < 15 }, "the resampled face (black) \(inset)")
        assertGray(pixel(image, box.x + 20, box.y + 20), "the crop's corner is outside the outline and the inset")
    }

    func testTogglesRemoveHeatMapAndBars() throws {
        let image = try render(OverlayOptions(attention: false, bars: false))
        assertGray(pixel(image, 260, 230), "no heat map")
        assertGray(pixel(image, box.x + box.width + 40, box.y + 30), "no bars")
    }
}

/// The whole live session offscreen: replays a stream, records it, stops at a frame limit.
final class LiveSessionTests: XCTestCase {
    func testReplayWithRecordingWritesEveryFrameAsValidY4M() throws {
        setenv("SDL_VIDEODRIVER", "offscreen", 1)
        guard FileManager.default.fileExists(atPath: HaarCascade.defaultPath) else {
            throw XCTSkip("install opencv-data")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.y4m").path
        let writer = try Y4MWriter(path: input, header: Y4MHeader(width: 160, height: 120, frameRate: Ratio(30, 1)))
        for i in 0..<5 { try writer.write(YUVFrame(gray: GrayImage(width: 160, height: 120, fill: UInt8(40 * i)))) }
        let recording = dir.appendingPathComponent("rec.y4m").path

        let display = try Display()
        let analyser = FrameAnalyser(detector: try HaarDetector(), parameters: .live)
        let session = try LiveSession(
            display: display, analyser: analyser, sourceName: "in.y4m", isLive: false, size: (160, 120),
            options: LiveOptions(paced: false, recordPath: recording, exitAtEnd: true))
        try session.run(source: try Y4MSource(path: input))

        let reader = try Y4MReader(path: recording)
        var lumas: [UInt8] = []
        while let frame = try reader.next() { lumas.append(frame.luma.pixels[0]) }
        XCTAssertEqual(lumas, [0, 40, 80, 120, 160], "every delivered frame recorded, in order")
    }
}

/// A real replay: photographs through the detector and the model, rendered offscreen.
final class ReplayRenderTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized
    static let faces = root.appendingPathComponent("../shared/data/faces/caltech1999").standardized.path

    func testOverlayLandsOnTheDetectedFaces() throws {
        setenv("SDL_VIDEODRIVER", "offscreen", 1)
        guard FileManager.default.fileExists(atPath: Self.faces) else {
            throw XCTSkip("\(Self.faces) is absent: needs ../shared/data/faces")
        }
        guard FileManager.default.fileExists(atPath: Font.regularPath) else {
            throw XCTSkip("install fonts-dejavu-core")
        }
        let classifier = try ExpressionClassifier(
            path: Self.root.appendingPathComponent("assets/fercam-resnet-cbam.safetensors").path)
        let analyser = FrameAnalyser(detector: try HaarDetector(), parameters: .live, classifier: classifier)
        let display = try Display()
        for number in [1, 5, 9] {
            // The photograph (448x296) on a 640x480 gray canvas, as a 4:2:0 frame, like a replayed recording.
            let photo = try ImageFile.loadGray(Self.faces + String(format: "/image_%04d.jpg", number))
            var canvas = GrayImage(width: 640, height: 480, fill: 100)
            for y in 0..<photo.height { for x in 0..<photo.width { canvas[x + 96, y + 92] = photo[x, y] } }
            let frame = SourceFrame(index: 0, pts: 0, source: "test", frame: YUVFrame(gray: canvas))
            let analysis = try analyser.analyse(frame)
            let face = try XCTUnwrap(analysis.faces.max { $0.box.area < $1.box.area }, "image \(number): no face")
            let expression = try XCTUnwrap(face.expression)
            let window = try Window(display: display, title: "test", width: 640, height: 480, hidden: true)
            let renderer = try OverlayRenderer(target: window, cropping: classifier.cropping)
            func render(_ options: OverlayOptions, outline: [SIMD2<Float>]? = nil) throws -> RGBImage {
                try renderer.draw(
                    frame: frame.frame, analysis: analysis, options: options, hud: HeadsUp(source: "test"))
                return try window.readPixels()
            }
            let shown = try render(OverlayOptions(attention: true, bars: false))
            let plain = try render(OverlayOptions(attention: false, bars: false))
            func rgb(_ image: RGBImage, _ x: Int, _ y: Int) -> [Int] {
                (0..<3).map { Int(image.pixels[(y * image.width + x) * 3 + $0]) }
            }
            let tint = OverlayRenderer.color(for: expression.label)
            let b = face.box
            // The box edge in the label's color, on the detected face.
            XCTAssertEqual(
                rgb(shown, b.x + 2, b.y + b.height / 2), [Int(tint.r), Int(tint.g), Int(tint.b)], "image \(number) box")
            // The label tag above (or inside the top of) the box carries the label's color.
            let tagY = b.y >= 24 ? b.y - 10 : b.y + 10
            XCTAssertEqual(
                rgb(shown, b.x + 3, tagY), [Int(tint.r), Int(tint.g), Int(tint.b)], "image \(number) label tag")
            // The heat map changes pixels inside the face and nowhere far from it.
            let inside = (b.y + b.height / 4..<b.y + 3 * b.height / 4).filter { y in
                rgb(shown, b.x + b.width / 2, y) != rgb(plain, b.x + b.width / 2, y)
            }
            XCTAssertGreaterThan(inside.count, b.height / 3, "image \(number) heat map over the face")
            XCTAssertEqual(rgb(shown, 630, 470), rgb(plain, 630, 470), "image \(number) corner untouched")
        }
    }
}
