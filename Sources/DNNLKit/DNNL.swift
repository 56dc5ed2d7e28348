import CDNNL

/// A oneDNN call that failed, with the operation it was doing.
public struct DNNLError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let status: String

    public var description: String { "oneDNN: \(operation) failed (\(status))" }
}

func check(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws(DNNLError) {
    guard status != dnnl_success else { return }
    let name: String
    switch status {
    case dnnl_out_of_memory: name = "out of memory"
    case dnnl_invalid_arguments: name = "invalid arguments"
    case dnnl_unimplemented: name = "no implementation for these shapes and data types on this CPU"
    case dnnl_runtime_error: name = "runtime error"
    default: name = "status \(status.rawValue)"
    }
    throw DNNLError(operation: operation(), status: name)
}

/// Arithmetic the convolutions run in. Activations between layers stay fp32 either way.
public enum Precision: String, Sendable, CaseIterable {
    case fp32
    /// bfloat16 inputs and weights with fp32 accumulation (AMX or AVX-512 BF16).
    case bf16
}

/// The CPU engine and an in-order stream.
///
/// Threading rule: primitives built on one `Engine` execute on its single
/// stream, so an engine and everything built on it must be used from one
/// thread at a time. Use one engine per thread for parallel inference.
public final class Engine: @unchecked Sendable {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    public init() throws(DNNLError) {
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        var stream: dnnl_stream_t?
        let status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue)
        if status != dnnl_success { dnnl_engine_destroy(engine) }
        try check(status, "creating a stream")
        self.engine = engine!
        self.stream = stream!
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }

    /// Sets how many OpenMP threads oneDNN uses for calls made from the current thread.
    public static func setThreadCount(_ count: Int) {
        omp_set_num_threads(Int32(max(1, count)))
    }

    /// The instruction set oneDNN dispatches to on this CPU, e.g. "avx512_core_amx".
    public static var instructionSet: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_sse41: return "sse41"
        case let other: return "isa 0x\(String(other.rawValue, radix: 16))"
        }
    }

    /// Whether this CPU has native bfloat16 arithmetic (AVX-512 BF16 or AMX).
    public static var supportsBF16: Bool { dispatches(to: dnnl_cpu_isa_avx512_core_bf16) }

    /// Whether oneDNN has kernels for the blocks-of-16 layout (`Layout.blocked16`) on this CPU: AVX-512 only.
    /// Elsewhere (AVX2) a blocked16 convolution falls back to oneDNN's reference kernel, ~1000x slower than NHWC.
    public static var hasBlocked16Kernels: Bool { dispatches(to: dnnl_cpu_isa_avx512_core) }

    /// oneDNN's ISA values are nested bit masks: a CPU offers `isa` when its effective ISA holds all of its bits.
    private static func dispatches(to isa: dnnl_cpu_isa_t) -> Bool {
        dnnl_get_effective_cpu_isa().rawValue & isa.rawValue == isa.rawValue
    }

    func wait() { dnnl_stream_wait(stream) }
}

/// Argument slots of `dnnl_primitive_execute` (the C macros alias each other, which Swift does not import).
enum Argument {
    static let source: Int32 = 1
    static let destination: Int32 = 17
    static let weights: Int32 = 33
    /// An RNN's recurrent weights (its input weights are `weights`).
    static let recurrentWeights: Int32 = 34
    static let bias: Int32 = 41
    static let scratchpad: Int32 = 80
}

/// A memory descriptor plus an object whose data pointer is set at each call.
final class BoundMemory {
    var descriptor: dnnl_memory_desc_t
    let memory: dnnl_memory_t

    /// `allocate`: oneDNN owns the buffer (used for reordered weights); otherwise the caller binds one per call.
    init(_ descriptor: dnnl_memory_desc_t, engine: Engine, allocate: Bool, what: String) throws(DNNLError) {
        self.descriptor = descriptor
        var memory: dnnl_memory_t?
        // DNNL_MEMORY_ALLOCATE is ((void *)-1); DNNL_MEMORY_NONE is NULL.
        let handle = allocate ? UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: -1)) : nil
        try check(dnnl_memory_create(&memory, &self.descriptor, engine.engine, handle), "creating memory for \(what)")
        self.memory = memory!
    }

    deinit { dnnl_memory_destroy(memory) }

    func bind(_ pointer: UnsafeRawPointer) {
        dnnl_memory_set_data_handle(memory, UnsafeMutableRawPointer(mutating: pointer))
    }
}

