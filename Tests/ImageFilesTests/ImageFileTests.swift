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
            XCTAssertEqual("\(error)", jpg + ": truncated or corrupt JPEG header: no image size in it")
        }
        // A JPEG whose size is fine but whose data is not: SDL2_image's own reason, not a stale one.
        let sof: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0]
        try Data(sof + [1, 2, 3]).write(to: URL(fileURLWithPath: jpg))
        XCTAssertThrowsError(try ImageFile.loadGray(jpg)) { error in
            XCTAssertTrue("\(error)".hasPrefix(jpg + ": cannot decode image: "), "\(error)")
            XCTAssertFalse("\(error)".contains("PNG"), "\(error)")
        }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: png))
        XCTAssertThrowsError(try ImageFile.loadGray(png)) { error in
            XCTAssertEqual("\(error)", png + ": not an image fercam reads (JPEG, PNG, BMP, WebP, TIFF, TGA or Netpbm)")
        }
    }
}

/// Inputs that once crashed fercam or took all memory (issue: no input crashes fercam).
final class HostileImageTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fercam-hostile-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A 10-byte PGM whose pixel is above maxval once trapped on overflow.
    func testPixelAboveMaxvalIsClamped() throws {
        let image = try PNM.decode(Array("P5 1 1 15\n".utf8) + [200], source: "a.pgm")
        XCTAssertEqual(image.gray.pixels, [255])
    }

    /// A header claiming 16384 x 16384 colour pixels is refused before the 800 MB are allocated.
    func testHugeNetpbmClaimIsRefusedBeforeAllocation() {
        XCTAssertThrowsError(try PNM.decode(Array("P6 16384 16384 255\n".utf8) + [1, 2, 3], source: "b.ppm")) { error in
            XCTAssertTrue("\(error)".contains("truncated pixel data"), "\(error)")
        }
        XCTAssertThrowsError(try PNM.decode(Array("P2 16384 16384 255 1 2 3".utf8), source: "c.pgm"))
    }

    /// A 30000 x 30000 JPEG or PNG header is refused before SDL_image decodes anything.
    func testHugeHeadersAreRefusedBeforeDecoding() throws {
        var jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
        jpeg += [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x75, 0x30, 0x75, 0x30, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        let png: [UInt8] =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            + [0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0, 0, 0, 0, 0]
        for (name, bytes) in [("big.jpg", jpeg), ("big.png", png)] {
            let path = try write(name, bytes)
            XCTAssertThrowsError(try ImageFile.loadGray(path)) { error in
                XCTAssertEqual(
                    "\(error)",
                    "\(path): the header claims 30000x30000 pixels; fercam decodes at most 16384 a side and 64 megapixels"
                )
            }
        }
        // TIFF (little-endian, ImageWidth and ImageLength as LONG) and a TGA known by its name.
        var tiff: [UInt8] = Array("II*\0".utf8) + [8, 0, 0, 0, 2, 0]
        tiff += [0, 1, 4, 0, 1, 0, 0, 0, 0x30, 0x75, 0, 0] + [1, 1, 4, 0, 1, 0, 0, 0, 0x30, 0x75, 0, 0]
        let tga: [UInt8] = [0, 0, 2] + [UInt8](repeating: 0, count: 9) + [0x30, 0x75, 0x30, 0x75, 24, 0]
        for (name, bytes) in [("big.tif", tiff), ("big.tga", tga)] {
            let path = try write(name, bytes)
            XCTAssertThrowsError(try ImageFile.loadGray(path)) { error in
                XCTAssertTrue("\(error)".contains("claims 30000x30000 pixels"), "\(error)")
            }
        }
    }

    /// libpng's own complaint goes into fercam's one line instead of onto stderr before it.
    func testLibraryChatterJoinsTheOneErrorLine() throws {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        png += [0, 0, 0, 4, 0, 0, 0, 4, 8, 0, 0, 0, 0, 0x8C, 0x9A, 0xC1, 0xA2]  // 4x4 gray, its CRC
        png += [0, 0, 0, 4, 0xFF, 0x55, 0, 0] + Array("abcd".utf8)  // a chunk type libpng refuses
        let path = try write("chunk.png", png)
        XCTAssertThrowsError(try ImageFile.loadGray(path)) { error in
            XCTAssertEqual(
                "\(error)",
                "\(path): cannot decode image: Error reading the PNG file. (libpng error: [FF]U[00][00]: invalid chunk type)"
            )
        }
    }

    /// Found by the image fuzzer: a 1x1 GIF screen whose first frame is 14406x24889 pixels (SDL2_image
    /// allocated over 2 GB), and a GIF whose first frame is fine but whose later, undecodable one is
    /// 65279x65535 (4 GB). SDL2_image skips bad frames and sizes any later one, so fercam refuses GIF.
    func testGIFsAreRefusedBeforeDecoding() throws {
        for name in ["gif-frame-larger-than-screen", "gif-later-frame-of-4-gb"] {
            let fixture = try XCTUnwrap(Bundle.module.path(forResource: "Fixtures/\(name)", ofType: "gif"))
            XCTAssertThrowsError(try ImageFile.loadGray(fixture)) { error in
                XCTAssertTrue(
                    "\(error)".hasSuffix(": not an image fercam reads (JPEG, PNG, BMP, WebP, TIFF, TGA or Netpbm)"),
                    "\(error)")
            }
        }
    }

    /// Devices and FIFOs named as images are refused instead of read forever.
    func testSpecialFilesAreRefused() throws {
        XCTAssertThrowsError(try ImageFile.loadGray("/dev/zero")) { error in
            XCTAssertTrue("\(error)".hasSuffix("not a regular file"), "\(error)")
        }
        let fifo = dir.appendingPathComponent("pipe.jpg").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try ImageFile.loadGray(fifo)) { error in
            XCTAssertEqual("\(error)", "\(fifo): not a regular file")
        }
        let pgmFifo = dir.appendingPathComponent("pipe.pgm").path
        XCTAssertEqual(mkfifo(pgmFifo, 0o600), 0)
        XCTAssertThrowsError(try ImageFile.loadGray(pgmFifo))
    }
}
