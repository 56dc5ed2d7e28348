import ExpressionModel
import Foundation

/// One operation of a converted detector (scripts/blazeface/convert.py lowers MediaPipe's TFLite graph to these).
/// Tensors are NHWC feature maps of one image, numbered densely; tensor 0 is the input.
enum DetectorOp: Sendable, Equatable {
    /// A convolution (depthwise when `groups` equals the channels) with explicit zero padding before and after,
    /// then, in order: the residual tensor added into the first channels, a ReLU.
    case convolution(
        input: Int, output: Int, weights: String, kernel: Int, stride: Int, padding: Int, paddingEnd: Int,
        groups: Int, residual: Int?, relu: Bool)
    case add(input: Int, other: Int, output: Int, relu: Bool)
    /// Non-overlapping `kernel` x `kernel` max pooling.
    case maxPool(input: Int, output: Int, kernel: Int)
    /// TFLite's RESIZE_BILINEAR.
    case resize(input: Int, output: Int, alignCorners: Bool, halfPixel: Bool)
    case depthToSpace(input: Int, output: Int, block: Int)

    var input: Int {
        switch self {
        case let .convolution(input, _, _, _, _, _, _, _, _, _), let .add(input, _, _, _), let .maxPool(input, _, _),
            let .resize(input, _, _, _), let .depthToSpace(input, _, _):
            return input
        }
    }

    var output: Int {
        switch self {
        case let .convolution(_, output, _, _, _, _, _, _, _, _), let .add(_, _, output, _), let .maxPool(_, output, _),
            let .resize(_, output, _, _), let .depthToSpace(_, output, _):
            return output
        }
    }

    /// Every tensor the op reads.
    var reads: [Int] {
        switch self {
        case let .convolution(input, _, _, _, _, _, _, _, residual, _): return [input] + (residual.map { [$0] } ?? [])
        case let .add(input, other, _, _): return [input, other]
        default: return [input]
        }
    }
}

/// A map's height, width and channels.
struct MapShape: Sendable, Equatable, CustomStringConvertible {
    var height: Int
    var width: Int
    var channels: Int
    var count: Int { height * width * channels }
    var description: String { "\(height)x\(width)x\(channels)" }
}

/// How raw outputs become detections: MediaPipe's TensorsToDetectionsCalculator and NonMaxSuppressionCalculator
/// options for this model.
public struct DecodingOptions: Sendable, Equatable {
    /// Raw box and keypoint offsets are in input pixels: divided by this (the input size).
    public var scale: Float
    /// Detections below this score are dropped before suppression.
    public var minimumScore: Float
    /// Raw scores are clipped to +-this before the sigmoid.
    public var scoreClip: Float
    public var keypointCount: Int
    /// Boxes overlapping the best one by more than this IoU are merged into it (weighted by score).
    public var suppressionIoU: Float
}

/// A converted BlazeFace file (format `fercam-blazeface-1`): the graph, every map's shape, which maps are the score
/// and regressor heads, the anchors and the decoding options, all checked against each other at load.
struct DetectorGraph: Sendable {
    let architecture: String
    let inputSize: Int
    let ops: [DetectorOp]
    let shapes: [MapShape]
    let scoreHeads: [Int]
    let regressorHeads: [Int]
    /// Anchor centres, x then y, in 0-1 of the input.
    let anchors: [Float]
    let decoding: DecodingOptions
    let keypointNames: [String]
    let file: SafeTensorsFile

    static let format = "fercam-blazeface-1"