func descriptor(
    _ dims: [Int], _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t
) throws(DNNLError) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let shape = dims.map { Int64($0) }
    try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), shape, type, tag), "describing a \(dims) tensor")
    return md
}

/// Runs `primitive` once with the given arguments and waits for it.
func execute(
    _ primitive: dnnl_primitive_t, on engine: Engine, _ arguments: [(Int32, dnnl_memory_t)],
    scratchpad: BoundMemory? = nil
) {
    var args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
    if let scratchpad { args.append(dnnl_exec_arg_t(arg: Argument.scratchpad, memory: scratchpad.memory)) }
    args.withUnsafeBufferPointer { buffer in
        _ = dnnl_primitive_execute(primitive, engine.stream, Int32(buffer.count), buffer.baseAddress)
    }
    engine.wait()
}

/// Runs a primitive with one source and one destination (pooling, reorders) on these arrays and waits for it.
func executeUnary(
    _ primitive: dnnl_primitive_t, on engine: Engine, source: BoundMemory, _ input: [Float],
    destination: BoundMemory, _ output: inout [Float], scratchpad: BoundMemory? = nil
) {
    input.withUnsafeBytes { inputBytes in
        output.withUnsafeMutableBytes { outputBytes in
            source.bind(inputBytes.baseAddress!)
            destination.bind(outputBytes.baseAddress!)
            execute(
                primitive, on: engine, [(Argument.source, source.memory), (Argument.destination, destination.memory)],
                scratchpad: scratchpad)
        }
    }
}

/// Runs a primitive that reads `input` and a bias and writes `output` (inner product, LSTM) with its
/// oneDNN-owned weights (`weights`: argument slot and memory), and waits for it.
func executeWithBias(
    _ primitive: dnnl_primitive_t, on engine: Engine, source: BoundMemory, _ input: [Float],
    destination: BoundMemory, _ output: inout [Float], bias: BoundMemory, _ biasValues: [Float],
    weights: [(Int32, dnnl_memory_t)], scratchpad: BoundMemory?
) {
    input.withUnsafeBytes { inputBytes in
        output.withUnsafeMutableBytes { outputBytes in
            biasValues.withUnsafeBytes { b in
                source.bind(inputBytes.baseAddress!)
                destination.bind(outputBytes.baseAddress!)
                bias.bind(b.baseAddress!)
                execute(
                    primitive, on: engine,
                    [(Argument.source, source.memory)] + weights
                        + [(Argument.bias, bias.memory), (Argument.destination, destination.memory)],
                    scratchpad: scratchpad)
            }
        }
    }
}

/// Copies `source` (laid out as `from`) into oneDNN-owned `destination` (laid out as `to`).
func reorder(
    _ source: UnsafeRawPointer, from: dnnl_memory_desc_t, into destination: BoundMemory, engine: Engine, what: String
) throws(DNNLError) {
    let sourceMemory = try BoundMemory(from, engine: engine, allocate: false, what: what)
    sourceMemory.bind(source)
    let primitive = try createReorder(
        from: from, to: destination.descriptor, engine: engine, what: "the reorder of \(what)")
    defer { dnnl_primitive_destroy(primitive) }
    execute(
        primitive, on: engine, [(Argument.source, sourceMemory.memory), (Argument.destination, destination.memory)])
}

/// A reorder primitive from one memory layout to another; the caller destroys it.
func createReorder(
    from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, engine: Engine, what: String
) throws(DNNLError) -> dnnl_primitive_t {
    var (source, destination) = (from, to)
    var pd: dnnl_primitive_desc_t?
    try check(
        dnnl_reorder_primitive_desc_create(&pd, &source, engine.engine, &destination, engine.engine, nil),
        "planning \(what)")
    defer { dnnl_primitive_desc_destroy(pd) }
    var primitive: dnnl_primitive_t?
    try check(dnnl_primitive_create(&primitive, pd), "creating \(what)")
    return primitive!
}

