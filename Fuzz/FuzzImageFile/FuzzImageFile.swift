import FuzzSupport
import ImageFiles

/// The whole image path of `fercam eval` and `--input photo.jpg`: file checks, header sizes, SDL2_image.
/// SDL2_image picks the decoder from the bytes, so one harness covers JPEG, PNG, BMP, GIF, WebP, TGA, TIFF.
func fuzzImageFile(_ input: UnsafeRawBufferPointer) {
    let file = ScratchFile(suffix: ".img")
    file.write(input)
    _ = try? ImageFile.loadGray(file.path)
}

@_cdecl("FuzzImageFile_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        fuzzImageFile(UnsafeRawBufferPointer(fuzzInput: data, count: size))
        return 0
    }
}
