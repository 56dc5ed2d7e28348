// swift-tools-version:6.0
import PackageDescription

// The detector and the frame code are SIMD-heavy; without a CPU target Swift
// lowers FMA and wide vectors to library calls. `make` builds from source on
// the machine that runs it, so `native` is the right target there.
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))]
// The Haar scan alone also drops Swift's run-time checks: its inner loops index
// flat tables whose bounds the cascade loader validates, and the checks cost
// measurably there. Everything that parses input keeps them.
let fastest: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-target-cpu", "native"], .when(configuration: .release))]

let package = Package(
    name: "fercam",
    products: [
        .executable(name: "fercam", targets: ["fercam"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Thin C-interop system modules, one per C library family.
        .systemLibrary(name: "CSDL2", pkgConfig: "sdl2", providers: [.apt(["libsdl2-dev", "libsdl2-ttf-dev"])]),
        .systemLibrary(name: "CSDL2Image", pkgConfig: "sdl2", providers: [.apt(["libsdl2-image-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),

        // System calls: the one EINTR-retrying helper, errno messages, directories, the clock.
        .target(name: "Posix"),
        // Plain value types for frames and images, the Y4M format, buffered file reading and writing.
        .target(name: "Frames", dependencies: ["Posix"], swiftSettings: fast),
        // Image files: Netpbm natively, JPEG/PNG/... through SDL2_image, PNG writing.
        .target(name: "ImageFiles", dependencies: ["CSDL2Image", "Frames", "Posix"]),
        // Swift wrapper over SDL2 and SDL2_ttf: windows, rendering, text.
        .target(name: "SDLKit", dependencies: ["CSDL2", "Frames"]),
        // OpenCV-compatible Haar cascade face detector.
        .target(name: "FaceDetection", dependencies: ["Frames", "Posix"], swiftSettings: fastest),
        // Swift wrapper over the oneDNN C API.
        .target(name: "DNNLKit", dependencies: ["CDNNL"], swiftSettings: fast),
        // MediaPipe's BlazeFace face detector (converted weights) on oneDNN: letterbox, network, anchors, suppression.
        .target(name: "BlazeFace", dependencies: ["Frames", "DNNLKit", "ExpressionModel"], swiftSettings: fast),
        // The ResNet+CBAM expression classifier: safetensors loading, preprocessing, inference.
        .target(name: "ExpressionModel", dependencies: ["Frames", "DNNLKit", "Posix"], swiftSettings: fast),
        // Swift wrapper over libv4l2: camera capture behind a protocol.
        .target(name: "V4L2Kit", dependencies: ["CV4L2", "Frames", "Posix"]),
        // Faces followed from frame to frame (ids), and their probabilities smoothed over time. Pure.
        .target(name: "Tracking", dependencies: ["Frames"]),
        // Frame sources, per-frame analysis and JSON Lines output.
        .target(name: "Pipeline", dependencies: ["Frames", "ImageFiles", "FaceDetection", "BlazeFace", "ExpressionModel", "Tracking", "V4L2Kit", "Posix"]),
        // Charts drawn offscreen: the reliability diagram of `fercam eval`.
        .target(name: "Charts", dependencies: ["SDLKit", "Pipeline", "Frames"]),
        // The live window.
        .target(name: "LiveView", dependencies: ["Pipeline", "Charts", "SDLKit", "ImageFiles", "Frames", "ExpressionModel", "Posix"]),
        // The command-line interface: commands, flags and their validation, errors reported once.
        .target(name: "FercamCLI", dependencies: [
            "Pipeline", "Tracking", "LiveView", "Charts", "FaceDetection", "BlazeFace", "ExpressionModel", "DNNLKit", "Frames", "ImageFiles", "SDLKit", "V4L2Kit", "Posix",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        .executableTarget(name: "fercam", dependencies: ["FercamCLI"]),

        .testTarget(name: "FramesTests", dependencies: ["Frames"]),
        .testTarget(name: "ImageFilesTests", dependencies: ["ImageFiles", "Frames"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FaceDetectionTests", dependencies: ["FaceDetection", "Frames", "ImageFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BlazeFaceTests", dependencies: ["BlazeFace", "ExpressionModel", "ImageFiles", "Frames", "DNNLKit"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExpressionModelTests", dependencies: ["ExpressionModel", "DNNLKit", "Frames"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrackingTests", dependencies: ["Tracking", "Frames"]),
        .testTarget(name: "V4L2KitTests", dependencies: ["V4L2Kit", "Frames"]),
        .testTarget(name: "LiveViewTests", dependencies: ["LiveView", "SDLKit", "ImageFiles", "Pipeline", "ExpressionModel", "FaceDetection", "Frames", "Tracking"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts", "Pipeline", "ImageFiles", "Frames"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "BlazeFace", "ImageFiles", "FaceDetection", "ExpressionModel", "Tracking", "Frames", "Posix", "DNNLKit"]),
    ]
)

// libFuzzer harnesses, one per parser of untrusted bytes (docs/reliability.md). Declared only for `make fuzz`,
// which sets FERCAM_FUZZ and builds with -sanitize=fuzzer,address: libFuzzer supplies `main`, so these
// executables have none and a plain `swift build` must not try to link them.
if Context.environment["FERCAM_FUZZ"] != nil {
    let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzY4M", ["Frames"]),
        ("FuzzPNM", ["ImageFiles", "Frames"]),
        ("FuzzImageFile", ["ImageFiles"]),
        ("FuzzCascade", ["FaceDetection", "Frames"]),
        ("FuzzModelFile", ["ExpressionModel", "BlazeFace", "Frames"]),
        ("FuzzLabels", ["Pipeline"]),
        ("FuzzRunLog", ["Pipeline"]),
        ("FuzzFlags", ["FercamCLI"]),
    ]
    package.targets.append(.target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzDriver"], path: "Fuzz/Support"))
    for harness in harnesses {
        package.targets.append(
            .executableTarget(
                name: harness.name, dependencies: harness.dependencies + ["FuzzSupport"], path: "Fuzz/\(harness.name)",
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
        package.products.append(.executable(name: harness.name, targets: [harness.name]))
    }
}
