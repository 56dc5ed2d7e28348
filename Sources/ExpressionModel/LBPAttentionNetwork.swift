import DNNLKit
import Glibc

/// LBP attention (seed 000, as reconstructed in training/arch/lbp_attention.py): a raw-pixel stream and an
/// LBP stream (8 bit planes), fused; an attention map from the fused features weights them by (1 + A); a
/// VGG-style classifier. The paper's reconstruction branch is a training loss only and is not in the file.
struct LBPAttentionWeights: Sendable {
    var width: Int
    var raw: [LayerSpec]
    var lbp: [LayerSpec]
    /// Two stride-2 convolutions and the 1x1 output convolution: the attention logits at 12x12. The output
    /// convolution runs before the upsampling here and after it in PyTorch: both are linear and bilinear
    /// weights sum to 1, so the order does not change the result.
    var attention: [LayerSpec]
    var classifier: [LayerSpec]

    init(file: SafeTensorsFile, config: ModelConfig, description: ModelDescription) throws(ModelFileError) {
        let classes = try config.classCount("classes", default: 7, matching: description)
        let w = try config.integer("width", in: 1...256, default: 16)
        width = w
        // conv (no bias) + batch norm + ReLU, as `conv_bn` in the training code.
        func block(
            _ prefix: String, _ inputs: Int, _ outputs: Int, stride: Int = 1
        ) throws(ModelFileError)
            -> LayerSpec
        {
            .convolution(
                try file.convolution(
                    "\(prefix).0", bn: "\(prefix).1", inputs: inputs, outputs: outputs, kernel: 3, stride: stride),
                [.relu])
        }
        raw = [try block("raw.0", 1, w), try block("raw.1", w, w)]
        lbp = [try block("lbp.0", 8, w), try block("lbp.1", w, w)]
        attention = [
            try block("attention.0", 2 * w, 2 * w, stride: 2), try block("attention.1", 2 * w, 2 * w, stride: 2),
            .convolution(
                try file.convolution("attention_out", hasBias: true, inputs: 2 * w, outputs: 1, kernel: 1), []),
        ]
        classifier = [
            .maxPool(kernel: 2), try block("classifier.1", 2 * w, 64), try block("classifier.2", 64, 64),
            .maxPool(kernel: 2), try block("classifier.4", 64, 128), try block("classifier.5", 128, 128),
            .maxPool(kernel: 2), try block("classifier.7", 128, 256), .globalAveragePool,
            .dense(try file.dense("classifier.11", inputs: 256, outputs: classes), []),
        ]
    }
}

