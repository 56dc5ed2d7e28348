import DNNLKit
import Glibc

/// Additive attention over a sequence: scores q . tanh(W v + b), softmax over the sequence.
struct AdditiveAttentionWeights: Sendable {
    var project: DenseWeights
    var query: [Float]
}

/// One LSTM layer (PyTorch's gate order: input, forget, cell, output).
struct LSTMWeights: Sendable {
    var inputs: Int
    var hidden: Int
    /// 4 hidden x inputs, and the two biases summed.
    var input: DenseWeights
    /// W_hh transposed in panels of `panelWidth` gates: panel p holds, for each state k, the weights from k to
    /// gates 128p..<128p+128, so that one step is a sum of rows scaled by the state (vector work, no horizontal
    /// sums) read front to back, one panel at a time.
    var recurrentPanels: [Float]
    /// W_hh as PyTorch stores it, 4 hidden x hidden (oneDNN's LSTM primitive reads this).
    var recurrent: [Float]
    static let panelWidth = 128

    /// `weights`: W_hh as PyTorch stores it, gates x hidden.
    static func panels(_ weights: [Float], gates: Int, hidden: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(weights.count)
        for start in stride(from: 0, to: gates, by: panelWidth) {
            for k in 0..<hidden {
                for gate in start..<min(start + panelWidth, gates) { out.append(weights[gate * hidden + k]) }
            }
        }
        return out
    }
}

/// CNN-ALSTM (seed 002, light size): a small CNN, its 6x6 map read as a sequence of 36 vectors, local
/// attention weighting each vector, an LSTM, global attention over its states, the classifier
/// (training/arch/cnn_alstm.py).
struct CNNALSTMWeights: Sendable {
    var cnn: [LayerSpec]
    var local: AdditiveAttentionWeights?
    var lstm: LSTMWeights
    var global: AdditiveAttentionWeights
    var classifier: DenseWeights

    static let sizes = ["light": (channels: [16, 32, 64, 64], hidden: 128)]

    init(file: SafeTensorsFile, config: ModelConfig, description: ModelDescription) throws(ModelFileError) {
        let classes = try config.classCount("classes", default: 7, matching: description)
        // The paper size (2 x 512 LSTM) is over the real-time budget and never trained (seed-systems.md).
        let size = try config.string("size", oneOf: ["light"], default: "light")
        let (c, hidden) = Self.sizes[size]!
        cnn = [
            .convolution(try file.convolution("cnn.0", hasBias: true, inputs: 1, outputs: c[0], kernel: 1), [.relu]),
            .convolution(try file.convolution("cnn.2", hasBias: true, inputs: c[0], outputs: c[1], kernel: 3), [.relu]),
            .maxPool(kernel: 2),
            .convolution(try file.convolution("cnn.5", hasBias: true, inputs: c[1], outputs: c[2], kernel: 3), [.relu]),
            .maxPool(kernel: 2),
            .convolution(try file.convolution("cnn.8", hasBias: true, inputs: c[2], outputs: c[3], kernel: 3), [.relu]),
            .maxPool(kernel: 2),
        ]
        func attention(_ prefix: String, features: Int) throws(ModelFileError) -> AdditiveAttentionWeights {
            AdditiveAttentionWeights(
                project: try file.dense("\(prefix).project", inputs: features, outputs: features),
                query: try file.floats("\(prefix).query", shape: [features]))
        }
        local = try config.flag("local_attention", default: true) ? try attention("local", features: c[3]) : nil
        let biasIH = try file.floats("lstm.bias_ih_l0", shape: [4 * hidden])
        let biasHH = try file.floats("lstm.bias_hh_l0", shape: [4 * hidden])
        let recurrent = try file.floats("lstm.weight_hh_l0", shape: [4 * hidden, hidden])
        lstm = LSTMWeights(
            inputs: c[3], hidden: hidden,
            input: DenseWeights(
                weights: try file.floats("lstm.weight_ih_l0", shape: [4 * hidden, c[3]]),
                bias: zip(biasIH, biasHH).map(+), inputs: c[3], outputs: 4 * hidden),
            recurrentPanels: LSTMWeights.panels(recurrent, gates: 4 * hidden, hidden: hidden), recurrent: recurrent)
        global = try attention("glob", features: hidden)
        classifier = try file.dense("classifier", inputs: hidden, outputs: classes)
    }
}

