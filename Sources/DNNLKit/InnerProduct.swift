import CDNNL

/// A fully connected layer in fp32 over a batch of inputs: plain vectors, or NHWC maps that PyTorch flattened
/// in (channel, row, column) order before its `Linear`. Threading rule: as its `Engine`.
public final class InnerProduct: @unchecked Sendable {
    public let batch: Int
    /// Per input: channels x height x width values (height = width = 1 for a vector).
    public let channels: Int
    public let height: Int
    public let width: Int
    public let outputs: Int
    private let engine: Engine
    private let primitive: dnnl_primitive_t
    private let scratchpad: BoundMemory?
    private let source: BoundMemory
    private let destination: BoundMemory
    private let weights: BoundMemory
    private let bias: BoundMemory
    private let biasValues: [Float]

    public var inputCount: Int { batch * channels * height * width }
    public var outputCount: Int { batch * outputs }

    /// `weights`: outputs x (channels x height x width), PyTorch's `Linear.weight`.
    public init(
        engine: Engine, batch: Int, channels: Int, height: Int = 1, width: Int = 1, outputs: Int, weights: [Float],
        bias biasValues: [Float], postOps: [PostOp] = []
    ) throws(DNNLError) {
        precondition(weights.count == outputs * channels * height * width, "weights do not match the shape")
        precondition(biasValues.count == outputs, "bias does not match the shape")
        (self.batch, self.channels, self.height, self.width, self.outputs) = (batch, channels, height, width, outputs)
        self.engine = engine
        self.biasValues = biasValues
        let what = "a fully connected layer \(channels * height * width)->\(outputs)"
        // A spatial input is the NHWC map read as one vector in (row, column, channel) order, with the weights
        // permuted once from PyTorch's (channel, row, column): oneDNN's inner product on a 4-D NHWC source
        // takes a slow path (0.7 ms for MANet's 576 -> 8 at batch 4), the 2-D product a fast one.
        let inputs = channels * height * width
        let plain =
            height * width == 1
            ? weights
            : (0..<(outputs * inputs)).map { i in
                let o = i / inputs, position = (i % inputs) / channels, c = i % channels
                return weights[o * inputs + c * height * width + position]
            }
        var sourceMD = try descriptor([batch, inputs], dnnl_f32, dnnl_nc)
        let plainWeightsMD = try descriptor([outputs, inputs], dnnl_f32, dnnl_oi)
        var anyWeightsMD = try descriptor([outputs, inputs], dnnl_f32, dnnl_format_tag_any)
        var biasMD = try descriptor([outputs], dnnl_f32, dnnl_a)
        var destinationMD = try descriptor([batch, outputs], dnnl_f32, dnnl_nc)
        var desc = dnnl_inner_product_desc_t()
        try check(
            dnnl_inner_product_forward_desc_init(
                &desc, dnnl_forward_inference, &sourceMD, &anyWeightsMD, &biasMD, &destinationMD),
            "describing \(what)")
        let (primitive, chosenWeights, scratchpad) = try createPrimitive(
            &desc, postOps: postOps, engine: engine, what: what)
        self.primitive = primitive
        self.scratchpad = scratchpad
        source = try BoundMemory(sourceMD, engine: engine, allocate: false, what: what)
        destination = try BoundMemory(destinationMD, engine: engine, allocate: false, what: what)
        bias = try BoundMemory(biasMD, engine: engine, allocate: false, what: what)
        self.weights = try reorderedWeights(
            plain, plain: plainWeightsMD, chosen: chosenWeights[0], engine: engine, what: what)
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// Applies the layer to `input` (`inputCount` values) into `output` (`outputCount`).
    public func run(_ input: [Float], into output: inout [Float]) {
        precondition(
            input.count >= inputCount && output.count >= outputCount, "tensor sizes do not match the layer")
        executeWithBias(
            primitive, on: engine, source: source, input, destination: destination, &output, bias: bias,
            biasValues, weights: [(Argument.weights, weights.memory)],
            scratchpad: scratchpad)
    }
}
