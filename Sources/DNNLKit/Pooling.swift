import CDNNL

/// Max or average pooling over a batch of fp32 maps (NHWC or blocked), without padding; the output size rounds down, as
/// PyTorch's `MaxPool2d` and `AvgPool2d` do. Threading rule: as its `Engine`.
public final class Pooling: @unchecked Sendable {
    public enum Kind: Sendable {
        case maximum, average
    }

    public let kind: Kind
    public let batch: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernel: Int
    public let stride: Int
    private let engine: Engine
    private let primitive: dnnl_primitive_t
    private let scratchpad: BoundMemory?
    private let source: BoundMemory
    private let destination: BoundMemory

    public var outputHeight: Int { (height - kernel) / stride + 1 }
    public var outputWidth: Int { (width - kernel) / stride + 1 }
    public var inputCount: Int { batch * height * width * channels }
    public var outputCount: Int { batch * outputHeight * outputWidth * channels }

    public init(
        _ kind: Kind, engine: Engine, batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int,
        layout: Layout = .nhwc
    ) throws(DNNLError) {
        precondition(layout == .nhwc || channels % 16 == 0, "blocked layouts need 16k channels")
        self.kind = kind
        precondition(kernel >= 1 && stride >= 1 && height >= kernel && width >= kernel, "pooling window too large")
        (self.batch, self.channels, self.height, self.width, self.kernel, self.stride) =
            (batch, channels, height, width, kernel, stride)
        self.engine = engine
        let what =
            "a \(kernel)x\(kernel) \(kind == .maximum ? "max" : "average") pooling of \(channels) channels at "
            + "\(width)x\(height)"
        var sourceMD = try descriptor([batch, channels, height, width], dnnl_f32, layout.tag)
        var destinationMD = try descriptor(
            [batch, channels, (height - kernel) / stride + 1, (width - kernel) / stride + 1], dnnl_f32, layout.tag)
        let zero: [Int64] = [0, 0]
        var desc = dnnl_pooling_v2_desc_t()
        try check(
            dnnl_pooling_v2_forward_desc_init(
                &desc, dnnl_forward_inference, kind == .maximum ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding,
                &sourceMD, &destinationMD,
                [Int64(stride), Int64(stride)], [Int64(kernel), Int64(kernel)], zero, zero, zero),
            "describing \(what)")
        (primitive, _, scratchpad) = try createPrimitive(&desc, postOps: [], engine: engine, what: what)
        source = try BoundMemory(sourceMD, engine: engine, allocate: false, what: what)
        destination = try BoundMemory(destinationMD, engine: engine, allocate: false, what: what)
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// Pools `input` (`inputCount` values) into `output` (`outputCount`).
    public func run(_ input: [Float], into output: inout [Float]) {
        precondition(input.count >= inputCount && output.count >= outputCount, "tensor sizes do not match the pooling")
        executeUnary(
            primitive, on: engine, source: source, input, destination: destination, &output, scratchpad: scratchpad)
    }
}
