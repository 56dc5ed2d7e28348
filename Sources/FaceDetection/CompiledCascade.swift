/// How a stump's feature is summed from integral-image points in the vector loop.
///
/// A Haar feature is a weighted sum of rect sums, and each rect sum is four integral points.
/// Rects of one feature share corners, so most features need fewer distinct points than
/// four per rect: loading each once is what the vector loop is limited by. Every form is
/// the same integer sum regrouped, so the value is exactly the one OpenCV computes.
enum StumpForm: CaseIterable {
    /// Two rects sharing an edge (OpenCV's "edge" features): six distinct points with
    /// coefficients +1, +1, -1, -1, +2, -2.
    case sixPoints
    /// Two rects, the first weighted -1 (every other two-rect feature): `w * rect1 - rect0`.
    case twoRects
    /// A 2x2 checkerboard (three rects): nine distinct points with coefficients
    /// s * (+1 x4, -2 x4, +4), s = +1 or -1.
    case ninePoints
    /// Anything else: up to three rects with their own weights.
    case threeRects
}

/// The cascade flattened for scanning: features as tables of integral offsets, trees as flat arrays.
struct CompiledCascade: Sendable {
    struct Stage: Sendable {
        var threshold: Double
        var thresholdFloat: Float
        /// Bound on how far a Float sum of this stage's leaves can drift from the exact sum.
        var floatErrorBound: Float
        var allStumps: Bool
        /// Stump stages: the sum of the leaves taken when no feature is below its threshold.
        var stumpAboveSum: Float
        /// Stump stages: where the stage's stumps start in vector order, and where each form's run ends
        /// (forms in `StumpForm` order), so that each run is a loop with no per-stump branch.
        var stumpStart = 0
        var formEnds = (0, 0, 0, 0)
        var nodeStart: Int, nodeCount: Int  // stumps: one node per tree
        var treeStart: Int, treeCount: Int
    }
    struct Tree: Sendable {
        var nodeStart: Int, nodeCount: Int, leafStart: Int
    }

    /// A table of feature records, `recordStride` Int32 words each (one cache line), whose corner
    /// words are byte offsets into a level's integral planes, filled in per plane geometry.
    struct TableTemplate: Sendable {
        var words: [Int32] = []
        /// Per corner: which word holds its offset, and its window coordinates.
        var cornerWord: [Int32] = [], cornerX: [Int32] = [], cornerY: [Int32] = []

        mutating func append(corners: [(x: Int, y: Int)], extra: [(word: Int, value: Int32)]) {
            let start = words.count
            words += [Int32](repeating: 0, count: CompiledCascade.recordStride)
            for (k, corner) in corners.enumerated() {
                cornerWord.append(Int32(start + k))
                cornerX.append(Int32(corner.x))
                cornerY.append(Int32(corner.y))
            }
            for (word, value) in extra { words[start + word] = value }
        }
    }

    /// Words per record.
    static let recordStride = 16

    let window: (width: Int, height: Int)
    /// Node records first (record n is node n): 12 corners (top-left, top-right, bottom-left,
    /// bottom-right per rect; a missing third rect has corners at the origin), weights in words
    /// 12-14. They serve general trees and the exact scalar path. Stump records follow, one per
    /// stump in vector order (`stumpRecordStart + i`), laid out by form: points in words 0-8 in the
    /// order `StumpForm` lists their coefficients, the second rect's weight in word 13 (`twoRects`),
    /// the sign s in word 12 (`ninePoints`), or the general layout (`threeRects`). With the
    /// cascade's bound on weighted area (see HaarCascade) every feature stays below 2^24 in
    /// magnitude, so wrapping Int32 arithmetic gives exactly OpenCV's Float result.
    let template: TableTemplate
    let stumpRecordStart: Int
    /// Stages, trees, node thresholds and children, leaves, and per stump in vector order its threshold
    /// and the difference of its leaves (below minus not below).
    let tables: CascadeTables

