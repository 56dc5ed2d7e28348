import DNNLKit
import Frames
import Glibc

/// A spatial map over the face: one value per cell, row-major, covering the whole crop.
public struct AttentionMap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        self.width = width
        self.height = height
        self.values = values
    }

    public subscript(x: Int, y: Int) -> Float { values[y * width + x] }
}

/// One region's weight in a region-attention model (MANet): how much its branch counts in the fused features.
public struct RegionWeight: Sendable, Equatable {
    public var region: String
    public var weight: Float

    public init(region: String, weight: Float) {
        self.region = region
        self.weight = weight
    }
}

/// What the network says about one face.
public struct NetworkOutput: Sendable {
    public var logits: [Float]
    /// Softmax of the logits (with the file's temperature).
    public var probabilities: [Float]
    /// Where the model looked, in 0...1 per cell over the whole crop: what the window draws and `--stdout`
    /// writes as `attention` (docs/output-format.md says what each architecture puts there).
    public var attention: AttentionMap
    /// The spatial transformer's sampling area (deep-emotion): the crop corners top-left, top-right,
    /// bottom-right, bottom-left mapped through its transform, in crop coordinates 0...1.
    public var samplingOutline: [SIMD2<Float>]?
    /// The face as the spatial transformer resampled it, in pixels: what the classifier saw (deep-emotion).
    public var resampledFace: GrayImage?
    /// The region weights (softmax, summing to 1) of a region-attention model (MANet), by region.
    public var regionWeights: [RegionWeight]?
    /// Every attention output under the name the exported PyTorch fixtures use ("stem_attention",
    /// "last_attention", "theta", "warped", "local", "global", ...), flattened: for parity tests and tools.
    public var details: [String: [Float]]

    public init(
        logits: [Float], probabilities: [Float], attention: AttentionMap, samplingOutline: [SIMD2<Float>]? = nil,
        resampledFace: GrayImage? = nil, regionWeights: [RegionWeight]? = nil, details: [String: [Float]] = [:]
    ) {
        self.logits = logits
        self.probabilities = probabilities
        self.attention = attention
        self.samplingOutline = samplingOutline
        self.resampledFace = resampledFace
        self.regionWeights = regionWeights
        self.details = details
    }
}

/// One architecture's network on oneDNN: the only thing the pipeline, the window, `eval` and `bench` see.
///
/// Threading rule for every implementation: one thread at a time (each owns an `Engine` and reuses buffers).
public protocol ExpressionNetwork: AnyObject, Sendable {
    var precision: Precision { get }
    /// Builds the oneDNN primitives for these batch sizes now, so that the first frames with that many
    /// faces are not slow.
    func prepare(batchSizes: ClosedRange<Int>) throws(DNNLError)
    /// Runs the network on normalised inputs (each `inputSize`² values, row-major), any number at a time.
    func run(_ inputs: [[Float]]) throws(DNNLError) -> [NetworkOutput]
}

/// The most faces one oneDNN call takes; larger requests are split.
let maximumBatch = 16

/// Splits `inputs` into batches of at most `maximumBatch`, checks their size, and packs each batch into one
/// contiguous buffer for `body`.
func inBatches(
    _ inputs: [[Float]], pixels: Int, _ body: (_ packed: [Float], _ count: Int) throws(DNNLError) -> [NetworkOutput]
) throws(DNNLError) -> [NetworkOutput] {
    var outputs: [NetworkOutput] = []
    outputs.reserveCapacity(inputs.count)
    var start = 0
    while start < inputs.count {
        let count = min(maximumBatch, inputs.count - start)
        var packed = [Float](repeating: 0, count: count * pixels)
        for i in 0..<count {
            precondition(inputs[start + i].count == pixels, "a face must have \(pixels) values")
            packed.replaceSubrange((i * pixels)..<((i + 1) * pixels), with: inputs[start + i])
        }
        outputs += try body(packed, count)
        start += count
    }
    return outputs
}

/// Per-batch-size plans (primitives and buffers), built on first use, all on one `Engine` of their own.
final class PlanCache<Plan> {
    private var plans: [Int: Plan] = [:]
    private let engine: Engine
    private let make: (Int, Engine) throws(DNNLError) -> Plan

    init(_ make: @escaping (_ batch: Int, _ engine: Engine) throws(DNNLError) -> Plan) throws(DNNLError) {
        engine = try Engine()
        self.make = make
    }

    func plan(batch: Int) throws(DNNLError) -> Plan {
        if let plan = plans[batch] { return plan }
        let plan = try make(batch, engine)
        plans[batch] = plan
        return plan
    }
}

/// A network whose oneDNN plans live in a `PlanCache`: `prepare` builds them ahead.
protocol PlannedNetwork: ExpressionNetwork {
    associatedtype Plan
    var plans: PlanCache<Plan> { get }
}

extension PlannedNetwork {
    func prepare(batchSizes: ClosedRange<Int>) throws(DNNLError) {
        for size in batchSizes where size <= maximumBatch { _ = try plans.plan(batch: size) }
    }
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

func softmax(_ logits: [Float], temperature: Float = 1) -> [Float] {
    let top = logits.max() ?? 0
    let exps = logits.map { expf(($0 - top) / temperature) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}
