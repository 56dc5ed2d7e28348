import Foundation
import Frames
import ImageFiles
import XCTest

final class ImageFileTests: XCTestCase {
    func testPNMVariants() throws {
        let gray = try PNM.decode(Array("P5\n# c\n3 1\n255\n".utf8) + [0, 128, 255], source: "a.pgm")
        XCTAssertEqual(gray, .gray(GrayImage(width: 3, height: 1, pixels: [0, 128, 255])))
        let ascii = try PNM.decode(Array("P2 2 1 15 0 15".utf8), source: "b.pgm")
        XCTAssertEqual(ascii.gray.pixels, [0, 255])
        let rgb = try PNM.decode(Array("P6 1 1 255\n".utf8) + [255, 0, 0], source: "c.ppm")
        XCTAssertEqual(rgb.gray.pixels, [76])
        XCTAssertThrowsError(try PNM.decode(Array("P5 4 4 255\n".utf8) + [1, 2], source: "d.pgm")) { error in
            XCTAssertEqual("\(error)", "d.pgm: byte 11: truncated pixel data, expected 16 bytes, got 2")
        }
        XCTAssertThrowsError(try PNM.decode(Array("P5 4 4 65535\n".utf8), source: "e.pgm"))
        XCTAssertThrowsError(try PNM.decode([0x89, 0x50], source: "f.pgm"))
    }

    func testPNGRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-png-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = RGBImage(
            width: 3, height: 2, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90])
        let path = dir.appendingPathComponent("a.png").path
        try ImageFile.writePNG(image, path: path)
        XCTAssertEqual(try ImageFile.loadRGB(path), image)
        XCTAssertEqual(try ImageFile.files(in: dir.path), [path])
    }

    /// A failure's message is this file's, not a stale one left by an earlier decode.
    func testDecodeErrorsNameTheirOwnFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-bad-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = dir.appendingPathComponent("bad.png").path, jpg = dir.appendingPathComponent("bad.jpg").path
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).write(to: URL(fileURLWithPath: png))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 1, 2]).write(to: URL(fileURLWithPath: jpg))
        XCTAssertThrowsError(try ImageFile.loadGray(png))
        XCTAssertThrowsError(try ImageFile.loadGray(jpg)) { error in
            XCTAssertTrue("\(error)".hasPrefix(jpg + ": cannot decode image: "), "\(error)")
            XCTAssertFalse("\(error)".contains("PNG"), "\(error)")
        }
    }
}