    init(_ cascade: HaarCascade) {
        window = (cascade.windowWidth, cascade.windowHeight)
        var stages: [Stage] = [], trees: [Tree] = []
        var nodeFeature: [Int] = [], nodeThreshold: [Float] = [], nodeLeft: [Int32] = [], nodeRight: [Int32] = [],
            leaves: [Float] = []
        for stage in cascade.stages {
            let allStumps = stage.trees.allSatisfy(\.isStump)
            let stageNodes = nodeFeature.count, stageTrees = trees.count
            for tree in stage.trees {
                trees.append(Tree(nodeStart: nodeFeature.count, nodeCount: tree.nodes.count, leafStart: leaves.count))
                for node in tree.nodes {
                    nodeFeature.append(node.feature)
                    nodeThreshold.append(node.threshold)
                    nodeLeft.append(Int32(node.left))
                    nodeRight.append(Int32(node.right))
                }
                leaves += tree.leaves
            }
            let magnitude = stage.trees.reduce(Float(0)) { $0 + ($1.leaves.map(abs).max() ?? 0) }
            let bound = Float(stage.trees.count + 1) * magnitude * 0x1p-21
            stages.append(
                Stage(
                    threshold: Double(stage.threshold), thresholdFloat: stage.threshold, floatErrorBound: bound,
                    allStumps: allStumps,
                    stumpAboveSum: allStumps ? stage.trees.reduce(0) { $0 + $1.leaves[1] } : 0, nodeStart: stageNodes,
                    nodeCount: nodeFeature.count - stageNodes, treeStart: stageTrees,
                    treeCount: trees.count - stageTrees))
        }

        var template = TableTemplate()
        for node in nodeFeature.indices {
            let layout = Self.generalLayout(cascade.features[nodeFeature[node]])
            template.append(corners: layout.corners, extra: layout.extra)
        }
        stumpRecordStart = nodeFeature.count

        // Stumps in vector order: per stage, grouped by form.
        var stumpThreshold: [Float] = [], stumpDifference: [Float] = []
        for (s, stage) in stages.enumerated() where stage.allStumps {
            let layouts = (stage.nodeStart..<(stage.nodeStart + stage.nodeCount)).map { node in
                (node: node, layout: Self.stumpLayout(cascade.features[nodeFeature[node]]))
            }
            stages[s].stumpStart = stumpThreshold.count
            var ends: [Int] = []
            for form in StumpForm.allCases {
                for (node, layout) in layouts where layout.form == form {
                    template.append(corners: layout.corners, extra: layout.extra)
                    // A stump stage has one node per tree.
                    let leaf = trees[stage.treeStart + node - stage.nodeStart].leafStart
                    stumpThreshold.append(nodeThreshold[node])
                    stumpDifference.append(leaves[leaf] - leaves[leaf + 1])
                }
                ends.append(stumpThreshold.count)
            }
            stages[s].formEnds = (ends[0], ends[1], ends[2], ends[3])
        }
        self.template = template
        tables = CascadeTables(
            stages: stages, trees: trees, nodeThreshold: nodeThreshold, nodeLeft: nodeLeft, nodeRight: nodeRight,
            leaves: leaves, stumpThreshold: stumpThreshold, stumpDifference: stumpDifference)
    }

    static func corners(_ r: HaarCascade.Rectangle) -> [(x: Int, y: Int)] {
        [(r.x, r.y), (r.x + r.width, r.y), (r.x, r.y + r.height), (r.x + r.width, r.y + r.height)]
    }