/// LBP attention on oneDNN: the four convolution stacks in oneDNN; the LBP planes, the channel concatenation,
/// the upsampling and the (1 + A) weighting here. Its attention is the map at the resolution the model computes
/// it (12x12, the sigmoid of the attention logits); the 48x48 map that weights the features is in `details`.
///
/// Threading rule: one thread at a time (it owns an `Engine` and reuses buffers).
final class LBPAttentionNetwork: PlannedNetwork, @unchecked Sendable {
    static let size = 48
    /// LBP neighbours (P = 8, R = 1) as (dy, dx), clockwise from the top-left: bit k is channel k.
    static let neighbours = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]

    final class Plan {
        let raw: LayerStack
        let lbp: LayerStack
        let attention: LayerStack
        let classifier: LayerStack
        var planes: [Float]
        var fused: [Float]

        init(_ w: LBPAttentionWeights, batch: Int, precision: Precision, engine: Engine) throws(DNNLError) {
            let n = LBPAttentionNetwork.size
            raw = try LayerStack(w.raw, batch: batch, channels: 1, size: n, precision: precision, engine: engine)
            lbp = try LayerStack(w.lbp, batch: batch, channels: 8, size: n, precision: precision, engine: engine)
            attention = try LayerStack(
                w.attention, batch: batch, channels: 2 * w.width, size: n, precision: precision, engine: engine)
            classifier = try LayerStack(
                w.classifier, batch: batch, channels: 2 * w.width, size: n, precision: precision, engine: engine)
            planes = [Float](repeating: 0, count: batch * n * n * 8)
            fused = [Float](repeating: 0, count: batch * n * n * 2 * w.width)
        }
    }

    let precision: Precision
    private let weights: LBPAttentionWeights
    private let temperature: Float
    let plans: PlanCache<Plan>

    init(weights: LBPAttentionWeights, temperature: Float, precision: Precision) throws(DNNLError) {
        self.weights = weights
        self.temperature = temperature
        self.precision = precision
        plans = try PlanCache { (batch, engine) throws(DNNLError) in
            try Plan(weights, batch: batch, precision: precision, engine: engine)
        }
    }

    func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput] {
        let n = Self.size, pixels = n * n, width = weights.width
        return try inBatches(inputs, pixels: pixels) { (input, count) throws(DNNLError) in
            let plan = try plans.plan(batch: count)
            Self.lbpPlanes(input, count: count, into: &plan.planes)
            let raw = plan.raw.run(input)
            let lbp = plan.lbp.run(plan.planes)
            // Concatenate the streams per position: raw channels first, as torch.cat([raw, lbp], 1). Raw pointers:
            // indexing a class's array property re-checks exclusive access on every element (15% of the model).
            plan.fused.withUnsafeMutableBufferPointer { fused in
                raw.withUnsafeBufferPointer { raw in
                    lbp.withUnsafeBufferPointer { lbp in
                        for p in 0..<(count * pixels) {
                            let out = fused.baseAddress! + p * 2 * width
                            out.update(from: raw.baseAddress! + p * width, count: width)
                            (out + width).update(from: lbp.baseAddress! + p * width, count: width)
                        }
                    }
                }
            }
            let logits12 = plan.attention.run(plan.fused)
            let side = plan.attention.height
            var outputs: [(map: AttentionMap, full: [Float])] = []
            for i in 0..<count {
                let z = Array(logits12[(i * side * side)..<((i + 1) * side * side)])
                let full = Self.upsample(z, from: side, to: n).map(sigmoid)
                plan.fused.withUnsafeMutableBufferPointer { fused in
                    for p in 0..<pixels {
                        let scale = 1 + full[p]
                        let row = fused.baseAddress! + (i * pixels + p) * 2 * width
                        for c in 0..<(2 * width) { row[c] *= scale }
                    }
                }
                outputs.append((AttentionMap(width: side, height: side, values: z.map(sigmoid)), full))
            }
            let logits = plan.classifier.run(plan.fused)
            let classes = plan.classifier.channels
            return outputs.enumerated().map { i, attention in
                let own = Array(logits[(i * classes)..<((i + 1) * classes)])
                return NetworkOutput(
                    logits: own, probabilities: softmax(own, temperature: temperature), attention: attention.map,
                    details: ["fused_attention": attention.full])
            }
        }
    }

    /// Bit k of each pixel's LBP code as channel k (NHWC): 1 where neighbour k is at least the centre, the
    /// border replicated. Normalisation is monotonic, so this equals LBP on the raw pixels.
    static func lbpPlanes(_ input: [Float], count: Int, into planes: inout [Float]) {
        let n = size
        for i in 0..<count {
            let base = i * n * n
            for y in 0..<n {
                for x in 0..<n {
                    let centre = input[base + y * n + x]
                    let out = (base + y * n + x) * 8
                    for (k, (dy, dx)) in neighbours.enumerated() {
                        let ny = min(max(y + dy, 0), n - 1), nx = min(max(x + dx, 0), n - 1)
                        planes[out + k] = input[base + ny * n + nx] >= centre ? 1 : 0
                    }
                }
            }
        }
    }

    /// PyTorch's bilinear upsampling with align_corners false, one channel, `from`² to `to`².
    static func upsample(_ map: [Float], from: Int, to: Int) -> [Float] {
        let scale = Float(from) / Float(to)
        func source(_ i: Int) -> (Int, Int, Float) {
            let s = max(0, (Float(i) + 0.5) * scale - 0.5)
            let i0 = min(Int(s), from - 1)
            return (i0, min(i0 + 1, from - 1), s - Float(i0))
        }
        let axis = (0..<to).map(source)
        var out = [Float](repeating: 0, count: to * to)
        for y in 0..<to {
            let (y0, y1, fy) = axis[y]
            for x in 0..<to {
                let (x0, x1, fx) = axis[x]
                let top = (1 - fx) * map[y0 * from + x0] + fx * map[y0 * from + x1]
                let bottom = (1 - fx) * map[y1 * from + x0] + fx * map[y1 * from + x1]
                out[y * to + x] = (1 - fy) * top + fy * bottom
            }
        }
        return out
    }
}
