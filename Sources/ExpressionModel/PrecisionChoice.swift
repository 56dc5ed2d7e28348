import DNNLKit
import Posix

/// `--precision auto`: bf16 where this CPU runs the model measurably faster in it, fp32 elsewhere.
///
/// The instruction set alone does not decide: with AMX bf16 is about 3x faster, on AMD Zen 5 (AVX-512
/// BF16) 1.8x, but on an Intel Xeon with AVX-512 BF16 and no AMX it was 1.6x slower (docs/benchmarks.md).
/// So where oneDNN offers bf16 at all, one face is timed in both at start-up (about 40 ms) and bf16 is
/// kept only if it is at least `requiredSpeedup` faster. Accuracy is not at stake: bf16 gives the same
/// FER2013 val accuracy as fp32 (docs/expression-model.md).
public struct PrecisionChoice: Sendable {
    public enum Request: String, Sendable, CaseIterable {
        case auto, fp32, bf16
    }

    public let precision: Precision
    public let request: Request
    /// Median milliseconds per face in each precision, when they were measured.
    public let measured: (fp32: Double, bf16: Double)?
    /// Milliseconds the measurement took, network construction included.
    public var measuringTime = 0.0

    public static let requiredSpeedup = 1.1

    /// What was chosen and why, for `--verbose` and the window's corner.
    public var summary: String {
        switch (request, measured) {
        case (.auto, let m?):
            let times =
                "bf16 \(format(m.bf16)) ms vs fp32 \(format(m.fp32)) ms per face, measured in \(Int(measuringTime)) ms"
            return "\(precision.rawValue) (auto: \(times))"
        case (.auto, nil): return "fp32 (auto: this CPU has no bf16 arithmetic, \(Engine.instructionSet))"
        default: return "\(precision.rawValue) (asked for)"
        }
    }

    private func format(_ ms: Double) -> String {
        let hundredths = Int((ms * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    /// Resolves `request` for this model on this CPU (`auto` measures; the others are taken as given), and
    /// the network in that precision (the measured one is kept, not built twice).
    static func resolve(
        _ request: Request, model: ModelFile
    ) throws(DNNLError) -> (
        PrecisionChoice, any ExpressionNetwork
    ) {
        let description = model.description
        func network(_ precision: Precision) throws(DNNLError) -> any ExpressionNetwork {
            try model.makeNetwork(precision: precision)
        }
        switch request {
        case .fp32: return (PrecisionChoice(precision: .fp32, request: request, measured: nil), try network(.fp32))
        case .bf16: return (PrecisionChoice(precision: .bf16, request: request, measured: nil), try network(.bf16))
        case .auto:
            guard Engine.supportsBF16 else {
                return (PrecisionChoice(precision: .fp32, request: .auto, measured: nil), try network(.fp32))
            }
            let began = monotonicSeconds()
            let face = [[Float]](
                repeating: (0..<(description.inputSize * description.inputSize)).map {
                    Float($0 % 7) / 7 - 0.5
                }, count: 1)
            let networks = [try network(.fp32), try network(.bf16)]
            var times: [[Double]] = [[], []]
            // One untimed call each (it creates the primitives), then alternating timed calls.
            for network in networks { _ = try network.run(face) }
            for _ in 0..<7 {
                for (i, network) in networks.enumerated() {
                    let start = monotonicSeconds()
                    _ = try network.run(face)
                    times[i].append((monotonicSeconds() - start) * 1000)
                }
            }
            let median = times.map { $0.sorted()[$0.count / 2] }
            let bf16 = median[1] * requiredSpeedup <= median[0]
            var choice = PrecisionChoice(
                precision: bf16 ? .bf16 : .fp32, request: .auto, measured: (median[0], median[1]))
            choice.measuringTime = (monotonicSeconds() - began) * 1000
            return (choice, networks[bf16 ? 1 : 0])
        }
    }
}