    /// The form of a stump's feature, its points in the form's order, and its extra words.
    static func stumpLayout(
        _ feature: HaarCascade.Feature
    ) -> (form: StumpForm, corners: [(x: Int, y: Int)], extra: [(word: Int, value: Int32)]) {
        // The coefficient of every integral point: + for top-left and bottom-right, - for the others, times the weight.
        struct Point: Hashable { var x, y: Int }
        var coefficient: [Point: Int] = [:]
        for r in feature.rects {
            for (k, corner) in corners(r).enumerated() {
                coefficient[Point(x: corner.x, y: corner.y), default: 0] += (k == 0 || k == 3 ? 1 : -1) * Int(r.weight)
            }
        }
        let points = coefficient.filter { $0.value != 0 }.sorted { ($0.key.y, $0.key.x) < ($1.key.y, $1.key.x) }
        func with(_ c: Int) -> [(x: Int, y: Int)] { points.filter { $0.value == c }.map { ($0.key.x, $0.key.y) } }
        let counts = Dictionary(grouping: points, by: \.value).mapValues(\.count)
        if points.count == 6 && counts == [1: 2, -1: 2, 2: 1, -2: 1] {
            return (.sixPoints, with(1) + with(-1) + with(2) + with(-2), [])
        }
        for s in [1, -1] where points.count == 9 && counts == [s: 4, -2 * s: 4, 4 * s: 1] {
            return (.ninePoints, with(s) + with(-2 * s) + with(4 * s), [(12, Int32(s))])
        }
        if feature.rects.count == 2 && feature.rects[0].weight == -1 {
            return (.twoRects, feature.rects.flatMap(corners), [(13, Int32(feature.rects[1].weight))])
        }
        let general = generalLayout(feature)
        return (.threeRects, general.corners, general.extra)
    }

    /// Any feature as up to three rects: four corners per rect, the weights in words 12-14.
    static func generalLayout(
        _ feature: HaarCascade.Feature
    ) -> (corners: [(x: Int, y: Int)], extra: [(word: Int, value: Int32)]) {
        (feature.rects.flatMap(corners), feature.rects.enumerated().map { (12 + $0.offset, Int32($0.element.weight)) })
    }

    /// The feature table for a plane geometry: the template with byte offsets of the corners filled in.
    func featureTable(for integral: PhasedIntegral) -> [Int32] {
        var table = template.words
        for k in template.cornerWord.indices {
            table[Int(template.cornerWord[k])] =
                4 * integral.offset(x: Int(template.cornerX[k]), y: Int(template.cornerY[k]))
        }
        return table
    }
}

/// The cascade's flat tables in memory that never moves, so the scan reads them through plain pointers
/// instead of nine nested `withUnsafeBufferPointer` calls. Written in `init` only, then read-only, so any
/// number of threads may scan with one instance at once.
final class CascadeTables: @unchecked Sendable {
    let stages: UnsafeBufferPointer<CompiledCascade.Stage>
    let trees: UnsafeBufferPointer<CompiledCascade.Tree>
    let nodeThreshold: UnsafeBufferPointer<Float>
    let nodeLeft: UnsafeBufferPointer<Int32>
    let nodeRight: UnsafeBufferPointer<Int32>
    let leaves: UnsafeBufferPointer<Float>
    let stumpThreshold: UnsafeBufferPointer<Float>
    let stumpDifference: UnsafeBufferPointer<Float>

    init(
        stages: [CompiledCascade.Stage], trees: [CompiledCascade.Tree], nodeThreshold: [Float], nodeLeft: [Int32],
        nodeRight: [Int32], leaves: [Float], stumpThreshold: [Float], stumpDifference: [Float]
    ) {
        func copy<T>(_ values: [T]) -> UnsafeBufferPointer<T> {
            // At least one element, so that every table has a base address.
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: Swift.max(values.count, 1))
            _ = buffer.initialize(from: values)
            return UnsafeBufferPointer(rebasing: buffer[..<values.count])
        }
        self.stages = copy(stages)
        self.trees = copy(trees)
        self.nodeThreshold = copy(nodeThreshold)
        self.nodeLeft = copy(nodeLeft)
        self.nodeRight = copy(nodeRight)
        self.leaves = copy(leaves)
        self.stumpThreshold = copy(stumpThreshold)
        self.stumpDifference = copy(stumpDifference)
    }

    deinit {
        for table in [
            UnsafeRawPointer(stages.baseAddress), UnsafeRawPointer(trees.baseAddress),
            UnsafeRawPointer(nodeThreshold.baseAddress), UnsafeRawPointer(nodeLeft.baseAddress),
            UnsafeRawPointer(nodeRight.baseAddress), UnsafeRawPointer(leaves.baseAddress),
            UnsafeRawPointer(stumpThreshold.baseAddress), UnsafeRawPointer(stumpDifference.baseAddress),
        ] {
            table?.deallocate()
        }
    }
}