    init(path: String) throws(ModelFileError) {
        let file = try SafeTensorsFile(path: path)
        self.file = file
        let meta = file.metadata
        func bad(_ key: String, _ detail: String) -> ModelFileError { .badMetadata(path: path, key: key, detail: detail) }
        guard meta["format"] == Self.format else {
            throw bad("format", "\(meta["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(Self.format)\" "
                + "(a face detector converted by scripts/blazeface/convert.py; is this an expression model?)")
        }
        architecture = meta["architecture"] ?? "blazeface"
        guard let size = meta["input_size"].flatMap(Int.init), (16...1024).contains(size) else {
            throw bad("input_size", "missing or not a size between 16 and 1024")
        }
        inputSize = size
        func json<T: Decodable>(_ key: String, as type: T.Type) throws(ModelFileError) -> T {
            guard let text = meta[key], let data = text.data(using: .utf8) else { throw bad(key, "missing") }
            do { return try JSONDecoder().decode(T.self, from: data) } catch {
                throw bad(key, "not the JSON fercam expects (\(error))")
            }
        }
        let records = try json("graph", as: [OpRecord].self)
        let rawShapes = try json("tensor_shapes", as: [[Int]].self)
        let heads = try json("outputs", as: [String: [Int]].self)
        let decode = try json("decode", as: DecodeRecord.self)
        keypointNames = try json("keypoints", as: [String].self)
        guard keypointNames == Keypoint.names else {
            throw bad("keypoints", "\(keypointNames), expected \(Keypoint.names) (levelling reads the eyes from them)")
        }

        guard !rawShapes.isEmpty, rawShapes.count <= 4096,
            rawShapes.allSatisfy({ $0.count == 3 && $0.allSatisfy { (1...4096).contains($0) } })
        else { throw bad("tensor_shapes", "every map needs a height, width and channel count between 1 and 4096") }
        shapes = rawShapes.map { MapShape(height: $0[0], width: $0[1], channels: $0[2]) }
        // Every map is allocated at load: bounded, so that a damaged file cannot ask for gigabytes.
        guard shapes.allSatisfy({ $0.count <= 1 << 22 }), shapes.reduce(0, { $0 + $1.count }) <= 1 << 25 else {
            throw bad("tensor_shapes", "maps larger than any face detector's (4 M values each, 32 M in all)")
        }
        guard shapes[0] == MapShape(height: size, width: size, channels: 3) else {
            throw bad("tensor_shapes", "the input is \(shapes[0]), expected \(size)x\(size)x3")
        }
        var ops: [DetectorOp] = []
        var made = Set([0])
        for (index, record) in records.enumerated() {
            let op = try record.op(path: path, index: index)
            for t in op.reads + [op.output] where !shapes.indices.contains(t) {
                throw bad("graph", "op \(index) names map \(t), but there are \(shapes.count)")
            }
            if let unmade = op.reads.first(where: { !made.contains($0) }) {
                throw bad("graph", "op \(index) reads map \(unmade) before any op makes it")
            }
            guard !made.contains(op.output) else { throw bad("graph", "op \(index) overwrites map \(op.output)") }
            if let problem = Self.shapeProblem(op, shapes) { throw bad("graph", "op \(index): \(problem)") }
            made.insert(op.output)
            ops.append(op)
        }
        self.ops = ops
        guard let scores = heads["scores"], let regressors = heads["regressors"], scores.count == regressors.count,
            !scores.isEmpty, (scores + regressors).allSatisfy(made.contains)
        else { throw bad("outputs", "needs as many score heads as regressor heads, each a map the graph makes") }
        scoreHeads = scores
        regressorHeads = regressors
        let coordinates = 4 + 2 * decode.keypoints
        var anchorCount = 0
        for (s, r) in zip(scores, regressors) {
            let (a, b) = (shapes[s], shapes[r])
            guard a.height == b.height, a.width == b.width, b.channels == a.channels * coordinates else {
                throw bad("outputs", "score head \(a) and regressor head \(b) do not pair (\(coordinates) values a box)")
            }
            anchorCount += a.count
        }
        guard decode.keypoints == keypointNames.count, decode.scale > 0,
            (0...1).contains(decode.min_score), decode.score_clip > 0, (0...1).contains(decode.suppression_iou)
        else { throw bad("decode", "scale, min_score, score_clip, keypoints or suppression_iou out of range") }
        decoding = DecodingOptions(
            scale: decode.scale, minimumScore: decode.min_score, scoreClip: decode.score_clip,
            keypointCount: decode.keypoints, suppressionIoU: decode.suppression_iou)
        anchors = try file.floats("anchors", shape: [anchorCount, 2])
    }

