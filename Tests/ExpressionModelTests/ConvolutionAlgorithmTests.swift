import DNNLKit
import XCTest

/// fp32 3x3 convolutions run as Winograd where oneDNN has a kernel for them (AVX-512, blocked layouts): the
/// result must match a plain convolution written out here, as the direct algorithm's does.
final class ConvolutionAlgorithmTests: XCTestCase {
    /// NHWC, OIHW weights, zero padding, then ReLU: the definition, one multiply-add at a time.
    private func reference(
        _ input: [Float], _ weights: [Float], _ bias: [Float], _ s: ConvolutionShape
    ) -> [Float] {
        var out = [Float](repeating: 0, count: s.outputCount)
        for n in 0..<s.batch {
            for y in 0..<s.outputHeight {
                for x in 0..<s.outputWidth {
                    for o in 0..<s.outputChannels {
                        var sum = bias[o]
                        for ky in 0..<s.kernel {
                            for kx in 0..<s.kernel {
                                let iy = y * s.stride + ky - s.padding, ix = x * s.stride + kx - s.padding
                                guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
                                for i in 0..<s.inputChannels {
                                    sum +=
                                        input[((n * s.height + iy) * s.width + ix) * s.inputChannels + i]
                                        * weights[((o * s.inputChannels + i) * s.kernel + ky) * s.kernel + kx]
                                }
                            }
                        }
                        out[((n * s.outputHeight + y) * s.outputWidth + x) * s.outputChannels + o] = max(sum, 0)
                    }
                }
            }
        }
        return out
    }

    /// NHWC <-> nChw16c (the layout oneDNN's Winograd kernels read and write), C a multiple of 16.
    private func blockedIndex(_ n: Int, _ y: Int, _ x: Int, _ c: Int, height: Int, width: Int, channels: Int) -> Int {
        (((n * (channels / 16) + c / 16) * height + y) * width + x) * 16 + c % 16
    }

    /// NHWC to nChw16c (`toBlocked`) or back.
    private func relayout(
        _ values: [Float], toBlocked: Bool, batch: Int, height: Int, width: Int, channels: Int
    ) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for n in 0..<batch {
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<channels {
                        let plain = ((n * height + y) * width + x) * channels + c
                        let blocked = blockedIndex(n, y, x, c, height: height, width: width, channels: channels)
                        if toBlocked { out[blocked] = values[plain] } else { out[plain] = values[blocked] }
                    }
                }
            }
        }
        return out
    }

    func testWinogradMatchesTheDefinition() throws {
        let engine = try Engine()
        let shape = ConvolutionShape(
            batch: 2, inputChannels: 32, outputChannels: 48, height: 12, width: 12, kernel: 3, stride: 1, padding: 1)
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int, _ scale: Float) -> [Float] {
            (0..<count).map { _ in Float.random(in: -scale...scale, using: &generator) }
        }
        let input = random(shape.inputCount, 1)
        let weights = random(48 * 32 * 9, 0.1), bias = random(48, 0.5)
        let expected = reference(input, weights, bias, shape)
        var algorithms: [Convolution.Algorithm] = []
        for allowWinograd in [true, false] {
            let convolution = try Convolution(
                engine: engine, shape: shape, weights: weights, bias: bias, postOps: [.relu], precision: .fp32,
                layouts: (.blocked16, .blocked16), allowWinograd: allowWinograd)
            algorithms.append(convolution.algorithm)
            var blocked = [Float](repeating: .nan, count: shape.outputCount)
            convolution.run(
                relayout(input, toBlocked: true, batch: 2, height: 12, width: 12, channels: 32), into: &blocked)
            let output = relayout(blocked, toBlocked: false, batch: 2, height: 12, width: 12, channels: 48)
            let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4, "\(convolution.algorithm)")
        }
        XCTAssertEqual(algorithms.last, .direct)
        if algorithms.first != .winograd {
            throw XCTSkip("oneDNN has no Winograd kernel for this CPU: only the direct algorithm was checked")
        }
        // Never Winograd: a strided convolution; small maps in a batch, where it measured slower.
        for (batch, side, stride) in [(1, 12, 2), (4, 6, 1)] {
            let shape = ConvolutionShape(
                batch: batch, inputChannels: 32, outputChannels: 48, height: side, width: side, kernel: 3,
                stride: stride, padding: 1)
            let convolution = try Convolution(
                engine: engine, shape: shape, weights: weights, bias: bias, postOps: [], precision: .fp32,
                layouts: (.blocked16, .blocked16))
            XCTAssertEqual(convolution.algorithm, .direct, "\(shape)")
        }
    }
}
