import CDNNL

/// Converts a batch of fp32 maps between layouts (NHWC and blocked), planned once.
/// Threading rule: as its `Engine`.
public final class LayoutChange: @unchecked Sendable {
    public let count: Int
    private let engine: Engine
    private let primitive: dnnl_primitive_t
    private let source: BoundMemory
    private let destination: BoundMemory

    public init(
        engine: Engine, batch: Int, channels: Int, height: Int, width: Int, from: Layout, to: Layout
    )
        throws(DNNLError)
    {
        count = batch * channels * height * width
        self.engine = engine
        let what = "a layout change of \(channels) channels at \(width)x\(height)"
        let sourceMD = try descriptor([batch, channels, height, width], dnnl_f32, from.tag)
        let destinationMD = try descriptor([batch, channels, height, width], dnnl_f32, to.tag)
        primitive = try createReorder(from: sourceMD, to: destinationMD, engine: engine, what: what)
        source = try BoundMemory(sourceMD, engine: engine, allocate: false, what: what)
        destination = try BoundMemory(destinationMD, engine: engine, allocate: false, what: what)
    }

    deinit { dnnl_primitive_destroy(primitive) }

    public func run(_ input: [Float], into output: inout [Float]) {
        precondition(input.count >= count && output.count >= count, "tensor sizes do not match the layout change")
        executeUnary(primitive, on: engine, source: source, input, destination: destination, &output)
    }
}
