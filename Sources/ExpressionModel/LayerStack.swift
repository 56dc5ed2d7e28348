import DNNLKit

/// One step of a feed-forward stack of the seed systems, as read from a model file.
enum LayerSpec: Sendable {
    /// A convolution (batch norm folded) with its activation fused.
    case convolution(FoldedConvolution, [PostOp])
    case maxPool(kernel: Int)
    /// The mean over all positions (PyTorch's `AdaptiveAvgPool2d(1)`).
    case globalAveragePool
    /// A fully connected layer over everything before it, flattened in PyTorch's (channel, row, column) order.
    case dense(DenseWeights, [PostOp])
}

/// A chain of `LayerSpec`s planned on oneDNN for one batch size: each step reads the previous step's NHWC
/// output from one of two reused buffers.
final class LayerStack {
    private enum Step {
        case convolution(Convolution)
        case pooling(Pooling)
        case dense(InnerProduct)
        case layoutChange(LayoutChange)
    }

    private let steps: [Step]
    private var buffers: [[Float]]
    /// Per image, after the last step.
    let channels: Int
    let height: Int
    let width: Int

    /// `size`: the input's side; it has `channels` channels. The layers' sizes follow from the architecture and
    /// were checked against the file's tensors when it was read, so a mismatch here is a programming error.
    /// `precision`: the convolutions' arithmetic (one with a single input channel stays fp32: bf16 buys nothing
    /// there and costs a rounding of the input); pooling and fully connected layers are fp32.
    init(
        _ specs: [LayerSpec], batch: Int, channels: Int, size: Int, precision: Precision, engine: Engine
    ) throws(DNNLError) {
        var (c, h, w) = (channels, size, size)
        var steps: [Step] = []
        var largest = batch * c * h * w
        // Runs of two or more convolutions with 16k channels in and out (and the pools between them) work in
        // oneDNN's blocked layout, changed to and from NHWC around the run: oneDNN's fast kernels take blocked
        // in and out or NHWC in and out, and fall back to a reference kernel 200x slower when the two differ.
        // What enters and leaves the stack, and every fully connected layer's input, is NHWC.
        var layout = Layout.nhwc
        func change(to target: Layout) throws(DNNLError) {
            guard layout != target else { return }
            steps.append(
                .layoutChange(
                    try LayoutChange(
                        engine: engine, batch: batch, channels: c, height: h, width: w, from: layout, to: target)))
            layout = target
        }
        // A convolution goes blocked when it can and a neighbouring one can too (pools between them do not
        // matter): a lone blocked convolution would pay two layout changes for one faster kernel.
        let convolutions = specs.enumerated().compactMap { i, spec -> (index: Int, blockable: Bool)? in
            guard case let .convolution(conv, _) = spec else { return nil }
            let fits = [conv.inputChannels, conv.outputChannels].allSatisfy { Layout.blocked16Fits(channels: $0) }
            return (i, fits)
        }
        let blocked = Set(
            convolutions.indices.filter { k in
                convolutions[k].blockable
                    && ((k > 0 && convolutions[k - 1].blockable)
                        || (k + 1 < convolutions.count && convolutions[k + 1].blockable))
            }.map { convolutions[$0].index })
        for (index, spec) in specs.enumerated() {
            switch spec {
            case let .convolution(conv, postOps):
                precondition(conv.inputChannels == c, "convolution input channels")
                let shape = ConvolutionShape(
                    batch: batch, inputChannels: c, outputChannels: conv.outputChannels, height: h, width: w,
                    kernel: conv.kernel, stride: conv.stride, padding: conv.padding)
                try change(to: blocked.contains(index) ? .blocked16 : .nhwc)
                steps.append(
                    .convolution(
                        try Convolution(
                            engine: engine, shape: shape, weights: conv.weights, bias: conv.bias, postOps: postOps,
                            precision: c == 1 ? .fp32 : precision, layouts: (layout, layout))))
                (c, h, w) = (conv.outputChannels, shape.outputHeight, shape.outputWidth)
            case let .maxPool(kernel):
                let pool = try Pooling(
                    .maximum, engine: engine, batch: batch, channels: c, height: h, width: w, kernel: kernel,
                    stride: kernel, layout: layout)
                steps.append(.pooling(pool))
                (h, w) = (pool.outputHeight, pool.outputWidth)
            case .globalAveragePool:
                precondition(h == w, "global pooling of a square map")
                steps.append(
                    .pooling(
                        try Pooling(
                            .average, engine: engine, batch: batch, channels: c, height: h, width: w, kernel: h,
                            stride: h, layout: layout)))
                (h, w) = (1, 1)
            case let .dense(dense, postOps):
                precondition(dense.inputs == c * h * w, "dense layer inputs")
                try change(to: .nhwc)
                steps.append(
                    .dense(
                        try InnerProduct(
                            engine: engine, batch: batch, channels: c, height: h, width: w, outputs: dense.outputs,
                            weights: dense.weights, bias: dense.bias, postOps: postOps)))
                (c, h, w) = (dense.outputs, 1, 1)
            }
            largest = max(largest, batch * c * h * w)
        }
        try change(to: .nhwc)
        self.steps = steps
        (self.channels, self.height, self.width) = (c, h, w)
        buffers = [[Float]](repeating: [Float](repeating: 0, count: largest), count: 2)
    }

    /// Runs every step on `input` (the batch, NHWC); the result is the first `batch * channels * height * width`
    /// values of the returned buffer.
    func run(_ input: [Float]) -> [Float] {
        var source = input
        for (i, step) in steps.enumerated() {
            let target = i % 2
            switch step {
            case let .convolution(conv): conv.run(source, into: &buffers[target])
            case let .pooling(pool): pool.run(source, into: &buffers[target])
            case let .dense(dense): dense.run(source, into: &buffers[target])
            case let .layoutChange(change): change.run(source, into: &buffers[target])
            }
            source = buffers[target]
        }
        return source
    }
}
