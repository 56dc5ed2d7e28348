import DNNLKit
import Glibc

/// MANet-lite (seed 004, training/arch/manet.py): a VGG-style front to 12x12, the multiple-attention block
/// over eight facial regions (fixed template masks), and the back of the network.
struct MANetWeights: Sendable {
    static let regionNames = [
        "whole face", "eyes and brows", "nose and mouth", "left eye", "right eye", "nose", "left mouth corner",
        "right mouth corner",
    ]
    static let side = 12

    var front: [LayerSpec]
    var channels: Int
    /// Each region's 1x1 buffer convolution (channels -> channels, no bias), as a fully connected layer.
    var buffers: [DenseWeights]
    /// Where each region's mask is not zero: the only positions its buffer is needed at (a sum over the
    /// masked map and the fusion both multiply by the mask), about a third of all region-positions.
    var regionPositions: [[Int]]
    var bufferBias: [Float]  // regions x channels
    var masks: [Float]  // regions x side x side
    var hidden: Int
    var se1: [Float]  // regions x channels x hidden
    var se1Bias: [Float]  // regions x hidden
    var se2: [Float]  // regions x hidden x channels
    var se2Bias: [Float]  // regions x channels
    /// Pool, 1x1 conv + ReLU, FC to one logit per region.
    var weightBranch: [LayerSpec]
    var back: [LayerSpec]

    init(file: SafeTensorsFile, config: ModelConfig, description: ModelDescription) throws(ModelFileError) {
        let classes = try config.classCount("classes", default: 7, matching: description)
        let widths = try config.integers("widths", in: 1...1024)
        guard widths.count == 4 else {
            throw .badMetadata(path: config.path, key: "config.widths", detail: "expected four block widths")
        }
        // Each block: (conv 3x3 without bias, batch norm, ReLU) twice.
        func block(_ prefix: String, _ inputs: Int, _ outputs: Int) throws(ModelFileError) -> [LayerSpec] {
            [
                .convolution(
                    try file.convolution("\(prefix).0", bn: "\(prefix).1", inputs: inputs, outputs: outputs, kernel: 3),
                    [.relu]),
                .convolution(
                    try file.convolution(
                        "\(prefix).3", bn: "\(prefix).4", inputs: outputs, outputs: outputs, kernel: 3),
                    [.relu]),
            ]
        }
        front =
            try block("front.0", 1, widths[0]) + [.maxPool(kernel: 2)] + (try block("front.2", widths[0], widths[1]))
            + [.maxPool(kernel: 2)] + (try block("front.4", widths[1], widths[2]))
        let c = widths[2], regions = Self.regionNames.count, side = Self.side
        channels = c
        let all = try file.floats("ma.buffers_conv.weight", shape: [regions * c, c, 1, 1])
        buffers = (0..<regions).map { r in
            DenseWeights(
                weights: Array(all[(r * c * c)..<((r + 1) * c * c)]), bias: [Float](repeating: 0, count: c),
                inputs: c, outputs: c)
        }
        bufferBias = try file.floats("ma.buffer_bias", shape: [regions, c])
        let masks = try file.floats("ma.masks", shape: [regions, side, side])
        self.masks = masks
        regionPositions = (0..<regions).map { r in (0..<(side * side)).filter { masks[r * side * side + $0] != 0 } }
        hidden = c / 8
        se1 = try file.floats("ma.se1", shape: [regions, c, hidden])
        se1Bias = try file.floats("ma.se1_bias", shape: [regions, hidden])
        se2 = try file.floats("ma.se2", shape: [regions, hidden, c])
        se2Bias = try file.floats("ma.se2_bias", shape: [regions, c])
        weightBranch = [
            .maxPool(kernel: 2),
            .convolution(
                try file.convolution("ma.weight_branch.1", hasBias: true, inputs: c, outputs: 16, kernel: 1), [.relu]),
            .dense(try file.dense("ma.weight_branch.4", inputs: 16 * (side / 2) * (side / 2), outputs: regions), []),
        ]
        back =
            [.maxPool(kernel: 2)] + (try block("back.1", c, widths[3]))
            + [.globalAveragePool, .dense(try file.dense("back.5", inputs: widths[3], outputs: classes), [])]
    }
}

