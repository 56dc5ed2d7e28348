import DNNLKit
import Glibc

/// A spatial attention map: one weight in 0...1 per feature-map position, row-major.
public struct AttentionMap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        self.width = width
        self.height = height
        self.values = values
    }

    public subscript(x: Int, y: Int) -> Float { values[y * width + x] }
}

/// What the network says about one face.
public struct NetworkOutput: Sendable {
    public var logits: [Float]
    /// Softmax of the logits.
    public var probabilities: [Float]
    /// CBAM spatial attention after the stem (input resolution).
    public var stemAttention: AttentionMap
    /// CBAM spatial attention after the last stage (the map that gates what the classifier sees).
    public var lastAttention: AttentionMap

    public init(logits: [Float], probabilities: [Float], stemAttention: AttentionMap, lastAttention: AttentionMap) {
        self.logits = logits
        self.probabilities = probabilities
        self.stemAttention = stemAttention
        self.lastAttention = lastAttention
    }
}

/// The oneDNN primitives and activation buffers for one batch size.
final class BatchPlan {
    struct Block {
        var conv1: Convolution
        var conv2: Convolution
        var shortcut: Convolution?
    }

    let batch: Int
    let stem: Convolution
    let blocks: [Block]
    var current: [Float]
    var scratch: [Float]
    var skip: [Float]
    /// bf16 only: a block's input rounded once for conv1 and the shortcut, and conv1's bf16 result.
    var roundedInput: [UInt16] = []
    var roundedScratch: [UInt16] = []

    init(
        batch: Int, weights: ModelWeights, description d: ModelDescription, engine: Engine, precision: Precision
    ) throws(DNNLError) {
        self.batch = batch
        func make(
            _ c: FoldedConvolution, size: Int, _ postOps: [PostOp], output: Precision = .fp32
        ) throws(DNNLError) -> Convolution {
            let shape = ConvolutionShape(
                batch: batch, inputChannels: c.inputChannels, outputChannels: c.outputChannels, height: size,
                width: size, kernel: c.kernel, stride: c.stride, padding: c.padding)
            // The stem sees one input channel; bf16 buys nothing there and costs a rounding of the input.
            let chosen: Precision = c.inputChannels == 1 ? .fp32 : precision
            return try Convolution(
                engine: engine, shape: shape, weights: c.weights, bias: c.bias, postOps: postOps,
                precision: chosen, output: chosen == .bf16 ? output : .fp32)
        }
        stem = try make(weights.stem, size: d.inputSize, [.relu])
        var size = d.inputSize
        var blocks: [Block] = []
        for block in weights.blocks {
            // conv1's result feeds conv2 alone, so in bf16 it stays bf16.
            let conv1 = try make(block.conv1, size: size, [.relu], output: .bf16)
            let outSize = conv1.shape.outputHeight
            blocks.append(
                Block(
                    conv1: conv1, conv2: try make(block.conv2, size: outSize, [.addDestination, .relu]),
                    shortcut: try block.shortcut.map { (s) throws(DNNLError) in try make(s, size: size, []) }))
            size = outSize
        }
        self.blocks = blocks
        let largest = batch * d.inputSize * d.inputSize * max(d.stemWidth, d.inputChannels, d.stageWidths.max()!)
        current = [Float](repeating: 0, count: largest)
        scratch = current
        skip = current
        if precision == .bf16 {
            // oneDNN writes into these unchecked, so they are sized for the largest tensor up front.
            roundedInput = [UInt16](repeating: 0, count: largest)
            roundedScratch = roundedInput
        }
    }

    /// Runs the residual blocks on `current`, leaving the last block's output there.
    func runBlocks() {
        for block in blocks {
            let rounded = block.conv1.precision == .bf16
            if rounded {
                roundToBFloat16(current, count: block.conv1.shape.inputCount, into: &roundedInput)
                block.conv1.run(bfloat16: roundedInput, intoBFloat16: &roundedScratch)
            } else {
                block.conv1.run(current, into: &scratch)
            }
            // conv2 adds its result to what its destination holds: the block's input, or the shortcut's result.
            if let shortcut = block.shortcut {
                if rounded {
                    shortcut.run(bfloat16: roundedInput, into: &skip)
                } else {
                    shortcut.run(current, into: &skip)
                }
                swap(&current, &skip)
            }
            if rounded {
                block.conv2.run(bfloat16: roundedScratch, into: &current)
            } else {
                block.conv2.run(scratch, into: &current)
            }
        }
    }
}

