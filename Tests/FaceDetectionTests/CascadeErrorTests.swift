import FaceDetection
import Foundation
import XCTest

final class CascadeErrorTests: XCTestCase {
    func parse(_ xml: String) -> String {
        do {
            _ = try HaarCascade(xml: Array(xml.utf8), path: "test.xml")
            return "parsed"
        } catch { return error.description }
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try HaarCascade(path: "/nonexistent/cascade.xml")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/cascade.xml: cannot open cascade: No such file or directory")
        }
    }

    /// 50,000 nested tags once overflowed the stack of a recursive parser; now they are refused.
    func testDeepNestingIsRefusedWithoutRecursion() {
        let deep = String(repeating: "<a>", count: 50_000) + String(repeating: "</a>", count: 50_000)
        XCTAssertTrue(parse(deep).contains("nested deeper than 64"), parse(deep))
        let fine = String(repeating: "<a>", count: 60) + String(repeating: "</a>", count: 60)
        XCTAssertEqual(parse(fine), "test.xml: no <cascade> element: not an OpenCV cascade file")
    }

    /// A device or FIFO named as a cascade is refused at once instead of being read forever.
    func testSpecialFilesAreRefused() throws {
        XCTAssertThrowsError(try HaarCascade(path: "/dev/zero")) { error in
            XCTAssertEqual("\(error)", "/dev/zero: cannot open cascade: not a regular file")
        }
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-fifo-\(getpid()).xml").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        XCTAssertThrowsError(try HaarCascade(path: fifo)) { error in
            XCTAssertTrue("\(error)".hasSuffix("not a regular file"), "\(error)")
        }
    }

    func testMalformedAndUnsupportedCascades() {
        XCTAssertTrue(parse("<opencv_storage><cascade>").hasPrefix("test.xml: malformed XML"))
        XCTAssertEqual(
            parse("<opencv_storage><other/></opencv_storage>"),
            "test.xml: no <cascade> element: not an OpenCV cascade file")
        XCTAssertTrue(
            parse("<opencv_storage><cascade type_id=\"opencv-haar-classifier\"></cascade></opencv_storage>").contains(
                "old-style"))
        XCTAssertTrue(
            parse(
                "<opencv_storage><cascade><stageType>BOOST</stageType><featureType>LBP</featureType></cascade></opencv_storage>"
            )
            .contains("unsupported feature type 'LBP'"))
        let truncated = """
            <opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType><height>24</height><width>24</width>
            <stages><_><stageThreshold>-1</stageThreshold><weakClassifiers><_><internalNodes>0 -1 5 0.1</internalNodes>
            <leafValues>1 -1</leafValues></_></weakClassifiers></_></stages>
            <features><_><rects><_>0 0 4 4 -1.</_><_>0 0 2 4 2.</_></rects></_></features></cascade></opencv_storage>
            """
        XCTAssertEqual(parse(truncated), "test.xml: stage 0 tree 0: feature 5 does not exist")
    }

    /// fercam evaluates features in exact integer arithmetic, which needs small integer weights.
    func testWeightsMustBeSmallIntegers() {
        func cascade(_ rects: String, side: Int = 24) -> String {
            """
            <opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType><height>\(side)</height><width>\(side)</width>
            <stages><_><stageThreshold>-1</stageThreshold><weakClassifiers><_><internalNodes>0 -1 0 0.1</internalNodes>
            <leafValues>1 -1</leafValues></_></weakClassifiers></_></stages>
            <features><_><rects>\(rects)</rects></_></features></cascade></opencv_storage>
            """
        }
        XCTAssertEqual(parse(cascade("<_>0 0 4 4 -1.</_><_>0 0 2 4 2.</_>")), "parsed")
        XCTAssertEqual(
            parse(cascade("<_>0 0 4 4 -1.</_><_>0 0 2 4 2.5</_>")),
            "test.xml: feature 0: weight 2.5 is not a small integer")
        XCTAssertEqual(
            parse(cascade("<_>0 0 128 128 -9.</_><_>0 0 64 128 9.</_>", side: 128)),
            "test.xml: feature 0: rects too large for exact evaluation (weighted area 221184 pixels)")
    }

    func testDebianCascadesLoad() throws {
        let path = HaarCascade.defaultPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) missing: install opencv-data")
        }
        let cascade = try HaarCascade(path: path)
        XCTAssertEqual(cascade.stages.count, 25)
        XCTAssertEqual(cascade.stages.reduce(0) { $0 + $1.trees.count }, 2913)
        XCTAssertEqual(cascade.windowWidth, 24)
    }
}