/// MANet on oneDNN: the front, the buffer convolutions, the weight branch and the back in oneDNN; the masks,
/// the squeeze-excitation gates and the weighted fusion of the regions here. Its attention is the region
/// weights laid over their masks (the sum of each mask times its weight, scaled so the largest cell is 1),
/// with the weights themselves by region name.
///
/// Threading rule: one thread at a time (it owns an `Engine` and reuses buffers).
final class MANetNetwork: PlannedNetwork, @unchecked Sendable {
    final class Plan {
        let front: LayerStack
        /// Per region: its buffer over the masked positions of every face of the batch.
        let buffers: [InnerProduct?]
        var gathered: [Float]
        var regionBuffers: [[Float]]
        let weightBranch: LayerStack
        let back: LayerStack
        var fused: [Float]

        init(_ w: MANetWeights, batch: Int, precision: Precision, engine: Engine) throws(DNNLError) {
            front = try LayerStack(w.front, batch: batch, channels: 1, size: 48, precision: precision, engine: engine)
            var buffers: [InnerProduct?] = []
            for (r, positions) in w.regionPositions.enumerated() {
                let d = w.buffers[r]
                buffers.append(
                    positions.isEmpty
                        ? nil
                        : try InnerProduct(
                            engine: engine, batch: batch * positions.count, channels: d.inputs, outputs: d.outputs,
                            weights: d.weights, bias: d.bias))
            }
            self.buffers = buffers
            let most = w.regionPositions.map(\.count).max() ?? 0
            gathered = [Float](repeating: 0, count: batch * most * w.channels)
            regionBuffers = w.regionPositions.map { [Float](repeating: 0, count: batch * $0.count * w.channels) }
            weightBranch = try LayerStack(
                w.weightBranch, batch: batch, channels: w.channels, size: MANetWeights.side, precision: precision,
                engine: engine)
            back = try LayerStack(
                w.back, batch: batch, channels: w.channels, size: MANetWeights.side, precision: precision,
                engine: engine)
            fused = [Float](repeating: 0, count: batch * MANetWeights.side * MANetWeights.side * w.channels)
        }
    }

    let precision: Precision
    private let weights: MANetWeights
    private let temperature: Float
    let plans: PlanCache<Plan>

    init(weights: MANetWeights, temperature: Float, precision: Precision) throws(DNNLError) {
        self.weights = weights
        self.temperature = temperature
        self.precision = precision
        plans = try PlanCache { (batch, engine) throws(DNNLError) in
            try Plan(weights, batch: batch, precision: precision, engine: engine)
        }
    }