/// The ResNet+CBAM network on oneDNN. Convolutions (batch norm folded, ReLU and the
/// residual add fused as post-ops) run in oneDNN; the CBAM gates, pooling and the
/// classifier head are small and run here on NHWC buffers.
///
/// Threading rule: one thread at a time (it owns an `Engine` and reuses buffers).
public final class Network: @unchecked Sendable {
    public let description: ModelDescription
    public let precision: Precision
    public static let maximumBatch = 16
    let weights: ModelWeights
    private let engine: Engine
    private var plans: [Int: BatchPlan] = [:]

    init(description: ModelDescription, weights: ModelWeights, precision: Precision) throws(DNNLError) {
        self.description = description
        self.weights = weights
        self.precision = precision
        engine = try Engine()
    }

    private func plan(batch: Int) throws(DNNLError) -> BatchPlan {
        if let plan = plans[batch] { return plan }
        let plan = try BatchPlan(
            batch: batch, weights: weights, description: description, engine: engine, precision: precision)
        plans[batch] = plan
        return plan
    }

    /// Builds the oneDNN primitives for these batch sizes now, so that the first frames with that many
    /// faces are not slow.
    public func prepare(batchSizes: ClosedRange<Int>) throws(DNNLError) {
        for size in batchSizes where size <= Self.maximumBatch { _ = try plan(batch: size) }
    }

    /// Runs the network on normalised inputs (each `inputSize`² values, row-major), in batches.
    public func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput] {
        var outputs: [NetworkOutput] = []
        outputs.reserveCapacity(inputs.count)
        var start = 0
        while start < inputs.count {
            let count = min(Self.maximumBatch, inputs.count - start)
            outputs += try runBatch(inputs[start..<(start + count)])
            start += count
        }
        return outputs
    }

    private func runBatch(_ inputs: ArraySlice<[Float]>) throws(DNNLError) -> [NetworkOutput] {
        let d = description
        let plan = try plan(batch: inputs.count)
        let pixels = d.inputSize * d.inputSize
        var input = [Float](repeating: 0, count: inputs.count * pixels)
        for (i, face) in inputs.enumerated() {
            precondition(face.count == pixels, "a face must have \(pixels) values")
            input.replaceSubrange((i * pixels)..<((i + 1) * pixels), with: face)
        }
        plan.stem.run(input, into: &plan.current)
        let stemMaps = applyCBAM(weights.stemAttention, to: &plan.current, batch: plan.batch, size: d.inputSize)
        plan.runBlocks()
        let size = plan.blocks.last?.conv1.shape.outputHeight ?? d.inputSize
        let lastMaps = applyCBAM(weights.lastAttention, to: &plan.current, batch: plan.batch, size: size)
        let logits = classify(plan.current, batch: plan.batch, pixels: size * size)
        return (0..<plan.batch).map { i in
            NetworkOutput(
                logits: logits[i], probabilities: softmax(logits[i], temperature: d.temperature),
                stemAttention: stemMaps[i], lastAttention: lastMaps[i])
        }
    }

    /// Global average pooling, then the linear layer (dropout is the identity at inference).
    private func classify(_ features: [Float], batch: Int, pixels: Int) -> [[Float]] {
        let channels = weights.lastAttention.channels
        return (0..<batch).map { image in
            var pooled = [Float](repeating: 0, count: channels)
            features.withUnsafeBufferPointer { x in
                let base = image * pixels * channels
                for p in 0..<pixels { for c in 0..<channels { pooled[c] += x[base + p * channels + c] } }
            }
            let inverse = 1 / Float(pixels)
            return (0..<d.classCount).map { k in
                var sum: Float = 0
                for c in 0..<channels { sum += weights.classifier[k * channels + c] * pooled[c] * inverse }
                return sum + weights.classifierBias[k]
            }
        }
    }

    private var d: ModelDescription { description }
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

func softmax(_ logits: [Float], temperature: Float = 1) -> [Float] {
    let top = logits.max() ?? 0
    let exps = logits.map { expf(($0 - top) / temperature) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}