/// How a batch of feature maps is laid out in memory. Both hold N x C x H x W values.
public enum Layout: Sendable, Hashable {
    /// Channels last: what the Swift code between primitives reads and writes.
    case nhwc
    /// Channels in blocks of 16 (oneDNN's nChw16c; C must be a multiple of 16): about 20% faster for the
    /// AVX-512 convolutions between two oneDNN primitives; only where `Engine.hasBlocked16Kernels`.
    case blocked16

    var tag: dnnl_format_tag_t { self == .nhwc ? dnnl_nhwc : dnnl_nChw16c }

    /// Whether a tensor of `channels` may use `.blocked16` on this CPU (fast kernels, and whole blocks).
    public static func blocked16Fits(channels: Int) -> Bool { Engine.hasBlocked16Kernels && channels % 16 == 0 }
}

/// What a convolution or inner product does to its result before storing it, in order.
public enum PostOp: Sendable, Hashable {
    /// Adds what the destination already holds (a residual connection).
    case addDestination
    case relu
    case tanh
}

/// Plans and creates the primitive for an operation descriptor (any of oneDNN's `*_desc_t`) with `postOps`.
/// Returns it with the weights layouts oneDNN chose (none, one, or two for an LSTM's input and recurrent weights).
func createPrimitive<Descriptor>(
    _ desc: inout Descriptor, postOps: [PostOp], engine: Engine, what: String
) throws(DNNLError) -> (dnnl_primitive_t, [dnnl_memory_desc_t], BoundMemory?) {
    var attr: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&attr), "creating attributes")
    defer { dnnl_primitive_attr_destroy(attr) }
    // Each primitive owns its scratchpad: oneDNN's default one is per thread and sized when a primitive is
    // created, so a Winograd convolution made on one thread and run on another wrote through a null pointer.
    try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "choosing the scratchpad")
    var ops: dnnl_post_ops_t?
    try check(dnnl_post_ops_create(&ops), "creating post-ops")
    defer { dnnl_post_ops_destroy(ops) }
    for op in postOps {
        switch op {
        case .addDestination: try check(dnnl_post_ops_append_sum(ops, 1), "adding a residual sum")
        case .relu: try check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "adding a ReLU")
        case .tanh: try check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_tanh, 0, 0), "adding a tanh")
        }
    }
    try check(dnnl_primitive_attr_set_post_ops(attr, ops), "attaching post-ops")
    var pd: dnnl_primitive_desc_t?
    let planned = withUnsafePointer(to: &desc) {
        dnnl_primitive_desc_create(&pd, UnsafeRawPointer($0), attr, engine.engine, nil)
    }
    try check(planned, "planning \(what)")
    defer { dnnl_primitive_desc_destroy(pd) }
    var primitive: dnnl_primitive_t?
    try check(dnnl_primitive_create(&primitive, pd), "creating \(what)")
    let weights = (0..<2).compactMap { index in
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, Int32(index))?.pointee
    }.filter { $0.ndims > 0 }
    var scratchpad: BoundMemory?
    if var md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)?.pointee,
        dnnl_memory_desc_get_size(&md) > 0
    {
        do throws(DNNLError) {
            scratchpad = try BoundMemory(md, engine: engine, allocate: true, what: "the scratchpad of \(what)")
        } catch {
            dnnl_primitive_destroy(primitive)
            throw error
        }
    }
    return (primitive!, weights, scratchpad)
}

/// Weights given in PyTorch's plain layout (`plain`), reordered once into oneDNN-owned memory laid out as `chosen`.
func reorderedWeights(
    _ values: [Float], plain: dnnl_memory_desc_t, chosen: dnnl_memory_desc_t, engine: Engine, what: String
) throws(DNNLError) -> BoundMemory {
    let weights = try BoundMemory(chosen, engine: engine, allocate: true, what: what)
    let failure: DNNLError? = values.withUnsafeBytes { raw in
        do throws(DNNLError) {
            try reorder(raw.baseAddress!, from: plain, into: weights, engine: engine, what: "the weights of \(what)")
        } catch { return error }
        return nil
    }
    if let failure { throw failure }
    return weights
}
