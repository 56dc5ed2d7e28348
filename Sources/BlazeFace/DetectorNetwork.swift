import DNNLKit
import ExpressionModel

/// A detector graph on oneDNN: convolutions (depthwise ones grouped) and max pooling as primitives, with the
/// residual add and ReLU fused into the convolution; resizing, depth-to-space and plain adds in Swift (small maps).
///
/// Threading rule: one thread at a time (it reuses one buffer per map), as its `Engine`.
final class DetectorNetwork: @unchecked Sendable {
    /// An op with its oneDNN primitive where it has one; adds, resizing and depth-to-space run in Swift.
    private enum Step {
        case convolution(Convolution, residual: Int?)
        case pooling(Pooling)
        case swift
    }

    let graph: DetectorGraph
    private let engine: Engine
    private var steps: [(op: DetectorOp, step: Step)] = []
    private var maps: [[Float]] = []

    init(graph: DetectorGraph) throws {
        self.graph = graph
        engine = try Engine()
        for op in graph.ops {
            let input = graph.shapes[op.input], output = graph.shapes[op.output]
            switch op {
            case let .convolution(_, _, weights, kernel, stride, padding, paddingEnd, groups, residual, relu):
                let shape = ConvolutionShape(
                    batch: 1, inputChannels: input.channels, outputChannels: output.channels, height: input.height,
                    width: input.width, kernel: kernel, stride: stride, padding: padding, paddingEnd: paddingEnd,
                    groups: groups)
                let w = try graph.file.floats(
                    "\(weights).weight", shape: [output.channels, input.channels / groups, kernel, kernel])
                let b = try graph.file.floats("\(weights).bias", shape: [output.channels])
                let postOps: [PostOp] = (residual == nil ? [] : [.addDestination]) + (relu ? [.relu] : [])
                let convolution = try Convolution(
                    engine: engine, shape: shape, weights: w, bias: b, postOps: postOps, precision: .fp32)
                steps.append((op, .convolution(convolution, residual: residual)))
            case let .maxPool(_, _, kernel):
                let pooling = try Pooling(
                    .maximum, engine: engine, batch: 1, channels: input.channels, height: input.height,
                    width: input.width, kernel: kernel, stride: kernel)
                steps.append((op, .pooling(pooling)))
            case .add, .resize, .depthToSpace:
                steps.append((op, .swift))
            }
        }
        // Allocated once every weight has been read and checked (DetectorGraph bounds the sizes).
        maps = graph.shapes.map { [Float](repeating: 0, count: $0.count) }
    }

    /// Runs the graph on one input map (`inputSize` squared x 3, NHWC) and returns the raw scores (one an anchor)
    /// and regressors (4 + 2 x keypoints an anchor), the heads concatenated in the file's order.
    func run(_ input: [Float]) -> (scores: [Float], regressors: [Float]) {
        precondition(input.count == graph.shapes[0].count, "the input does not match the detector")
        maps[0] = input
        for (op, step) in steps {
            let i = op.input
            // The output's buffer is moved out of `maps` so that it can be written while other maps are read.
            var out = maps[op.output]
            maps[op.output] = []
            switch (step, op) {
            case let (.convolution(convolution, residual), _):
                if let residual { place(maps[residual], channels: graph.shapes[residual].channels, into: &out, op.output) }
                convolution.run(maps[i], into: &out)
            case let (.pooling(pooling), _):
                pooling.run(maps[i], into: &out)
            case let (.swift, .add(_, other, _, relu)):
                add(maps[i], maps[other], relu: relu, into: &out)
            case let (.swift, .resize(_, o, alignCorners, halfPixel)):
                resizeBilinear(
                    maps[i], graph.shapes[i], into: &out, graph.shapes[o], alignCorners: alignCorners,
                    halfPixel: halfPixel)
            case let (.swift, .depthToSpace(_, _, block)):
                depthToSpace(maps[i], graph.shapes[i], block: block, into: &out)
            case (.swift, .convolution), (.swift, .maxPool):
                preconditionFailure("convolutions and pooling are built as primitives")
            }
            maps[op.output] = out
        }
        var scores: [Float] = [], regressors: [Float] = []
        for (s, r) in zip(graph.scoreHeads, graph.regressorHeads) {
            scores += maps[s]
            regressors += maps[r]
        }
        return (scores, regressors)
    }

    /// The residual into the first `channels` of each pixel of `out`, zeros in the rest (TFLite's channel padding
    /// before the add); the convolution then adds its result to it.
    private func place(_ residual: [Float], channels: Int, into out: inout [Float], _ output: Int) {
        let width = graph.shapes[output].channels
        if channels == width {
            out.withUnsafeMutableBufferPointer { o in _ = residual.withUnsafeBufferPointer { o.update(fromContentsOf: $0) } }
            return
        }
        let pixels = residual.count / channels
        residual.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<pixels {
                    for c in 0..<channels { o[p * width + c] = r[p * channels + c] }
                    for c in channels..<width { o[p * width + c] = 0 }
                }
            }
        }
    }
}

func add(_ a: [Float], _ b: [Float], relu: Bool, into out: inout [Float]) {
    for i in out.indices {
        let v = a[i] + b[i]
        out[i] = relu ? max(v, 0) : v
    }
}

/// TFLite's RESIZE_BILINEAR on one NHWC map: source positions from `alignCorners` or `halfPixel`, the lower
/// index clamped at 0 (a half-pixel position below 0 reads row 0 at full weight), the upper at the last row.
func resizeBilinear(
    _ input: [Float], _ from: MapShape, into out: inout [Float], _ to: MapShape, alignCorners: Bool, halfPixel: Bool
) {
    func axis(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
        let scale =
            alignCorners && outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : Float(inSize) / Float(outSize)
        return (0..<outSize).map { i in
            let position = halfPixel ? (Float(i) + 0.5) * scale - 0.5 : Float(i) * scale
            let low = Int(position.rounded(.down))
            let fraction = position - Float(low)
            if position < 0 { return (0, min(1, inSize - 1), Float(0)) }
            return (min(low, inSize - 1), min(low + 1, inSize - 1), fraction)
        }
    }
    let ys = axis(to.height, from.height), xs = axis(to.width, from.width)
    let c = from.channels
    input.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for (oy, (y0, y1, fy)) in ys.enumerated() {
                for (ox, (x0, x1, fx)) in xs.enumerated() {
                    let a = (y0 * from.width + x0) * c, b = (y0 * from.width + x1) * c
                    let d = (y1 * from.width + x0) * c, e = (y1 * from.width + x1) * c
                    let o = (oy * to.width + ox) * c
                    for k in 0..<c {
                        let top = src[a + k] * (1 - fx) + src[b + k] * fx
                        let bottom = src[d + k] * (1 - fx) + src[e + k] * fx
                        dst[o + k] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
    }
}

/// DEPTH_TO_SPACE (TensorFlow's DCR order): channel (by * block + bx) * C + c of a pixel goes to sub-pixel (by, bx).
func depthToSpace(_ input: [Float], _ from: MapShape, block: Int, into out: inout [Float]) {
    let c = from.channels / (block * block), outWidth = from.width * block
    input.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<from.height {
                for x in 0..<from.width {
                    let base = (y * from.width + x) * from.channels
                    for by in 0..<block {
                        for bx in 0..<block {
                            let o = ((y * block + by) * outWidth + x * block + bx) * c
                            let i = base + (by * block + bx) * c
                            for k in 0..<c { dst[o + k] = src[i + k] }
                        }
                    }
                }
            }
        }
    }
}
