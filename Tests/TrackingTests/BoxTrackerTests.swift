import Frames
import Tracking
import XCTest

/// Association on synthetic box sequences at 25 frames per second.
final class BoxTrackerTests: XCTestCase {
    let frameTime = 1.0 / 25

    func box(_ x: Int, _ y: Int, _ side: Int = 60) -> Rect { Rect(x: x, y: y, width: side, height: side) }

    func testAFaceMovingSteadilyKeepsItsID() {
        var tracker = BoxTracker()
        var ids: Set<Int> = []
        for frame in 0..<50 {
            ids.formUnion(tracker.update(boxes: [box(100 + 4 * frame, 80)], at: Double(frame) * frameTime).map(\.id))
        }
        XCTAssertEqual(ids, [1])
        XCTAssertEqual(tracker.tracks.first?.hits, 50)
    }

    /// Two faces walk past each other; overlap alone would swap them where they meet, the velocity keeps them apart.
    func testCrossingFacesKeepTheirIDs() {
        var tracker = BoxTracker()
        for frame in 0..<60 {
            let t = Double(frame) * frameTime
            // Box order changes as they cross (the detector sorts by position), so report them sorted.
            let a = box(40 + 8 * frame, 100), b = box(520 - 8 * frame, 110)
            let boxes = [a, b].sorted { $0.x < $1.x }
            let tracks = tracker.update(boxes: boxes, at: t)
            let idOfA = tracks[boxes.firstIndex(of: a)!].id, idOfB = tracks[boxes.firstIndex(of: b)!].id
            XCTAssertEqual(idOfA, 1, "frame \(frame)")
            XCTAssertEqual(idOfB, 2, "frame \(frame)")
        }
    }

    func testAMissedDetectionDoesNotEndTheTrack() {
        var tracker = BoxTracker(parameters: TrackingParameters(maximumMissedFrames: 3, maximumMissedSeconds: 0))
        _ = tracker.update(boxes: [box(100, 100)], at: 0)
        _ = tracker.update(boxes: [box(104, 100)], at: frameTime)
        for frame in 2..<5 { XCTAssertEqual(tracker.update(boxes: [], at: Double(frame) * frameTime), []) }
        // Three frames missed: still there, and the prediction carried it along.
        XCTAssertEqual(tracker.update(boxes: [box(120, 100)], at: 5 * frameTime).map(\.id), [1])
    }

    func testATrackMissingTooLongEndsAndItsFaceComesBackWithANewID() {
        var tracker = BoxTracker(parameters: TrackingParameters(maximumMissedFrames: 2, maximumMissedSeconds: 0.2))
        _ = tracker.update(boxes: [box(100, 100)], at: 0)
        // Three frames missed but only 0.12 s: the seconds limit keeps it.
        for frame in 1...3 { _ = tracker.update(boxes: [], at: Double(frame) * frameTime) }
        XCTAssertEqual(tracker.tracks.count, 1)
        for frame in 4...6 { _ = tracker.update(boxes: [], at: Double(frame) * frameTime) }
        XCTAssertEqual(tracker.tracks.count, 0, "both limits passed")
        XCTAssertEqual(tracker.update(boxes: [box(100, 100)], at: 7 * frameTime).map(\.id), [2])
    }

    func testOneFaceLeavesAnotherEntersElsewhere() {
        var tracker = BoxTracker()
        var frame = 0
        func step(_ boxes: [Rect]) -> [Int] {
            defer { frame += 1 }
            return tracker.update(boxes: boxes, at: Double(frame) * frameTime).map(\.id)
        }
        XCTAssertEqual(step([box(10, 10), box(300, 200)]), [1, 2])
        XCTAssertEqual(step([box(12, 10), box(300, 202)]), [1, 2])
        // Face 1 leaves at the left edge; a face appears at the right in the same frame.
        XCTAssertEqual(step([box(300, 204), box(560, 40)]), [2, 3])
        XCTAssertEqual(step([box(300, 206), box(562, 40)]), [2, 3])
    }

    func testFarApartBoxesNeverMatch() {
        var tracker = BoxTracker()
        XCTAssertEqual(tracker.update(boxes: [box(0, 0)], at: 0).map(\.id), [1])
        XCTAssertEqual(tracker.update(boxes: [box(400, 300)], at: frameTime).map(\.id), [2])
    }

    func testTheSameSequenceGivesTheSameIDs() {
        func run() -> [[Int]] {
            var tracker = BoxTracker()
            return (0..<40).map { frame in
                let boxes = (0..<(frame % 4 + 1)).map { box(50 + 130 * $0 + frame, 60 + ($0 % 2) * 150) }
                return tracker.update(boxes: boxes, at: Double(frame) * frameTime).map(\.id)
            }
        }
        XCTAssertEqual(run(), run())
    }

    func testMinimumCostAssignmentPrefersTheCheapestPairing() {
        // Greedy would pair row 0 with column 0 (cost 1) and leave row 1 with column 1 (cost 10).
        XCTAssertEqual(minimumCostAssignment([[1, 2], [2, 10]]), [1, 0])
        XCTAssertEqual(minimumCostAssignment([[nil, 1], [nil, 0.5]]), [nil, 1])
        XCTAssertEqual(minimumCostAssignment([[0.1], [0.2], [nil]]), [0, nil, nil])
        XCTAssertEqual(minimumCostAssignment([[nil, nil]]), [nil])
        XCTAssertEqual(minimumCostAssignment([]), [])
    }
}
