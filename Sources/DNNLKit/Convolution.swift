import CDNNL

/// Geometry of a 2-D convolution over a batch of NHWC images.
public struct ConvolutionShape: Sendable, Hashable {
    public var batch: Int
    public var inputChannels: Int
    public var outputChannels: Int
    public var height: Int
    public var width: Int
    public var kernel: Int
    public var stride: Int
    /// Zero rows and columns before the image (top and left).
    public var padding: Int
    /// Zero rows and columns after it (bottom and right): TensorFlow's SAME padding puts an odd one there.
    public var paddingEnd: Int
    /// Channel groups: 1 for a full convolution, `inputChannels` for a depthwise one.
    public var groups: Int

    public init(
        batch: Int, inputChannels: Int, outputChannels: Int, height: Int, width: Int, kernel: Int, stride: Int,
        padding: Int, paddingEnd: Int? = nil, groups: Int = 1
    ) {
        self.batch = batch
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.paddingEnd = paddingEnd ?? padding
        self.groups = groups
    }

    public var outputHeight: Int { (height + padding + paddingEnd - kernel) / stride + 1 }
    public var outputWidth: Int { (width + padding + paddingEnd - kernel) / stride + 1 }
    public var inputCount: Int { batch * height * width * inputChannels }
    public var outputCount: Int { batch * outputHeight * outputWidth * outputChannels }
    /// Weights in OIHW order, each output channel seeing `inputChannels / groups` inputs.
    public var weightCount: Int { outputChannels * (inputChannels / groups) * kernel * kernel }
}

/// One convolution primitive with its weights and bias, for NHWC tensors.
///
/// Weights come in PyTorch's OIHW order and are reordered once into the
/// layout oneDNN picks for this CPU. With `.bf16`, the input is bfloat16 (an fp32
/// input is rounded on the way in) and the result is fp32 or, with `output: .bf16`,
/// bfloat16 for a following bf16 convolution. Threading rule: as its `Engine`.
public final class Convolution: @unchecked Sendable {
    public let shape: ConvolutionShape
    public let precision: Precision
    /// The destination's type.
    public let output: Precision
    /// How oneDNN computes it: Winograd for fp32 3x3 kernels at stride 1 where oneDNN has a kernel and it
    /// measured faster (not 6x6 maps in a batch), else direct.
    public let algorithm: Algorithm
    public enum Algorithm: Sendable {
        case direct, winograd
        var kind: dnnl_alg_kind_t { self == .direct ? dnnl_convolution_direct : dnnl_convolution_winograd }
    }
    private let engine: Engine
    private let primitive: dnnl_primitive_t
    private let scratchpad: BoundMemory?
    private let source: BoundMemory
    private let destination: BoundMemory
    private let weights: BoundMemory
    private let bias: BoundMemory
    private let biasValues: [Float]
    private var staging: [UInt16]

