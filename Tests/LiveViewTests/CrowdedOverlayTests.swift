import ExpressionModel
import FaceDetection
import Foundation
import Frames
import ImageFiles
import LiveView
import Pipeline
import SDLKit
import Tracking
import XCTest

/// A crowded frame rendered offscreen: labels, the panel and the HUD never cover a face or each other.
final class CrowdedOverlayTests: XCTestCase {
    static let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]

    override func setUpWithError() throws {
        setenv("SDL_VIDEODRIVER", "offscreen", 1)
        guard FileManager.default.fileExists(atPath: Font.regularPath) else {
            throw XCTSkip("install fonts-dejavu-core")
        }
    }

    func face(_ box: Rect, id: Int, label: Int, uncertain: Bool = false) -> DetectedFace {
        var scores = [Float](repeating: 0.05, count: 7)
        scores[label] = 0.7
        let output = NetworkOutput(
            logits: scores, probabilities: scores,
            attention: AttentionMap(width: 6, height: 6, values: Array(repeating: 0.5, count: 36)))
        let smoothed = SmoothedExpression(label: label, scores: scores, uncertain: uncertain)
        return DetectedFace(
            box: box, expression: Expression(label: Self.classes[label], score: 0.7, scores: scores, output: output),
            track: TrackedFace(id: id, age: 10, seconds: 0.4, smoothed: [smoothed]))
    }

    /// Fourteen faces of 50-110 pixels packed into a 960x540 frame, two rows touching the HUD's corner.
    func crowd() -> FrameAnalysis {
        var faces: [DetectedFace] = []
        var id = 1
        for row in 0..<2 {
            for column in 0..<7 {
                let side = 50 + ((row * 7 + column) * 37) % 60
                let box = Rect(
                    x: 40 + column * 130 + (row * 31) % 40, y: 120 + row * 190 + (column % 3) * 20, width: side,
                    height: side)
                faces.append(face(box, id: id, label: (row * 7 + column) % 7, uncertain: column == 3))
                id += 1
            }
        }
        return FrameAnalysis(
            index: 0, pts: 0, source: "crowd", width: 960, height: 540, faces: faces, classNames: Self.classes,
            milliseconds: [("detect", 5), ("classify", 2), ("total", 7)])
    }

    func render(_ analysis: FrameAnalysis, options: OverlayOptions = OverlayOptions()) throws -> (OverlayPlan, RGBImage)
    {
        let display = try Display()
        let window = try Window(
            display: display, title: "test", width: analysis.width, height: analysis.height, hidden: true)
        let renderer = try OverlayRenderer(target: window, cropping: FaceCropping())
        let frame = YUVFrame(gray: GrayImage(width: analysis.width, height: analysis.height, fill: 90))
        let plan = try renderer.draw(
            frame: frame, analysis: analysis, options: options,
            hud: HeadsUp(source: "crowd.y4m", framesPerSecond: 25, milliseconds: [("detect", 5), ("total", 7)]))
        return (plan, try window.readPixels())
    }

    func assertNothingOverlaps(_ plan: OverlayPlan, file: StaticString = #filePath, line: UInt = #line) {
        let placed =
            [("HUD", plan.hud)]
            + plan.faces.enumerated().flatMap { i, f in
                [("face \(i)", f.box), ("label \(i)", f.label), ("panel \(i)", f.panel)].compactMap { name, r in
                    r.map { (name, $0) }
                }
            }
        for a in placed.indices {
            // Detections may overlap each other; what the overlay adds must not.
            for b in placed.indices where a < b && !(placed[a].0.hasPrefix("face") && placed[b].0.hasPrefix("face")) {
                XCTAssertTrue(
                    placed[a].1.intersection(placed[b].1).isEmpty,
                    "\(placed[a].0) \(placed[a].1) overlaps \(placed[b].0) \(placed[b].1)", file: file, line: line)
            }
        }
    }

    func testACrowdedFrameHasNoOverlappingLabelsPanelsOrHUD() throws {
        let (plan, image) = try render(crowd())
        assertNothingOverlaps(plan)
        let selected = try XCTUnwrap(plan.selected)
        XCTAssertEqual(plan.faces[selected].box.area, plan.faces.map(\.box.area).max(), "the largest face by default")
        XCTAssertNotNil(plan.faces[selected].panel, "the selected face has its bars")
        XCTAssertEqual(plan.faces.filter { $0.panel != nil }.count, 1, "one panel only")
        XCTAssertGreaterThanOrEqual(plan.faces.filter { $0.label != nil }.count, 12, "nearly every face is labelled")
        // The selected face's label starts with its id on the track's colour.
        let label = try XCTUnwrap(plan.faces[selected].label)
        let tint = OverlayRenderer.color(forTrack: try XCTUnwrap(plan.faces[selected].trackID))
        let i = ((label.y + 2) * image.width + label.x + 2) * 3
        XCTAssertEqual(Array(image.pixels[i..<i + 3]), [tint.r, tint.g, tint.b])
    }

    func testChoosingAnotherFaceMovesThePanel() throws {
        let analysis = crowd()
        let (plan, _) = try render(analysis, options: OverlayOptions(selectedTrack: 9))
        assertNothingOverlaps(plan)
        let selected = try XCTUnwrap(plan.selected)
        XCTAssertEqual(plan.faces[selected].trackID, 9)
        XCTAssertNotNil(plan.faces[selected].panel)
        // A track that left the frame falls back to the default choice.
        XCTAssertEqual(
            OverlayRenderer.selectedFace(analysis.faces, trackID: 99), OverlayRenderer.selectedFace(analysis.faces, trackID: nil))
    }

    /// A large box that appeared this frame (a false positive) does not take the bars from a face tracked for a
    /// while; a small long-lived face does not take them from a large one.
    func testTheBarsGoToTheLongestTrackedLargeFace() {
        func tracked(_ side: Int, x: Int, age: Int) -> DetectedFace {
            DetectedFace(
                box: Rect(x: x, y: 10, width: side, height: side),
                track: TrackedFace(id: x, age: age, seconds: Double(age) / 30, smoothed: []))
        }
        let faces = [tracked(120, x: 0, age: 90), tracked(600, x: 200, age: 1), tracked(400, x: 900, age: 40)]
        XCTAssertEqual(OverlayRenderer.selectedFace(faces, trackID: nil), 2, "the 600 px newcomer loses to a settled face")
        let small = [tracked(100, x: 0, age: 300), tracked(300, x: 200, age: 5)]
        XCTAssertEqual(OverlayRenderer.selectedFace(small, trackID: nil), 1, "too small to count as a large face")
        let stills = [DetectedFace(box: Rect(x: 0, y: 0, width: 50, height: 50)), DetectedFace(box: Rect(x: 90, y: 0, width: 60, height: 60))]
        XCTAssertEqual(OverlayRenderer.selectedFace(stills, trackID: nil), 1)
    }

    func testTabCyclesTracksAndAClickPicksTheFaceUnderIt() {
        let faces = crowd().faces
        let largest = OverlayRenderer.selectedFace(faces, trackID: nil)!
        let largestID = faces[largest].track!.id
        // From the default (the largest face), Tab goes to the next id, and wraps after the last.
        XCTAssertEqual(OverlayRenderer.nextTrack(in: faces, after: nil), largestID == 14 ? 1 : largestID + 1)
        XCTAssertEqual(OverlayRenderer.nextTrack(in: faces, after: 14), 1)
        XCTAssertEqual(OverlayRenderer.nextTrack(in: faces, after: 3), 4)
        let box = faces[5].box
        XCTAssertEqual(OverlayRenderer.track(at: (box.x + 2, box.y + 2), in: faces), 6)
        XCTAssertNil(OverlayRenderer.track(at: (5, 530), in: faces))
        XCTAssertNil(OverlayRenderer.nextTrack(in: [DetectedFace(box: box)], after: nil), "untracked faces")
    }

    /// The dlib group photographs through the real detector and model, as a user would see them.
    func testGroupPhotographsRenderWithoutOverlaps() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
            .standardized
        let dlib = root.appendingPathComponent("../shared/data/faces/dlib").standardized.path
        guard FileManager.default.fileExists(atPath: dlib) else { throw XCTSkip("needs ../shared/data/faces") }
        let classifier = try ExpressionClassifier(
            path: root.appendingPathComponent("assets/fercam-resnet-cbam.safetensors").path)
        let analyser = FrameAnalyser(
            detector: try HaarDetector(),
            parameters: DetectionParameters(scaleFactor: 1.1, minNeighbors: 3, minSize: (24, 24)),
            classifier: classifier)
        // The most crowded of them (debug builds detect slowly).
        var source = try ImageSource(path: dlib + "/2008_007676.jpg")
        var tracking = FaceTracking(smoothing: SmoothingParameters())
        var crowded = 0
        while let frame = try source.next() {
            var analysis = try analyser.analyse(frame)
            tracking.apply(to: &analysis)  // ids as in video, so that labels carry them
            let (plan, _) = try render(analysis)
            assertNothingOverlaps(plan)
            if analysis.faces.count >= 6 { crowded += 1 }
        }
        XCTAssertGreaterThan(crowded, 0, "six or more faces found")
    }
}