    func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput] {
        let w = weights
        let c = w.channels, regions = MANetWeights.regionNames.count, pixels = MANetWeights.side * MANetWeights.side
        return try inBatches(inputs, pixels: 48 * 48) { (input, count) throws(DNNLError) in
            let plan = try plans.plan(batch: count)
            let v = plan.front.run(input)
            // Each region's buffer at its masked positions: rows (image, k-th masked position).
            for (r, positions) in w.regionPositions.enumerated() {
                guard let buffer = plan.buffers[r] else { continue }
                for i in 0..<count {
                    for (k, p) in positions.enumerated() {
                        let from = (i * pixels + p) * c, to = (i * positions.count + k) * c
                        plan.gathered.replaceSubrange(to..<(to + c), with: v[from..<(from + c)])
                    }
                }
                buffer.run(plan.gathered, into: &plan.regionBuffers[r])
            }
            let regionLogits = plan.weightBranch.run(v)
            var regionWeights: [[Float]] = []
            for i in 0..<count {
                let q = softmax(Array(regionLogits[(i * regions)..<((i + 1) * regions)]))
                regionWeights.append(q)
                let gates = (0..<regions).map { r in gate(plan.regionBuffers[r], image: i, region: r) }
                fuse(plan.regionBuffers, image: i, regionWeights: q, gates: gates, into: &plan.fused)
            }
            let logits = plan.back.run(plan.fused)
            let classes = plan.back.channels
            return regionWeights.enumerated().map { i, q in
                let own = Array(logits[(i * classes)..<((i + 1) * classes)])
                var map = [Float](repeating: 0, count: pixels)
                for r in 0..<regions { for p in 0..<pixels { map[p] += q[r] * w.masks[r * pixels + p] } }
                let top = max(map.max() ?? 1, .leastNormalMagnitude)
                return NetworkOutput(
                    logits: own, probabilities: softmax(own, temperature: temperature),
                    attention: AttentionMap(
                        width: MANetWeights.side, height: MANetWeights.side, values: map.map { $0 / top }),
                    regionWeights: zip(MANetWeights.regionNames, q).map { RegionWeight(region: $0, weight: $1) },
                    details: ["region_weights": q, "masks": w.masks])
            }
        }
    }

    /// fused = sum over regions of q_r * gate_r * (buffer_r * mask_r + bias_r), at every position of image i:
    /// the bias part is the same everywhere, so it is summed once; a region adds only at its masked positions.
    private func fuse(
        _ buffers: [[Float]], image i: Int, regionWeights q: [Float], gates: [[Float]], into fused: inout [Float]
    ) {
        let w = weights
        let c = w.channels, regions = q.count, pixels = MANetWeights.side * MANetWeights.side
        var scales = [Float](repeating: 0, count: regions * c)
        var constant = [Float](repeating: 0, count: c)
        for r in 0..<regions {
            for k in 0..<c {
                scales[r * c + k] = q[r] * gates[r][k]
                constant[k] += scales[r * c + k] * w.bufferBias[r * c + k]
            }
        }
        fused.withUnsafeMutableBufferPointer { fused in
            for p in 0..<pixels { (fused.baseAddress! + (i * pixels + p) * c).update(from: constant, count: c) }
            for r in 0..<regions {
                let positions = w.regionPositions[r]
                buffers[r].withUnsafeBufferPointer { buffer in
                    scales.withUnsafeBufferPointer { scale in
                        let regionScale = scale.baseAddress! + r * c
                        for (k, p) in positions.enumerated() {
                            let mask = w.masks[r * pixels + p]
                            let row = buffer.baseAddress! + (i * positions.count + k) * c
                            let out = fused.baseAddress! + (i * pixels + p) * c
                            for channel in 0..<c { out[channel] += mask * regionScale[channel] * row[channel] }
                        }
                    }
                }
            }
        }
    }

    /// Region r's squeeze-excitation gate for image i: the mean of its masked, biased buffer over all positions,
    /// through the two per-region layers. `buffer` holds the region's buffer at its masked positions only.
    private func gate(_ buffer: [Float], image i: Int, region r: Int) -> [Float] {
        let w = weights
        let c = w.channels, hiddenCount = w.hidden, pixels = MANetWeights.side * MANetWeights.side
        let positions = w.regionPositions[r]
        var squeezed = [Float](repeating: 0, count: c)
        var hidden = Array(w.se1Bias[(r * hiddenCount)..<((r + 1) * hiddenCount)])
        var gates = Array(w.se2Bias[(r * c)..<((r + 1) * c)])
        // Each loop runs along contiguous memory, so that it vectorises; the sums keep the order of the
        // definition (over positions, then channels, then hidden units).
        buffer.withUnsafeBufferPointer { buffer in
            squeezed.withUnsafeMutableBufferPointer { s in
                for (k, p) in positions.enumerated() {
                    let mask = w.masks[r * pixels + p]
                    let row = buffer.baseAddress! + (i * positions.count + k) * c
                    for channel in 0..<c { s[channel] += row[channel] * mask }
                }
                // The bias is added at every position, masked or not.
                for k in 0..<c { s[k] = s[k] / Float(pixels) + w.bufferBias[r * c + k] }
            }
        }
        w.se1.withUnsafeBufferPointer { se1 in
            hidden.withUnsafeMutableBufferPointer { h in
                for k in 0..<c {
                    let x = squeezed[k], row = se1.baseAddress! + (r * c + k) * hiddenCount
                    for unit in 0..<hiddenCount { h[unit] += x * row[unit] }
                }
                for unit in 0..<hiddenCount { h[unit] = max(h[unit], 0) }
            }
        }
        w.se2.withUnsafeBufferPointer { se2 in
            gates.withUnsafeMutableBufferPointer { g in
                for unit in 0..<hiddenCount {
                    let x = hidden[unit], row = se2.baseAddress! + (r * hiddenCount + unit) * c
                    for k in 0..<c { g[k] += x * row[k] }
                }
            }
        }
        return gates.map(sigmoid)
    }
}
