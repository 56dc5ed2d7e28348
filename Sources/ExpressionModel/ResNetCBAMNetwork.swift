import DNNLKit
import Glibc

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
    /// Around the residual blocks: NHWC (what the CBAM gates read) to oneDNN's blocked layout and back; nil when
    /// a width is not a multiple of 16 and the blocks stay NHWC.
    let layoutChanges: (into: LayoutChange, back: LayoutChange)?
    var current: [Float]
    var scratch: [Float]
    var skip: [Float]
    /// bf16 only: a block's input rounded once for conv1 and the shortcut, and conv1's bf16 result.
    var roundedInput: [UInt16] = []
    var roundedScratch: [UInt16] = []

    init(batch: Int, weights: ResNetCBAMWeights, engine: Engine, precision: Precision) throws(DNNLError) {
        let d = weights.shape
        self.batch = batch
        // Blocked layouts let oneDNN use its fastest AVX-512 kernels for the blocks (Winograd for the fp32 3x3
        // ones); without AVX-512 oneDNN has none for them, and NHWC is the fast layout.
        let widths = [d.stemWidth] + d.stageWidths
        let blockable = widths.allSatisfy { Layout.blocked16Fits(channels: $0) } && !weights.blocks.isEmpty
        let layout: Layout = blockable ? .blocked16 : .nhwc
        func make(
            _ c: FoldedConvolution, size: Int, _ postOps: [PostOp], output: Precision = .fp32,
            layout: Layout = layout
        ) throws(DNNLError) -> Convolution {
            let shape = ConvolutionShape(
                batch: batch, inputChannels: c.inputChannels, outputChannels: c.outputChannels, height: size,
                width: size, kernel: c.kernel, stride: c.stride, padding: c.padding)
            // The stem sees one input channel; bf16 buys nothing there and costs a rounding of the input.
            let chosen: Precision = c.inputChannels == 1 ? .fp32 : precision
            return try Convolution(
                engine: engine, shape: shape, weights: c.weights, bias: c.bias, postOps: postOps,
                precision: chosen, output: chosen == .bf16 ? output : .fp32, layouts: (layout, layout))
        }
        stem = try make(weights.stem, size: d.inputSize, [.relu], layout: .nhwc)
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
        if layout == .blocked16, let last = blocks.last {
            let end = last.conv2.shape
            layoutChanges = (
                try LayoutChange(
                    engine: engine, batch: batch, channels: d.stemWidth, height: d.inputSize, width: d.inputSize,
                    from: .nhwc, to: .blocked16),
                try LayoutChange(
                    engine: engine, batch: batch, channels: end.outputChannels, height: end.outputHeight,
                    width: end.outputWidth, from: .blocked16, to: .nhwc)
            )
        } else {
            layoutChanges = nil
        }
        let largest = batch * d.inputSize * d.inputSize * max(d.stemWidth, d.stageWidths.max()!)
        current = [Float](repeating: 0, count: largest)
        scratch = current
        skip = current
        if precision == .bf16 {
            // oneDNN writes into these unchecked, so they are sized for the largest tensor up front.
            roundedInput = [UInt16](repeating: 0, count: largest)
            roundedScratch = roundedInput
        }
    }

    /// Runs the residual blocks on `current` (NHWC), leaving the last block's output there (NHWC).
    func runBlocks() {
        if let (into, _) = layoutChanges {
            into.run(current, into: &scratch)
            swap(&current, &scratch)
        }
        defer {
            if let (_, back) = layoutChanges {
                back.run(current, into: &scratch)
                swap(&current, &scratch)
            }
        }
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

/// The ResNet+CBAM network on oneDNN (seed 001, the default). Convolutions (batch norm folded, ReLU and the
/// residual add fused as post-ops) run in oneDNN; the CBAM gates, pooling and the classifier head are small and
/// run here on NHWC buffers. Its attention is the CBAM spatial gate after the last stage (the map that gates
/// what the classifier sees); the gate after the stem is in `details`.
///
/// Threading rule: one thread at a time (it owns an `Engine` and reuses buffers).
final class ResNetCBAMNetwork: PlannedNetwork, @unchecked Sendable {
    let precision: Precision
    private let weights: ResNetCBAMWeights
    private let temperature: Float
    let plans: PlanCache<BatchPlan>

    init(weights: ResNetCBAMWeights, temperature: Float, precision: Precision) throws(DNNLError) {
        self.weights = weights
        self.temperature = temperature
        self.precision = precision
        plans = try PlanCache { (batch, engine) throws(DNNLError) in
            try BatchPlan(batch: batch, weights: weights, engine: engine, precision: precision)
        }
    }

    func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput] {
        let d = weights.shape
        return try inBatches(inputs, pixels: d.inputSize * d.inputSize) { (input, count) throws(DNNLError) in
            let plan = try plans.plan(batch: count)
            plan.stem.run(input, into: &plan.current)
            let stemMaps = applyCBAM(weights.stemAttention, to: &plan.current, batch: count, size: d.inputSize)
            plan.runBlocks()
            let size = plan.blocks.last?.conv1.shape.outputHeight ?? d.inputSize
            let lastMaps = applyCBAM(weights.lastAttention, to: &plan.current, batch: count, size: size)
            let logits = classify(plan.current, batch: count, pixels: size * size)
            return (0..<count).map { i in
                NetworkOutput(
                    logits: logits[i], probabilities: softmax(logits[i], temperature: temperature),
                    attention: lastMaps[i],
                    details: ["stem_attention": stemMaps[i].values, "last_attention": lastMaps[i].values])
            }
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
            return (0..<weights.classCount).map { k in
                var sum: Float = 0
                for c in 0..<channels { sum += weights.classifier[k * channels + c] * pooled[c] * inverse }
                return sum + weights.classifierBias[k]
            }
        }
    }
}
