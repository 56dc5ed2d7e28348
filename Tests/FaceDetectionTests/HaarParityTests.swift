import FaceDetection
import Foundation
import Frames
import ImageFiles
import XCTest

/// Set equality with OpenCV 4.x's detectMultiScale on every shared face image, for every
/// parameter set of scripts/reference/haar_golden.py.
final class HaarParityTests: XCTestCase {
    struct Golden: Decodable {
        struct Case: Decodable {
            var name: String
            var cascade: String
            var scaleFactor: Double
            var minNeighbors: Int
            var minSize: [Int]
            var maxSize: [Int]
            var rects: [String: [[Int]]]
        }
        var opencv: String
        var checksums: [String: String]
        var cases: [Case]
    }

    /// The gray images OpenCV saw, written by scripts/reference/haar_golden.py (`make test` runs it).
    /// JPEG decoders differ by a gray level here and there, so the test never decodes the JPEGs itself.
    static let grayRoot =
        ProcessInfo.processInfo.environment["FERCAM_FACES_GRAY"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.cache/faces-gray")
        .standardized.path

    func loadGolden() throws -> Golden {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "haar_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    func testEveryImageAndParameterSetMatchesOpenCV() throws {
        guard FileManager.default.fileExists(atPath: Self.grayRoot) else {
            throw XCTSkip(
                "\(Self.grayRoot) is absent: `make test` writes it from ../shared/data/faces with scripts/reference/haar_golden.py"
            )
        }
        let golden = try loadGolden()
        XCTAssertGreaterThanOrEqual(golden.cases.count, 4)
        XCTAssertTrue(golden.cases.contains { $0.minNeighbors == 0 }, "the raw candidates must be covered")
        // Decode every image once; the checksum proves these are the pixels OpenCV saw.
        var grays: [String: GrayImage] = [:]
        for (name, checksum) in golden.checksums.sorted(by: { $0.key < $1.key }) {
            let gray = try ImageFile.loadGray(Self.grayRoot + "/" + name.dropLast(4) + ".pgm")
            XCTAssertEqual(
                fnv1a64(gray.pixels), checksum, "\(name): decoded gray pixels differ from the ones OpenCV saw")
            grays[name] = gray
        }
        var detectors: [String: HaarDetector] = [:]
        var compared = 0
        for testCase in golden.cases {
            let detector =
                try detectors[testCase.cascade]
                ?? HaarDetector(path: "/usr/share/opencv4/haarcascades/" + testCase.cascade)
            detectors[testCase.cascade] = detector
            let parameters = DetectionParameters(
                scaleFactor: testCase.scaleFactor, minNeighbors: testCase.minNeighbors,
                minSize: (testCase.minSize[0], testCase.minSize[1]),
                maxSize: (testCase.maxSize[0], testCase.maxSize[1]))
            for (name, expected) in testCase.rects.sorted(by: { $0.key < $1.key }) {
                let gray = try XCTUnwrap(grays[name])
                // Threads change only the order, never the set; use two for half the cases.
                let found = detector.detect(in: gray, parameters: parameters, threads: compared % 2 + 1)
                let foundSet = Set(found.map { [$0.x, $0.y, $0.width, $0.height] })
                XCTAssertEqual(found.count, foundSet.count, "\(testCase.name) \(name): duplicate rectangles")
                XCTAssertEqual(
                    foundSet, Set(expected), "\(testCase.name) \(name): rectangles differ from OpenCV \(golden.opencv)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, golden.cases.count * golden.checksums.count)
    }

    /// The scan sums most features from their distinct corners only (see `StumpForm`); the general
    /// three-rect form is there for cascades OpenCV does not ship. Listing each feature's rects in
    /// reverse is the same feature for OpenCV but sends the two-rect line features through the
    /// general form, so the raw candidates must not change.
    func testFeatureFormsAgreeWithTheGeneralForm() throws {
        guard FileManager.default.fileExists(atPath: Self.grayRoot) else {
            throw XCTSkip(
                "\(Self.grayRoot) is absent: `make test` writes it from ../shared/data/faces with scripts/reference/haar_golden.py"
            )
        }
        let original = try HaarCascade(path: HaarCascade.defaultPath)
        var reversed = original
        reversed.features = original.features.map {
            var feature = $0; feature.rects.reverse(); return feature
        }
        let names = try XCTUnwrap(
            FileManager.default.enumerator(atPath: Self.grayRoot)?.compactMap { $0 as? String }.filter {
                $0.hasSuffix(".pgm")
            }.sorted())
        XCTAssertGreaterThan(names.count, 0)
        let originalDetector = HaarDetector(cascade: original), reversedDetector = HaarDetector(cascade: reversed)
        let parameters = DetectionParameters(scaleFactor: 1.2, minNeighbors: 0)
        var candidates = 0
        for name in names.prefix(6) {
            let gray = try ImageFile.loadGray(Self.grayRoot + "/" + name)
            let expected = originalDetector.detect(in: gray, parameters: parameters)
            XCTAssertEqual(reversedDetector.detect(in: gray, parameters: parameters), expected, name)
            candidates += expected.count
        }
        XCTAssertGreaterThan(candidates, 0, "the images must reach the last stage somewhere")
    }

    func testGroupingDropsWeakAndNestedClusters() {
        let cluster = (0..<4).map { Rect(x: 100 + $0, y: 100, width: 50, height: 50) }
        let lone = [Rect(x: 10, y: 10, width: 30, height: 30)]
        let inner = (0..<2).map { _ in Rect(x: 110, y: 110, width: 24, height: 24) }
        let grouped = RectangleGrouping.group(cluster + lone + inner, minNeighbors: 1, eps: 0.2)
        XCTAssertEqual(grouped, [Rect(x: 102, y: 100, width: 50, height: 50)])
        XCTAssertEqual(RectangleGrouping.group(cluster, minNeighbors: 0, eps: 0.2), cluster)
    }

    func fnv1a64(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
