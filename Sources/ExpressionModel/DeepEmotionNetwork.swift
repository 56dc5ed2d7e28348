import DNNLKit
import Frames
import Glibc

/// Deep-Emotion (seed 003): a localisation network predicts an affine transform, the face is resampled through
/// it (the spatial transformer), and a small CNN classifies the resampled face (training/arch/deep_emotion.py).
struct DeepEmotionWeights: Sendable {
    /// conv 7x7 -> pool -> ReLU -> conv 5x5 -> pool -> ReLU -> FC 32 -> ReLU -> FC 6 (the transform).
    var localisation: [LayerSpec]
    /// four 3x3 convolutions (the last with batch norm) and two pools, FC 50 -> ReLU -> FC classes.
    var features: [LayerSpec]

    init(file: SafeTensorsFile, config: ModelConfig, description: ModelDescription) throws(ModelFileError) {
        let classes = try config.classCount("classes", default: 7, matching: description)
        // A ReLU after a max pool equals one before it, so it is fused into the convolution.
        func conv(
            _ prefix: String, bn: String? = nil, _ inputs: Int, _ outputs: Int, _ kernel: Int
        )
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
/// what the transformer keeps of the face: the fraction of each 4x4-pixel cell of the crop inside the area it
/// resamples (1: all of the cell is seen), and that area's outline. (A density of sampling points per cell
/// was tried first: with a near-identity transform it is 15-17 points everywhere, and stretched for display
/// it became stripes that meant nothing.)
///
/// Threading rule: one thread at a time (it owns an `Engine` and reuses buffers).
final class DeepEmotionNetwork: PlannedNetwork, @unchecked Sendable {
    static let size = 48
    static let cell = 4
    let precision: Precision
    private let description: ModelDescription
    let plans: PlanCache<(localisation: LayerStack, features: LayerStack)>

    init(weights: DeepEmotionWeights, description: ModelDescription, precision: Precision) throws(DNNLError) {
        self.description = description
        self.precision = precision
        plans = try PlanCache { (batch, engine) throws(DNNLError) in
            (
                try LayerStack(
                    weights.localisation, batch: batch, channels: 1, size: Self.size, precision: precision,
                    engine: engine),
                try LayerStack(
                    weights.features, batch: batch, channels: 1, size: Self.size, precision: precision, engine: engine)
            )
        }
    }

    func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput] {
        let pixels = Self.size * Self.size
        return try inBatches(inputs, pixels: pixels) { (input, count) throws(DNNLError) in
            let plan = try plans.plan(batch: count)
            let theta = plan.localisation.run(input)
            let transforms = (0..<count).map { Array(theta[(6 * $0)..<(6 * $0 + 6)]) }
            var warped = [Float](repeating: 0, count: count * pixels)
            for (i, t) in transforms.enumerated() { Self.sample(input, image: i, theta: t, into: &warped) }
            let logits = plan.features.run(warped)
            let classes = plan.features.channels
            let d = description
            return transforms.enumerated().map { i, t in
                let own = Array(logits[(i * classes)..<((i + 1) * classes)])
                let face = Array(warped[(i * pixels)..<((i + 1) * pixels)])
                let shown = face.map { UInt8(max(0, min(255, (($0 * d.std + d.mean) / d.scale).rounded()))) }
                return NetworkOutput(
                    logits: own, probabilities: softmax(own, temperature: d.temperature),
                    attention: Self.coverage(t), samplingOutline: Self.outline(t),
                    resampledFace: GrayImage(width: Self.size, height: Self.size, pixels: shown),
                    details: ["theta": t, "warped": face])
            }
        }
    }

    /// PyTorch's `affine_grid` + `grid_sample` (bilinear, zero padding, align_corners false) of image `image`
    /// into `warped`.
    static func sample(_ input: [Float], image: Int, theta t: [Float], into warped: inout [Float]) {
        let n = size, base = image * n * n
        for row in 0..<n {
            let y = Float(2 * row + 1) / Float(n) - 1
            for column in 0..<n {
                let x = Float(2 * column + 1) / Float(n) - 1
                // Normalised source position, then pixel coordinates (pixel centres at k + 0.5 - 0.5).
                let sx = ((t[0] * x + t[1] * y + t[2]) + 1) * Float(n) / 2 - 0.5
                let sy = ((t[3] * x + t[4] * y + t[5]) + 1) * Float(n) / 2 - 0.5
                let x0 = Int(floorf(sx)), y0 = Int(floorf(sy))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                // The four neighbours, each only where it lies inside the face (zero padding).
                func at(_ px: Int, _ py: Int) -> Float {
                    px >= 0 && px < n && py >= 0 && py < n ? input[base + py * n + px] : 0
                }
                let top = (1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)
                let bottom = (1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1)
                let value = (1 - fy) * top + fy * bottom
                warped[base + row * n + column] = value
            }
        }
    }

    /// The fraction of each `cell`-pixel cell inside the resampled area, from 4x4 points per cell: a crop point
    /// is inside when the inverse transform takes it into the output square [-1, 1]².
    static func coverage(_ t: [Float]) -> AttentionMap {
        let cells = size / cell
        let determinant = t[0] * t[4] - t[1] * t[3]
        guard abs(determinant) > 1e-6 else {
            return AttentionMap(width: cells, height: cells, values: [Float](repeating: 0, count: cells * cells))
        }
        var values = [Float](repeating: 0, count: cells * cells)
        let steps = 4
        for cy in 0..<cells {
            for cx in 0..<cells {
                var inside = 0
                for sy in 0..<steps {
                    for sx in 0..<steps {
                        // The point in normalised crop coordinates, minus the translation, through A⁻¹.
                        let px = (Float(cx * steps + sx) + 0.5) / Float(cells * steps) * 2 - 1 - t[2]
                        let py = (Float(cy * steps + sy) + 0.5) / Float(cells * steps) * 2 - 1 - t[5]
                        let u = (t[4] * px - t[1] * py) / determinant, v = (t[0] * py - t[3] * px) / determinant
                        if abs(u) <= 1, abs(v) <= 1 { inside += 1 }
                    }
                }
                values[cy * cells + cx] = Float(inside) / Float(steps * steps)
            }
        }
        return AttentionMap(width: cells, height: cells, values: values)
    }

    /// The output corners (-1 or 1 in normalised coordinates) mapped to the source crop, in 0...1.
    static func outline(_ t: [Float]) -> [SIMD2<Float>] {
        [(-1, -1), (1, -1), (1, 1), (-1, 1)].map { (x: Float, y: Float) in
            SIMD2((t[0] * x + t[1] * y + t[2] + 1) / 2, (t[3] * x + t[4] * y + t[5] + 1) / 2)
        }
    }
}
