import ArgumentParser
import FaceDetection
import Frames
import ImageFiles
import Pipeline
import Posix

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the faces found in each image (for scripts and parity checks).",
        discussion: """
            Examples:
              fercam detect group.jpg                  # a line per image: path, boxes
              fercam detect photos/*.png --json        # a JSON object per image
              fercam detect study/ --recursive --min-size 40
            """)

    @Argument(help: "Image files (JPEG, PNG, PGM, PPM, ...); with --recursive, directories too.")
    var images: [String]
    @Flag(help: "A directory argument stands for every image below it, at any depth, in sorted path order.")
    var recursive = false
    @Flag(help: "One JSON object per image instead of text.")
    var json = false
    @OptionGroup var detector: DetectorOptions

    func run() throws {
        let finder = try detector.makeFinder()
        // An undecodable image is reported and passed over; the others are still detected.
        let skipped = SkippedImages(report: { printError($0) })
        var paths: [String] = []
        for argument in images {
            if recursive, case .directory? = try? FileKind(path: argument) {
                paths += try ImageFile.files(in: argument, recursive: true)
            } else {
                paths.append(argument)
            }
        }
        for path in paths {
            let gray: GrayImage, rgb: RGBImage?
            do { (gray, rgb) = try finder.load(path) } catch {
                if paths.count == 1 { throw error }
                skipped.add(path, reason: error.reason)
                continue
            }
            let faces = finder.find(gray: gray, rgb: { rgb! })
                .sorted { ($0.box.y, $0.box.x, $0.box.width) < ($1.box.y, $1.box.x, $1.box.width) }
            if json {
                print(JSONLines.detection(image: path, width: gray.width, height: gray.height, faces: faces))
            } else {
                print("\(path): \(faces.count) face\(faces.count == 1 ? "" : "s")" + faces.map { " \($0.box)" }.joined())
            }
        }
        try skipped.check()
    }
}
