import DNNLKit
import ExpressionModel
import Foundation
import XCTest

/// Every shipped network runs on oneDNN's optimised kernels on this CPU, never its reference ones.
///
/// The reference kernels are correct, so no accuracy test notices them, but ~1000x slower: blocks-of-16
/// layouts on a CPU without AVX-512 made one face take 55 s and `make test` run past CI's 90 minutes.
/// oneDNN names the kernel of every call it makes when ONEDNN_VERBOSE=1 (`onednn_verbose,exec,cpu,KIND,IMPL,...`).
final class KernelChoiceTests: XCTestCase {
    /// oneDNN's only RNN implementation is called "ref" and runs on its optimised GEMM: not a fallback.
    static let referenceOnly: Set<String> = ["rnn"]

    /// Each reference-kernel call in oneDNN's `verbose` output, as "KIND IMPLEMENTATION: the call's details".
    static func referenceCalls(_ verbose: String) -> [String] {
        verbose.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > 4, fields[0] == "onednn_verbose", fields[1] == "exec" else { return nil }
            let (kind, implementation) = (String(fields[3]), String(fields[4]))
            guard implementation.hasPrefix("ref"), !referenceOnly.contains(kind) else { return nil }
            return "\(kind) \(implementation): \(fields.dropFirst(5).joined(separator: ","))"
        }
    }

    func testTheParserFindsReferenceKernels() {
        let log = """
            onednn_verbose,info,cpu,isa:Intel AVX2
            onednn_verbose,exec,cpu,convolution,jit:avx2,forward_inference,src_f32::blocked:acdb:f0,,0.5
            onednn_verbose,exec,cpu,convolution,ref:any,forward_inference,src_f32::blocked:aBcd16b:f0,,2522.05
            onednn_verbose,exec,cpu,rnn,ref,forward_inference,src_layer_f32::blocked:abc:f0,,0.1
            """
        XCTAssertEqual(Self.referenceCalls(log).count, 1)
        XCTAssertTrue(Self.referenceCalls(log)[0].hasPrefix("convolution ref:any"))
    }

    func testEveryModelAndDetectorRunsOnOptimisedKernels() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fercam-kernels-\(getpid())")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("happy"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // One 96x96 grey gradient: eval takes it whole as a face; the detectors run their networks on it.
        let side = 96
        let pixels = (0..<side * side).map { UInt8(($0 % side + $0 / side) * 255 / (2 * side - 2)) }
        let face = dir.appendingPathComponent("happy/gradient.pgm")
        try (Data("P5 \(side) \(side) 255\n".utf8) + Data(pixels)).write(to: face)

        let precisions = Engine.supportsBF16 ? ["fp32", "bf16"] : ["fp32"]
        var runs = Architecture.allCases.flatMap { architecture in
            precisions.map { ["eval", dir.path, "--model", architecture.rawValue, "--precision", $0] }
        }
        runs += ["blazeface", "blazeface-full"].map { ["detect", "--detector", $0, face.path] }
        for arguments in runs {
            let run = try runFercam(arguments, environment: ["ONEDNN_VERBOSE": "1", "DNNL_VERBOSE": "1"])
            let what = "fercam " + arguments.joined(separator: " ")
            XCTAssertEqual(run.status, 0, "\(what): \(run.stderr)")
            XCTAssertTrue(run.stdout.contains("onednn_verbose,exec"), "\(what): oneDNN printed no calls")
            let slow = Self.referenceCalls(run.stdout + run.stderr)
            XCTAssertTrue(
                slow.isEmpty,
                "\(what) on \(Engine.instructionSet): \(slow.count) reference-kernel calls, e.g. \(slow.first ?? "")")
        }
    }
}