/// CNN-ALSTM on oneDNN: the CNN, every projection over the whole sequence (attention and the LSTM's input
/// side, all positions of all faces in one call), the classifier, and for two or more faces the whole LSTM in
/// oneDNN; for one face the recurrence (36 steps of a 512x128 product) here, and the softmaxes here. Its
/// attention is the global weights over the LSTM's states laid back on the 6x6 grid, scaled so the largest
/// is 1; both raw weight sets are in `details`.
///
/// Threading rule: one thread at a time (it owns an `Engine` and reuses buffers).
final class CNNALSTMNetwork: PlannedNetwork, @unchecked Sendable {
    final class Plan {
        let cnn: LayerStack
        let localProject: InnerProduct?
        /// oneDNN's LSTM runs the sequences of several faces as matrix products, 10-20% faster per face from two
        /// faces up; for one face the Swift recurrence after oneDNN's input projection is 3-4% faster
        /// (docs/benchmarks.md, "The LSTM").
        enum Recurrence {
            case swift(inputProject: InnerProduct)
            case oneDNN(LSTM)
        }
        let recurrence: Recurrence
        let globalProject: InnerProduct
        let classifier: InnerProduct
        var projected: [Float]
        var gates: [Float]
        var states: [Float]
        var summary: [Float]
        var logits: [Float]

        init(_ w: CNNALSTMWeights, batch: Int, precision: Precision, engine: Engine) throws(DNNLError) {
            cnn = try LayerStack(w.cnn, batch: batch, channels: 1, size: 48, precision: precision, engine: engine)
            let steps = batch * cnn.height * cnn.width
            func dense(_ d: DenseWeights, rows: Int, _ postOps: [PostOp]) throws(DNNLError) -> InnerProduct {
                try InnerProduct(
                    engine: engine, batch: rows, channels: d.inputs, outputs: d.outputs, weights: d.weights,
                    bias: d.bias, postOps: postOps)
            }
            localProject = try w.local.map { (a) throws(DNNLError) in try dense(a.project, rows: steps, [.tanh]) }
            recurrence =
                batch == 1
                ? .swift(inputProject: try dense(w.lstm.input, rows: steps, []))
                : .oneDNN(
                    try LSTM(
                        engine: engine, batch: batch, length: cnn.height * cnn.width, inputs: w.lstm.inputs,
                        hidden: w.lstm.hidden, inputWeights: w.lstm.input.weights,
                        recurrentWeights: w.lstm.recurrent, bias: w.lstm.input.bias))
            globalProject = try dense(w.global.project, rows: steps, [.tanh])
            classifier = try dense(w.classifier, rows: batch, [])
            projected = [Float](repeating: 0, count: steps * max(w.lstm.hidden, w.lstm.inputs))
            gates = [Float](repeating: 0, count: batch == 1 ? steps * 4 * w.lstm.hidden : 0)
            states = [Float](repeating: 0, count: steps * w.lstm.hidden)
            summary = [Float](repeating: 0, count: batch * w.lstm.hidden)
            logits = [Float](repeating: 0, count: batch * w.classifier.outputs)
        }
    }

    let precision: Precision
    private let weights: CNNALSTMWeights
    private let temperature: Float
    let plans: PlanCache<Plan>

    init(weights: CNNALSTMWeights, temperature: Float, precision: Precision) throws(DNNLError) {
        self.weights = weights
        self.temperature = temperature
        self.precision = precision
        plans = try PlanCache { (batch, engine) throws(DNNLError) in
            try Plan(weights, batch: batch, precision: precision, engine: engine)
        }
    }

