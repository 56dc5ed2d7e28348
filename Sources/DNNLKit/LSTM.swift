import CDNNL

/// One unidirectional LSTM layer in fp32 over a batch of sequences, from a zero state, on oneDNN's RNN primitive:
/// all steps of all sequences in one call. Gates in PyTorch's order (input, forget, cell, output), which is
/// oneDNN's too. Threading rule: as its `Engine`.
public final class LSTM: @unchecked Sendable {
    public let batch: Int
    public let length: Int
    public let inputs: Int
    public let hidden: Int
    private let engine: Engine
    private let primitive: dnnl_primitive_t
    private let scratchpad: BoundMemory?
    private let source: BoundMemory
    private let destination: BoundMemory
    private let inputWeights: BoundMemory
    private let recurrentWeights: BoundMemory
    private let bias: BoundMemory
    private let biasValues: [Float]

    public var inputCount: Int { batch * length * inputs }
    public var outputCount: Int { batch * length * hidden }

    /// `inputWeights`: 4 hidden x inputs, `recurrentWeights`: 4 hidden x hidden, `bias`: 4 hidden (PyTorch's
    /// `weight_ih_l0`, `weight_hh_l0`, and `bias_ih_l0 + bias_hh_l0`).
    public init(
        engine: Engine, batch: Int, length: Int, inputs: Int, hidden: Int, inputWeights: [Float],
        recurrentWeights: [Float], bias biasValues: [Float]
    ) throws(DNNLError) {
        precondition(inputWeights.count == 4 * hidden * inputs, "input weights do not match the shape")
        precondition(recurrentWeights.count == 4 * hidden * hidden, "recurrent weights do not match the shape")
        precondition(biasValues.count == 4 * hidden, "bias does not match the shape")
        (self.batch, self.length, self.inputs, self.hidden) = (batch, length, inputs, hidden)
        self.engine = engine
        self.biasValues = biasValues
        let what = "an LSTM \(inputs)->\(hidden) over \(length) steps"
        // Sequences stay batch-major (ntc), as the Swift code around it writes and reads them.
        var sourceMD = try descriptor([length, batch, inputs], dnnl_f32, dnnl_ntc)
        var destinationMD = try descriptor([length, batch, hidden], dnnl_f32, dnnl_ntc)
        var anyInputMD = try descriptor([1, 1, inputs, 4, hidden], dnnl_f32, dnnl_format_tag_any)
        var anyRecurrentMD = try descriptor([1, 1, hidden, 4, hidden], dnnl_f32, dnnl_format_tag_any)
        var biasMD = try descriptor([1, 1, 4, hidden], dnnl_f32, dnnl_ldgo)
        var desc = dnnl_rnn_desc_t()
        try check(
            dnnl_lstm_forward_desc_init(
                &desc, dnnl_forward_inference, dnnl_unidirectional_left2right, &sourceMD, nil, nil, &anyInputMD,
                &anyRecurrentMD, &biasMD, &destinationMD, nil, nil, 0), "describing \(what)")
        let (primitive, chosen, scratchpad) = try createPrimitive(&desc, postOps: [], engine: engine, what: what)
        self.primitive = primitive
        self.scratchpad = scratchpad
        do throws(DNNLError) {
            guard chosen.count == 2 else {
                throw DNNLError(operation: "planning \(what)", status: "oneDNN did not report both weight layouts")
            }
            source = try BoundMemory(sourceMD, engine: engine, allocate: false, what: what)
            destination = try BoundMemory(destinationMD, engine: engine, allocate: false, what: what)
            bias = try BoundMemory(biasMD, engine: engine, allocate: false, what: what)
            // PyTorch's gates x inputs matrix is oneDNN's ldgoi layout as it is.
            self.inputWeights = try reorderedWeights(
                inputWeights, plain: try descriptor([1, 1, inputs, 4, hidden], dnnl_f32, dnnl_ldgoi),
                chosen: chosen[0], engine: engine, what: what)
            self.recurrentWeights = try reorderedWeights(
                recurrentWeights, plain: try descriptor([1, 1, hidden, 4, hidden], dnnl_f32, dnnl_ldgoi),
                chosen: chosen[1], engine: engine, what: what)
        } catch {
            dnnl_primitive_destroy(primitive)
            throw error
        }
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// Runs the layer over `input` (batch x length x inputs) into `output` (batch x length x hidden: every state).
    public func run(_ input: [Float], into output: inout [Float]) {
        precondition(
            input.count >= inputCount && output.count >= outputCount, "tensor sizes do not match the layer")
        executeWithBias(
            primitive, on: engine, source: source, input, destination: destination, &output, bias: bias,
            biasValues,
            weights: [(Argument.weights, inputWeights.memory), (Argument.recurrentWeights, recurrentWeights.memory)],
            scratchpad: scratchpad)
    }
}