    public init(
        engine: Engine, shape: ConvolutionShape, weights oihw: [Float], bias biasValues: [Float], postOps: [PostOp],
        precision: Precision,
        output: Precision = .fp32, layouts: (source: Layout, destination: Layout) = (.nhwc, .nhwc),
        allowWinograd: Bool = true
    ) throws(DNNLError) {
        let s = shape
        precondition(
            s.groups >= 1 && s.inputChannels % s.groups == 0 && s.outputChannels % s.groups == 0,
            "channels do not split into the groups")
        precondition(oihw.count == s.weightCount, "weights do not match the shape")
        precondition(biasValues.count == s.outputChannels, "bias does not match the shape")
        self.shape = shape
        precondition(output == .fp32 || precision == .bf16, "a bf16 result needs a bf16 convolution")
        self.precision = precision
        self.output = output
        self.engine = engine
        let compute = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        let what =
            "a \(s.kernel)x\(s.kernel) convolution \(s.inputChannels)->\(s.outputChannels) at \(s.width)x\(s.height)"

        precondition(layouts.source == .nhwc || s.inputChannels % 16 == 0, "blocked layouts need 16k channels")
        precondition(layouts.destination == .nhwc || s.outputChannels % 16 == 0, "blocked layouts need 16k channels")
        var sourceMD = try descriptor([s.batch, s.inputChannels, s.height, s.width], compute, layouts.source.tag)
        var destinationMD = try descriptor(
            [s.batch, s.outputChannels, s.outputHeight, s.outputWidth], output == .bf16 ? dnnl_bf16 : dnnl_f32,
            layouts.destination.tag)
        // Grouped weights are 5-D for oneDNN: groups x (outputs / groups) x (inputs / groups) x kernel x kernel.
        let weightDims =
            s.groups == 1
            ? [s.outputChannels, s.inputChannels, s.kernel, s.kernel]
            : [s.groups, s.outputChannels / s.groups, s.inputChannels / s.groups, s.kernel, s.kernel]
        var anyWeightsMD = try descriptor(weightDims, compute, dnnl_format_tag_any)
        var biasMD = try descriptor([s.outputChannels], dnnl_f32, dnnl_a)
        let strides: [Int64] = [Int64(s.stride), Int64(s.stride)]
        let padding: [Int64] = [Int64(s.padding), Int64(s.padding)]
        let paddingEnd: [Int64] = [Int64(s.paddingEnd), Int64(s.paddingEnd)]
        func create(_ algorithm: Algorithm) throws(DNNLError) -> (dnnl_primitive_t, [dnnl_memory_desc_t], BoundMemory?)
        {
            var desc = dnnl_convolution_desc_t()
            try check(
                dnnl_convolution_forward_desc_init(
                    &desc, dnnl_forward_inference, algorithm.kind, &sourceMD, &anyWeightsMD,
                    &biasMD, &destinationMD, strides, padding, paddingEnd), "describing \(what)")
            return try createPrimitive(&desc, postOps: postOps, engine: engine, what: what)
        }
        // Winograd does fewer multiplications for fp32 3x3 kernels at stride 1: 1.1-2.2x faster per layer
        // (ONEDNN_VERBOSE, docs/benchmarks.md), except on 6x6 maps at batch 4, where oneDNN's 4x3 tiles made
        // it 1.1-1.7x slower. oneDNN declines the shapes, post-ops and CPUs it has no kernel for: those stay direct.
        var made: (dnnl_primitive_t, [dnnl_memory_desc_t], BoundMemory?)?
        let winogradPays = s.outputWidth >= 12 || s.batch == 1
        if allowWinograd && winogradPays && precision == .fp32 && s.kernel == 3 && s.stride == 1 && s.groups == 1 {
            made = try? create(.winograd)
        }
        algorithm = made == nil ? .direct : .winograd
        if made == nil { made = try create(.direct) }
        let (primitive, chosenWeights, scratchpad) = made!
        self.primitive = primitive
        self.scratchpad = scratchpad

        source = try BoundMemory(sourceMD, engine: engine, allocate: false, what: what)
        destination = try BoundMemory(destinationMD, engine: engine, allocate: false, what: what)
        bias = try BoundMemory(biasMD, engine: engine, allocate: false, what: what)
        weights = try reorderedWeights(
            oihw, plain: try descriptor(weightDims, dnnl_f32, s.groups == 1 ? dnnl_oihw : dnnl_goihw),
            chosen: chosenWeights[0], engine: engine, what: what)
        self.biasValues = biasValues
        staging = precision == .bf16 ? [UInt16](repeating: 0, count: s.inputCount) : []
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// Convolves `input` (NHWC, `shape.inputCount` values) into `output` (NHWC, `shape.outputCount`).
    /// With `.addDestination`, `output` must hold the values to add. A bf16 convolution
    /// rounds the input first; when several read the same input, round it once with
    /// `roundToBFloat16` and use `run(bfloat16:into:)`.
    public func run(_ input: [Float], into output: inout [Float]) {
        precondition(
            input.count >= shape.inputCount && output.count >= shape.outputCount,
            "tensor sizes do not match the convolution")
        precondition(self.output == .fp32, "this convolution writes bf16")
        if precision == .bf16 {
            roundToBFloat16(input, count: shape.inputCount, into: &staging)
            run(bfloat16: staging, into: &output)
            return
        }
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { execute(source: source.baseAddress!, destination: $0.baseAddress!) }
        }
    }

    /// Convolves bfloat16 `input` into fp32 `output` (a bf16 convolution only).
    public func run(bfloat16 input: [UInt16], into output: inout [Float]) {
        precondition(precision == .bf16 && self.output == .fp32, "not a bf16 -> fp32 convolution")
        precondition(
            input.count >= shape.inputCount && output.count >= shape.outputCount,
            "tensor sizes do not match the convolution")
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { execute(source: source.baseAddress!, destination: $0.baseAddress!) }
        }
    }

    /// Convolves bfloat16 `input` into bfloat16 `output` (made with `output: .bf16`).
    public func run(bfloat16 input: [UInt16], intoBFloat16 output: inout [UInt16]) {
        precondition(precision == .bf16 && self.output == .bf16, "not a bf16 -> bf16 convolution")
        precondition(
            input.count >= shape.inputCount && output.count >= shape.outputCount,
            "tensor sizes do not match the convolution")
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { execute(source: source.baseAddress!, destination: $0.baseAddress!) }
        }
    }

    private func execute(source pointer: UnsafeRawPointer, destination out: UnsafeMutableRawPointer) {
        source.bind(pointer)
        destination.bind(out)
        biasValues.withUnsafeBytes { b in
            bias.bind(b.baseAddress!)
            DNNLKit.execute(
                primitive, on: engine,
                [
                    (Argument.source, source.memory), (Argument.weights, weights.memory),
                    (Argument.bias, bias.memory), (Argument.destination, destination.memory),
                ], scratchpad: scratchpad)
        }
    }
}

/// Rounds the first `count` values of `input` to bfloat16 (to nearest, ties to even;
/// NaN is not expected in activations) into `output`, which grows when shorter.
public func roundToBFloat16(_ input: [Float], count: Int, into output: inout [UInt16]) {
    precondition(count <= input.count, "rounding more values than there are")
    if output.count < count { output += [UInt16](repeating: 0, count: count - output.count) }
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                let bits = input[i].bitPattern
                let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
                out[i] = UInt16(truncatingIfNeeded: rounded >> 16)
            }
        }
    }
}