    func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput] {
        try inBatches(inputs, pixels: 48 * 48) { (input, count) throws(DNNLError) in
            let plan = try plans.plan(batch: count)
            let w = weights
            var sequence = plan.cnn.run(input)
            let grid = plan.cnn.height, length = grid * grid
            let features = w.lstm.inputs, hidden = w.lstm.hidden
            var localWeights: [[Float]] = []
            if let local = w.local, let project = plan.localProject {
                project.run(sequence, into: &plan.projected)
                localWeights = attend(plan.projected, query: local.query, batch: count, length: length)
                // Each vector times its weight and the length, so that the mean weight is 1.
                for i in 0..<count {
                    for t in 0..<length {
                        let scale = localWeights[i][t] * Float(length)
                        for c in 0..<features { sequence[(i * length + t) * features + c] *= scale }
                    }
                }
            }
            switch plan.recurrence {
            case .oneDNN(let lstm):
                lstm.run(sequence, into: &plan.states)
            case .swift(let inputProject):
                inputProject.run(sequence, into: &plan.gates)
                recur(plan, batch: count, length: length)
            }
            plan.globalProject.run(plan.states, into: &plan.projected)
            let globalWeights = attend(plan.projected, query: w.global.query, batch: count, length: length)
            for i in 0..<count {
                for h in 0..<hidden {
                    var sum: Float = 0
                    for t in 0..<length { sum += globalWeights[i][t] * plan.states[(i * length + t) * hidden + h] }
                    plan.summary[i * hidden + h] = sum
                }
            }
            plan.classifier.run(plan.summary, into: &plan.logits)
            let classes = w.classifier.outputs
            return (0..<count).map { i in
                let logits = Array(plan.logits[(i * classes)..<((i + 1) * classes)])
                let top = max(globalWeights[i].max() ?? 1, .leastNormalMagnitude)
                var details = ["global": globalWeights[i]]
                if !localWeights.isEmpty { details["local"] = localWeights[i] }
                return NetworkOutput(
                    logits: logits, probabilities: softmax(logits, temperature: temperature),
                    attention: AttentionMap(width: grid, height: grid, values: globalWeights[i].map { $0 / top }),
                    details: details)
            }
        }
    }

    /// Softmax over each sequence of the scores q . projected_t (projected already through tanh).
    private func attend(_ projected: [Float], query: [Float], batch: Int, length: Int) -> [[Float]] {
        let features = query.count
        return projected.withUnsafeBufferPointer { p in
            query.withUnsafeBufferPointer { q in
                (0..<batch).map { i in
                    softmax(
                        (0..<length).map { t in
                            dot(p.baseAddress! + (i * length + t) * features, q.baseAddress!, count: features)
                        })
                }
            }
        }
    }

    /// The LSTM over each sequence from zero state: gates hold W_ih x_t + b for every step on entry; the
    /// hidden states end in `plan.states`.
    private func recur(_ plan: Plan, batch: Int, length: Int) {
        let hidden = weights.lstm.hidden, width = 4 * hidden
        var cell = [Float](repeating: 0, count: hidden)
        weights.lstm.recurrentPanels.withUnsafeBufferPointer { w in
            plan.gates.withUnsafeMutableBufferPointer { gates in
                plan.states.withUnsafeMutableBufferPointer { states in
                    cell.withUnsafeMutableBufferPointer { cell in
                        for i in 0..<batch {
                            for h in 0..<hidden { cell[h] = 0 }
                            for t in 0..<length {
                                let row = i * length + t
                                let g = gates.baseAddress! + row * width
                                // gates += W_hh h_{t-1}: each state value scales one row of the transposed weights.
                                if t > 0 {
                                    addProducts(
                                        panels: w.baseAddress!, scales: states.baseAddress! + (row - 1) * hidden,
                                        rowCount: hidden, into: g, count: width)
                                }
                                lstmCell(
                                    gates: g, cell: cell.baseAddress!, state: states.baseAddress! + row * hidden,
                                    hidden: hidden)
                            }
                        }
                    }
                }
            }
        }
    }
}

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> { load16(UnsafePointer(p)) }