    /// Why an op's output map cannot have the shape the file gives it, or nil.
    static func shapeProblem(_ op: DetectorOp, _ shapes: [MapShape]) -> String? {
        let input = shapes[op.input], output = shapes[op.output]
        let expected: MapShape
        switch op {
        case let .convolution(_, _, _, kernel, stride, padding, paddingEnd, groups, residual, _):
            guard (1...7).contains(kernel), (1...4).contains(stride), (0..<kernel).contains(padding),
                (0..<kernel).contains(paddingEnd), groups >= 1, input.channels % groups == 0,
                output.channels % groups == 0, groups == 1 || groups == input.channels
            else { return "kernel, stride, padding or groups out of range" }
            guard input.height + padding + paddingEnd >= kernel, input.width + padding + paddingEnd >= kernel else {
                return "a \(kernel)x\(kernel) kernel on a \(input) map"
            }
            expected = MapShape(
                height: (input.height + padding + paddingEnd - kernel) / stride + 1,
                width: (input.width + padding + paddingEnd - kernel) / stride + 1, channels: output.channels)
            if let residual {
                let r = shapes[residual]
                guard r.height == output.height, r.width == output.width, r.channels <= output.channels else {
                    return "residual \(r) does not fit the result \(output)"
                }
            }
        case let .add(_, other, _, _):
            guard shapes[other] == input else { return "adds \(input) and \(shapes[other])" }
            expected = input
        case let .maxPool(_, _, kernel):
            guard (1...4).contains(kernel), input.height >= kernel, input.width >= kernel else {
                return "pooling \(kernel)x\(kernel) on \(input)"
            }
            expected = MapShape(height: input.height / kernel, width: input.width / kernel, channels: input.channels)
        case .resize:
            guard output.height <= 8 * input.height, output.width <= 8 * input.width else {
                return "resizes \(input) to \(output)"
            }
            expected = MapShape(height: output.height, width: output.width, channels: input.channels)
        case let .depthToSpace(_, _, block):
            guard (2...8).contains(block), input.channels % (block * block) == 0 else {
                return "depth-to-space by \(block) on \(input)"
            }
            expected = MapShape(
                height: input.height * block, width: input.width * block, channels: input.channels / (block * block))
        }
        return expected == output ? nil : "makes \(expected), the file says \(output)"
    }
}

/// The JSON of one op, as scripts/blazeface/convert.py writes it.
private struct OpRecord: Decodable {
    var op: String
    var input: Int
    var output: Int
    var other: Int?
    var residual: Int?
    var weights: String?
    var kernel: Int?
    var stride: Int?
    var padding: [Int]?
    var groups: Int?
    var relu: Bool?
    var align_corners: Bool?
    var half_pixel: Bool?
    var block: Int?

    func op(path: String, index: Int) throws(ModelFileError) -> DetectorOp {
        func missing(_ what: String) -> ModelFileError {
            .badMetadata(path: path, key: "graph", detail: "op \(index) (\(op)) lacks \(what)")
        }
        switch op {
        case "conv":
            guard let weights, let kernel, let stride, let padding, let groups else {
                throw missing("weights, kernel, stride, padding or groups")
            }
            // Square maps only: top equals left and bottom equals right.
            guard padding.count == 4, padding[0] == padding[1], padding[2] == padding[3] else {
                throw .badMetadata(path: path, key: "graph", detail: "op \(index) pads unevenly: \(padding)")
            }
            return .convolution(
                input: input, output: output, weights: weights, kernel: kernel, stride: stride, padding: padding[0],
                paddingEnd: padding[2], groups: groups, residual: residual, relu: relu ?? false)
        case "add":
            guard let other else { throw missing("the other operand") }
            return .add(input: input, other: other, output: output, relu: relu ?? false)
        case "maxpool":
            guard let kernel else { throw missing("kernel") }
            return .maxPool(input: input, output: output, kernel: kernel)
        case "resize":
            return .resize(
                input: input, output: output, alignCorners: align_corners ?? false, halfPixel: half_pixel ?? false)
        case "depth_to_space":
            guard let block else { throw missing("block") }
            return .depthToSpace(input: input, output: output, block: block)
        default:
            throw .badMetadata(path: path, key: "graph", detail: "op \(index) is \"\(op)\", which fercam does not run")
        }
    }
}

private struct DecodeRecord: Decodable {
    var scale: Float
    var min_score: Float
    var score_clip: Float
    var keypoints: Int
    var suppression_iou: Float
}
