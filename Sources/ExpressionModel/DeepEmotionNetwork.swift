import DNNLKit
import Glibc

/// Deep-Emotion (seed 003): a localisation network predicts an affine transform, the face is resampled through
/// it (the spatial transformer), and a small CNN classifies the resampled face (training/arch/deep_emotion.py).
struct DeepEmotionWeights: Sendable {
    /// conv 7x7 -> pool -> ReLU -> conv 5x5 -> pool -> ReLU -> FC 32 -> ReLU -> FC 6 (the transform).
    var localisation: [LayerSpec]
    /// four 3x3 convolutions (the last with batch norm) and two pools, FC 50 -> ReLU -> FC classes.
    var features: [LayerSpec]

    init(file: SafeTensorsFile, config: ModelConfig, description: ModelDescription) throws(ModelFileError) {
        let classes = try config.integer("classes", in: 1...1000, default: 7)
        guard classes == description.classCount else {
            throw .badMetadata(
                path: config.path, key: "class_names", detail: "\(description.classCount) names for \(classes) classes")
        }
        // A ReLU after a max pool equals one before it, so it is fused into the convolution.
        func conv(_ prefix: String, bn: String? = nil, _ inputs: Int, _ outputs: Int, _ kernel: Int)
            throws(ModelFileError) -> LayerSpec
        {
            .convolution(
                try file.convolution(
                    prefix, bn: bn, hasBias: true, inputs: inputs, outputs: outputs, kernel: kernel, padding: 0),
                [.relu])
        }
        localisation = [
            try conv("localisation.0", 1, 8, 7), .maxPool(kernel: 2), try conv("localisation.3", 8, 10, 5),
            .maxPool(kernel: 2), .dense(try file.dense("localisation.7", inputs: 10 * 8 * 8, outputs: 32), [.relu]),
            .dense(try file.dense("localisation.9", inputs: 32, outputs: 6), []),
        ]
        features = [
            try conv("features.0", 1, 10, 3), try conv("features.2", 10, 10, 3), .maxPool(kernel: 2),
            try conv("features.5", 10, 10, 3), try conv("features.7", bn: "features.8", 10, 10, 3),
            .maxPool(kernel: 2), .dense(try file.dense("fc1", inputs: 10 * 9 * 9, outputs: 50), [.relu]),
            .dense(try file.dense("fc2", inputs: 50, outputs: classes), []),
        ]
    }
}

/// Deep-Emotion on oneDNN: both stacks in oneDNN, the affine grid and bilinear sampling here. Its attention is
/// where the transformer samples the face: the share of the 48x48 sampling points in each 4x4-pixel cell
/// (scaled so the densest cell is 1), and the outline of the sampled area.
///
/// Threading rule: one thread at a time (it owns an `Engine` and reuses buffers).
final class DeepEmotionNetwork: ExpressionNetwork, @unchecked Sendable {
    static let size = 48
    static let cell = 4
    let precision = Precision.fp32
    private let temperature: Float
    private let plans: PlanCache<(localisation: LayerStack, features: LayerStack)>

    init(weights: DeepEmotionWeights, temperature: Float) throws(DNNLError) {
        self.temperature = temperature
        let engine = try Engine()
        plans = PlanCache { (batch) throws(DNNLError) in
            (
                try LayerStack(weights.localisation, batch: batch, channels: 1, size: Self.size, engine: engine),
                try LayerStack(weights.features, batch: batch, channels: 1, size: Self.size, engine: engine)
            )
        }
    }

    func prepare(batchSizes: ClosedRange<Int>) throws(DNNLError) { try plans.prepare(batchSizes) }

    func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput] {
        let pixels = Self.size * Self.size
        return try inBatches(inputs, pixels: pixels) { (input, count) throws(DNNLError) in
            let plan = try plans.plan(batch: count)
            let theta = plan.localisation.run(input)
            var warped = [Float](repeating: 0, count: count * pixels)
            var maps: [AttentionMap] = []
            for i in 0..<count {
                let t = Array(theta[(6 * i)..<(6 * i + 6)])
                maps.append(
                    Self.sample(input, image: i, theta: t, into: &warped))
            }
            let logits = plan.features.run(warped)
            let classes = plan.features.channels
            return (0..<count).map { i in
                let t = Array(theta[(6 * i)..<(6 * i + 6)])
                let own = Array(logits[(i * classes)..<((i + 1) * classes)])
                return NetworkOutput(
                    logits: own, probabilities: softmax(own, temperature: temperature), attention: maps[i],
                    samplingOutline: Self.outline(t),
                    details: ["theta": t, "warped": Array(warped[(i * pixels)..<((i + 1) * pixels)])])
            }
        }
    }

    /// PyTorch's `affine_grid` + `grid_sample` (bilinear, zero padding, align_corners false) of image `image`
    /// into `warped`; returns the sampling density map.
    static func sample(_ input: [Float], image: Int, theta t: [Float], into warped: inout [Float]) -> AttentionMap {
        let n = size, base = image * n * n
        let cells = n / cell
        var density = [Float](repeating: 0, count: cells * cells)
        for row in 0..<n {
            let y = Float(2 * row + 1) / Float(n) - 1
            for column in 0..<n {
                let x = Float(2 * column + 1) / Float(n) - 1
                // Normalised source position, then pixel coordinates (pixel centres at k + 0.5 - 0.5).
                let sx = ((t[0] * x + t[1] * y + t[2]) + 1) * Float(n) / 2 - 0.5
                let sy = ((t[3] * x + t[4] * y + t[5]) + 1) * Float(n) / 2 - 0.5
                let x0 = Int(floorf(sx)), y0 = Int(floorf(sy))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                var value: Float = 0
                for (dy, wy) in [(0, 1 - fy), (1, fy)] {
                    for (dx, wx) in [(0, 1 - fx), (1, fx)] {
                        let px = x0 + dx, py = y0 + dy
                        if px >= 0, px < n, py >= 0, py < n { value += wx * wy * input[base + py * n + px] }
                    }
                }
                warped[base + row * n + column] = value
                let cx = Int(floorf((sx + 0.5) / Float(cell))), cy = Int(floorf((sy + 0.5) / Float(cell)))
                if cx >= 0, cx < cells, cy >= 0, cy < cells { density[cy * cells + cx] += 1 }
            }
        }
        let densest = max(density.max() ?? 1, 1)
        return AttentionMap(width: cells, height: cells, values: density.map { $0 / densest })
    }

    /// The output corners (-1 or 1 in normalised coordinates) mapped to the source crop, in 0...1.
    static func outline(_ t: [Float]) -> [SIMD2<Float>] {
        [(-1, -1), (1, -1), (1, 1), (-1, 1)].map { (x: Float, y: Float) in
            SIMD2((t[0] * x + t[1] * y + t[2] + 1) / 2, (t[3] * x + t[4] * y + t[5] + 1) / 2)
        }
    }
}