/// One LSTM step from its gate pre-activations (PyTorch's order: input, forget, candidate, output): the cell
/// c = f c + i tanh(g) and the state o tanh(c). Plain loops over branch-free activations, which LLVM vectorises
/// to 16 lanes: libm's expf and tanhf one value at a time were 25% of the model's time, and SIMD16 helpers that
/// Swift would not inline 9%.
@inline(never)
private func lstmCell(
    gates g: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    hidden: Int
) {
    let inputs = g, forgets = g + hidden, candidates = g + 2 * hidden, outputs = g + 3 * hidden
    for h in 0..<hidden {
        let c = fastSigmoid(forgets[h]) * cell[h] + fastSigmoid(inputs[h]) * fastTanh(candidates[h])
        cell[h] = c
        state[h] = fastSigmoid(outputs[h]) * fastTanh(c)
    }
}

/// e^x: x = k ln 2 + r with |r| <= ln 2 / 2, e^r by its degree-6 Taylor polynomial (relative error below 3e-7
/// there), times 2^k built in the exponent bits. Inputs are clamped to +-87, where e^x stays finite.
@inline(__always)
private func fastExp(_ x: Float) -> Float {
    // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
    let magic: Float = 12_582_912
    let clamped = min(max(x, -87), 87)
    let shifted = clamped * 1.442_695_04 + magic
    let k = shifted - magic
    let r = clamped - k * 0.693_145_75 - k * 1.428_606_8e-6
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = (Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127) &<< 23
    return p * Float(bitPattern: UInt32(bitPattern: exponent))
}

@inline(__always)
private func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

/// tanh x = 2 sigmoid(2x) - 1 (absolute error about 1e-7, which is what parity needs).
@inline(__always)
private func fastTanh(_ x: Float) -> Float { 2 * fastSigmoid(2 * x) - 1 }

/// y[j] += sum over k of a[k] W[k][j], j < count: the recurrent product W_hh h_{t-1}, W in the panels of
/// `LSTMWeights.recurrentPanels`. A full panel's 128 sums stay in eight registers across all k, so y is loaded
/// and stored once (adding one scaled row at a time was bound by those stores: 3x slower), and its weights are
/// read in order (reading 512 bytes of each 2 KB row of the plain transpose was bound by L2).
@inline(__always)
private func addProducts(
    panels x: UnsafePointer<Float>, scales a: UnsafePointer<Float>, rowCount: Int,
    into y: UnsafeMutablePointer<Float>, count: Int
) {
    var start = 0
    while start < count {
        let width = min(LSTMWeights.panelWidth, count - start)
        let panel = x + start * rowCount
        let out = y + start
        if width == 128 {
            var s0 = load16(out), s1 = load16(out + 16), s2 = load16(out + 32), s3 = load16(out + 48)
            var s4 = load16(out + 64), s5 = load16(out + 80), s6 = load16(out + 96), s7 = load16(out + 112)
            for k in 0..<rowCount {
                let scale = SIMD16<Float>(repeating: a[k])
                let row = panel + k * 128
                s0 += scale * load16(row)
                s1 += scale * load16(row + 16)
                s2 += scale * load16(row + 32)
                s3 += scale * load16(row + 48)
                s4 += scale * load16(row + 64)
                s5 += scale * load16(row + 80)
                s6 += scale * load16(row + 96)
                s7 += scale * load16(row + 112)
            }
            for (offset, sum) in [s0, s1, s2, s3, s4, s5, s6, s7].enumerated() {
                UnsafeMutableRawPointer(out + 16 * offset).storeBytes(of: sum, as: SIMD16<Float>.self)
            }
        } else {
            for j in 0..<width {
                var sum = out[j]
                for k in 0..<rowCount { sum += a[k] * panel[k * width + j] }
                out[j] = sum
            }
        }
        start += width
    }
}
