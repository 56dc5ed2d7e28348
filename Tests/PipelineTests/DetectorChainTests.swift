import BlazeFace
import FaceDetection
import Foundation
import Frames
import ImageFiles
import XCTest

import Pipeline

/// `--detector auto` and comma-separated lists: each finder in turn until one finds a face, never a mix.
final class DetectorChainTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized.path

    /// Finders that see the portrait, and the same finders blinded by a minimum side no face has.
    struct Finders {
        let haar, blindHaar, blazeface, blindBlazeface: FaceFinder
    }

    func finders() throws -> Finders {
        let cascade = try HaarDetector(path: HaarCascade.defaultPath)
        let network = try BlazeFaceDetector(path: Self.root + "/assets/detector-blazeface.safetensors")
        var blind = DetectionParameters.opencvDefaults
        blind.minSize = (5000, 5000)
        return Finders(
            haar: .haar(cascade, .opencvDefaults, threads: 1), blindHaar: .haar(cascade, blind, threads: 1),
            blazeface: .blazeface(network, minimumSide: 0, maximumSide: 0, level: true),
            blindBlazeface: .blazeface(network, minimumSide: 5000, maximumSide: 0, level: true))
    }

    func portrait() throws -> (gray: GrayImage, rgb: RGBImage) {
        guard FileManager.default.fileExists(atPath: DetectorFlagTests.frame) else {
            throw XCTSkip("\(DetectorFlagTests.frame) is absent: `make test` writes it (scripts/blazeface/reference.py)")
        }
        let rgb = try ImageFile.loadRGB(DetectorFlagTests.frame)
        return (rgb.grayscale(), rgb)
    }

    func testTheFirstFinderThatFindsAFaceGivesAllTheFaces() throws {
        let f = try finders(), (gray, rgb) = try portrait()
        let fromBlazeFace = f.blazeface.find(gray: gray, rgb: { rgb })
        let fromHaar = f.haar.find(gray: gray, rgb: { rgb })
        XCTAssertEqual(fromBlazeFace.count, 1)
        XCTAssertFalse(fromHaar.isEmpty)
        XCTAssertTrue(fromHaar.allSatisfy(\.keypoints.isEmpty))
        XCTAssertNotEqual(fromBlazeFace, fromHaar, "the two detectors frame the face differently")

        let haarFirst = FaceFinder.firstFound(name: "haar,blazeface", [f.haar, f.blazeface])
        XCTAssertEqual(haarFirst.find(gray: gray, rgb: { rgb }), fromHaar, "Haar found it: BlazeFace is not asked")
        let pastABlindHaar = FaceFinder.firstFound(name: "t", [f.blindHaar, f.blazeface, f.haar])
        XCTAssertEqual(pastABlindHaar.find(gray: gray, rgb: { rgb }), fromBlazeFace)
        XCTAssertEqual(pastABlindHaar.find(gray: gray, rgb: { rgb }).first?.keypoints.count, 6)
        let pastABlindBlazeFace = FaceFinder.firstFound(name: "auto", [f.blindBlazeface, f.haar])
        XCTAssertEqual(pastABlindBlazeFace.find(gray: gray, rgb: { rgb }), fromHaar)
        XCTAssertEqual(FaceFinder.firstFound(name: "t", [f.blindBlazeface, f.blindHaar]).find(gray: gray, rgb: { rgb }), [])
    }

    func testAChainReportsTheThreadsOfItsBusiestMember() throws {
        let f = try finders(), cascade = try HaarDetector(path: HaarCascade.defaultPath)
        XCTAssertEqual(f.blazeface.threads, 1)
        XCTAssertEqual(FaceFinder.haar(cascade, .opencvDefaults, threads: 2).threads, 2)
        XCTAssertEqual(FaceFinder.firstFound(name: "auto", [f.blazeface, .haar(cascade, .opencvDefaults, threads: 2)]).threads, 2)
        XCTAssertEqual(FaceFinder.firstFound(name: "blazeface", [f.blazeface]).threads, 1)
    }

    func testAChainReadsColourWhenAnyMemberDoes() throws {
        let f = try finders()
        XCTAssertFalse(FaceFinder.firstFound(name: "haar", [f.haar]).needsColour)
        XCTAssertTrue(FaceFinder.firstFound(name: "auto", [f.haar, f.blazeface]).needsColour)
        XCTAssertEqual(FaceFinder.firstFound(name: "auto", [f.haar, f.blazeface]).name, "auto")
    }
}
