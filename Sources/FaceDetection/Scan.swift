import Frames

typealias Lanes = SIMD16<Int32>
typealias LaneFloats = SIMD16<Float>
typealias LaneDoubles = SIMD16<Double>
typealias LaneMask = SIMDMask<SIMD16<Int32>>
let laneCount = 16

/// Integral and squared-integral images of one pyramid level, split by column phase.
///
/// At scales below 2 OpenCV visits every second column. Storing columns p, p+2, p+4, ...
/// as plane p makes the windows one scan row visits consecutive in memory, so sixteen of
/// them load as one vector.
struct PhasedIntegral {
    let step: Int
    let planeWidth: Int
    let planeSize: Int
    let lanesPerRow: Int
    var sums: [Int32]
    var squares: [UInt32]

    init(_ image: GrayImage, step: Int, lanesPerRow: Int, window: Int) {
        self.step = step
        self.lanesPerRow = lanesPerRow
        let width = image.width + 1, height = image.height + 1
        // Room for a full vector past the last window, plus the window itself.
        planeWidth = lanesPerRow + laneCount + (window + step) / step + 1
        planeSize = planeWidth * height
        var sums = [Int32](repeating: 0, count: planeSize * step)
        var squares = [UInt32](repeating: 0, count: planeSize * step)
        var rowSum = [Int32](repeating: 0, count: width)
        var rowSquare = [UInt32](repeating: 0, count: width)
        var aboveSum = [Int32](repeating: 0, count: width)
        var aboveSquare = [UInt32](repeating: 0, count: width)
        let planeWidth = self.planeWidth, planeSize = self.planeSize
        image.pixels.withUnsafeBufferPointer { px in
            for y in 1..<height {
                var s: Int32 = 0
                var q: UInt32 = 0
                let src = (y - 1) * image.width
                for x in 1..<width {
                    let v = px[src + x - 1]
                    s &+= Int32(v)
                    q &+= UInt32(v) * UInt32(v)
                    rowSum[x] = aboveSum[x] &+ s
                    rowSquare[x] = aboveSquare[x] &+ q
                }
                for x in 0..<width {
                    let index = (x % step) * planeSize + y * planeWidth + x / step
                    sums[index] = rowSum[x]
                    squares[index] = rowSquare[x]
                }
                swap(&rowSum, &aboveSum)
                swap(&rowSquare, &aboveSquare)
            }
        }
        self.sums = sums
        self.squares = squares
    }

    /// Offset of integral point (x, y) of the window whose top-left is plane column 0, row 0.
    func offset(x: Int, y: Int) -> Int32 {
        Int32((x % step) * planeSize + y * planeWidth + x / step)
    }
}

/// The cascade flattened for scanning: features as corner lists, trees as flat arrays.
struct CompiledCascade: Sendable {
    struct FeatureShape: Sendable {
        var corners: [(x: Int, y: Int)]   // 4 per rect: top-left, top-right, bottom-left, bottom-right
        var weights: [Float]
    }
    struct Stage: Sendable {
        var threshold: Double
        var thresholdFloat: Float
        /// Bound on how far a Float sum of this stage's leaves can drift from the exact sum.
        var floatErrorBound: Float
        var allStumps: Bool
        var nodeStart: Int, nodeCount: Int   // stumps: one node per tree
        var treeStart: Int, treeCount: Int
    }
    struct Tree: Sendable {
        var nodeStart: Int, nodeCount: Int, leafStart: Int
    }

    let window: (width: Int, height: Int)
    let shapes: [FeatureShape]
    let stages: [Stage]
    let trees: [Tree]
    let nodeFeature: [Int32]
    let nodeThreshold: [Float]
    let nodeLeft: [Int32]
    let nodeRight: [Int32]
    let leaves: [Float]
    /// For stump stages: the two leaves of node n (value below / not below the threshold).
    let stumpBelow: [Float]
    let stumpAbove: [Float]

    init(_ cascade: HaarCascade) {
        window = (cascade.windowWidth, cascade.windowHeight)
        shapes = cascade.features.map { feature in
            FeatureShape(corners: feature.rects.flatMap { r in
                [(r.x, r.y), (r.x + r.width, r.y), (r.x, r.y + r.height), (r.x + r.width, r.y + r.height)]
            }, weights: feature.rects.map(\.weight))
        }
        var stages: [Stage] = [], trees: [Tree] = []
        var nodeFeature: [Int32] = [], nodeThreshold: [Float] = [], nodeLeft: [Int32] = [], nodeRight: [Int32] = [], leaves: [Float] = []
        for stage in cascade.stages {
            let allStumps = stage.trees.allSatisfy(\.isStump)
            let stageNodes = nodeFeature.count, stageTrees = trees.count
            for tree in stage.trees {
                trees.append(Tree(nodeStart: nodeFeature.count, nodeCount: tree.nodes.count, leafStart: leaves.count))
                for node in tree.nodes {
                    nodeFeature.append(Int32(node.feature))
                    nodeThreshold.append(node.threshold)
                    nodeLeft.append(Int32(node.left))
                    nodeRight.append(Int32(node.right))
                }
                leaves += tree.leaves
            }
            let magnitude = stage.trees.reduce(Float(0)) { $0 + ($1.leaves.map(abs).max() ?? 0) }
            let bound = Float(stage.trees.count + 1) * magnitude * 0x1p-21
            stages.append(Stage(threshold: Double(stage.threshold), thresholdFloat: stage.threshold, floatErrorBound: bound, allStumps: allStumps, nodeStart: stageNodes,
                                nodeCount: nodeFeature.count - stageNodes, treeStart: stageTrees, treeCount: trees.count - stageTrees))
        }
        self.stages = stages
        self.trees = trees
        self.nodeFeature = nodeFeature
        self.nodeThreshold = nodeThreshold
        self.nodeLeft = nodeLeft
        self.nodeRight = nodeRight
        self.leaves = leaves
        var below = [Float](repeating: 0, count: nodeFeature.count), above = below
        for t in trees where t.nodeCount == 1 {
            below[t.nodeStart] = leaves[t.leafStart]
            above[t.nodeStart] = leaves[t.leafStart + 1]
        }
        stumpBelow = below
        stumpAbove = above
    }

    /// Below this many live lanes a vector stage costs more than finishing the windows one by one.
    static let scalarFinishLanes = 1

    /// Calls `emit(x, y)` for each window of the level that passes every stage, in OpenCV's visiting order.
    func scan(_ integral: PhasedIntegral, rows: Int, step: Int, emit: (Int, Int) -> Void) {
        // Corner offsets for this level's plane geometry, 12 per feature (unused slots stay 0).
        var offsets = [Int32](repeating: 0, count: shapes.count * 12)
        var rectCounts = [Int32](repeating: 0, count: shapes.count)
        var weights = [Float](repeating: 0, count: shapes.count * 3)
        for (f, shape) in shapes.enumerated() {
            rectCounts[f] = Int32(shape.weights.count)
            for (c, corner) in shape.corners.enumerated() { offsets[f * 12 + c] = integral.offset(x: corner.x, y: corner.y) }
            for (r, w) in shape.weights.enumerated() { weights[f * 3 + r] = w }
        }
        // OpenCV normalises by the variance of the window less a one-pixel border.
        let (w, h) = window
        let norm = [integral.offset(x: 1, y: 1), integral.offset(x: w - 1, y: 1), integral.offset(x: 1, y: h - 1), integral.offset(x: w - 1, y: h - 1)]
        let normArea = Double((w - 2) * (h - 2))

        integral.sums.withUnsafeBufferPointer { sumsBuffer in
        integral.squares.withUnsafeBufferPointer { squaresBuffer in
        offsets.withUnsafeBufferPointer { offsets in
        weights.withUnsafeBufferPointer { weights in
        rectCounts.withUnsafeBufferPointer { rectCounts in
        nodeFeature.withUnsafeBufferPointer { nodeFeature in
        nodeThreshold.withUnsafeBufferPointer { nodeThreshold in
        leaves.withUnsafeBufferPointer { leaves in
        stumpBelow.withUnsafeBufferPointer { stumpBelow in
        stumpAbove.withUnsafeBufferPointer { stumpAbove in
        stages.withUnsafeBufferPointer { stages in
        trees.withUnsafeBufferPointer { trees in
            let magicBits = SIMD16<UInt32>(repeating: 0x4B00_0000)
            let magicFloat = LaneFloats(repeating: 8_388_608)
            let sums = UnsafeRawPointer(sumsBuffer.baseAddress!)
            let squares = UnsafeRawPointer(squaresBuffer.baseAddress!)

            @inline(__always) func load(_ base: UnsafeRawPointer, _ index: Int) -> Lanes {
                base.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self)
            }
            @inline(__always) func rectSum(_ base: Int, _ o: Int) -> LaneFloats {
                let s = load(sums, base + Int(offsets[o])) &- load(sums, base + Int(offsets[o + 1]))
                    &- load(sums, base + Int(offsets[o + 2])) &+ load(sums, base + Int(offsets[o + 3]))
                // Exact Int -> Float for 0 <= s < 2^23 (windows are at most 128x128, so a rect sums to at most 4,177,920):
                // the generic SIMD conversion is not specialised and runs lane by lane.
                let bits = unsafeBitCast(s, to: SIMD16<UInt32>.self) | magicBits
                return unsafeBitCast(bits, to: LaneFloats.self) - magicFloat
            }
            // One feature for sixteen windows, as OpenCV computes it: Float products and sums, no FMA.
            @inline(__always) func featureValue(_ f: Int, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
                let o = f * 12, w = f * 3
                var value = LaneFloats(repeating: weights[w]) * rectSum(base, o) + LaneFloats(repeating: weights[w + 1]) * rectSum(base, o + 4)
                if rectCounts[f] == 3 { value = value + LaneFloats(repeating: weights[w + 2]) * rectSum(base, o + 8) }
                return value * vnf
            }
            // The stage sum in Float for sixteen windows. OpenCV sums in Double; where the Float sum is
            // too close to the threshold for its rounding error to be ruled out, the lane is redone exactly.
            func stageSumFloat(_ stage: Stage, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
                var total = LaneFloats(repeating: 0)
                if stage.allStumps {
                    for n in stage.nodeStart..<(stage.nodeStart + stage.nodeCount) {
                        let value = featureValue(Int(nodeFeature[n]), base, vnf)
                        total += LaneFloats(repeating: stumpAbove[n]).replacing(with: LaneFloats(repeating: stumpBelow[n]),
                                                                                where: value .< LaneFloats(repeating: nodeThreshold[n]))
                    }
                } else {
                    for i in stage.treeStart..<(stage.treeStart + stage.treeCount) { total += treeValue(trees[i], base, vnf) }
                }
                return total
            }
            @inline(__always) func scalarFeature(_ f: Int, _ at: Int, _ vnf: Float) -> Float {
                @inline(__always) func rect(_ o: Int) -> Float {
                    let p = sums.assumingMemoryBound(to: Int32.self)
                    return Float(p[at + Int(offsets[o])] &- p[at + Int(offsets[o + 1])] &- p[at + Int(offsets[o + 2])] &+ p[at + Int(offsets[o + 3])])
                }
                let o = f * 12, w = f * 3
                var value = weights[w] * rect(o) + weights[w + 1] * rect(o + 4)
                if rectCounts[f] == 3 { value = value + weights[w + 2] * rect(o + 8) }
                return value * vnf
            }
            // One window, one stage, exactly as OpenCV: Double sum in tree order.
            func stagePassesExactly(_ stage: Stage, _ at: Int, _ vnf: Float) -> Bool {
                var total = 0.0
                for i in stage.treeStart..<(stage.treeStart + stage.treeCount) {
                    let t = trees[i]
                    var node = 0
                    while true {
                        let n = t.nodeStart + node
                        let child = Double(scalarFeature(Int(nodeFeature[n]), at, vnf)) < Double(nodeThreshold[n]) ? nodeLeft[n] : nodeRight[n]
                        if child <= 0 { total += Double(leaves[t.leafStart - Int(child)]); break }
                        node = Int(child)
                    }
                }
                return !(total < stage.threshold)
            }
            // One window, one stage, in Float; redone exactly only when the sum is within rounding of the threshold.
            func stagePassesScalar(_ stage: Stage, _ at: Int, _ vnf: Float) -> Bool {
                var total: Float = 0
                if stage.allStumps {
                    for n in stage.nodeStart..<(stage.nodeStart + stage.nodeCount) {
                        total += scalarFeature(Int(nodeFeature[n]), at, vnf) < nodeThreshold[n] ? stumpBelow[n] : stumpAbove[n]
                    }
                } else {
                    for i in stage.treeStart..<(stage.treeStart + stage.treeCount) {
                        let t = trees[i]
                        var node = 0
                        while true {
                            let n = t.nodeStart + node
                            let child = scalarFeature(Int(nodeFeature[n]), at, vnf) < nodeThreshold[n] ? nodeLeft[n] : nodeRight[n]
                            if child <= 0 { total += leaves[t.leafStart - Int(child)]; break }
                            node = Int(child)
                        }
                    }
                }
                if total >= stage.thresholdFloat + stage.floatErrorBound { return true }
                if total < stage.thresholdFloat - stage.floatErrorBound { return false }
                return stagePassesExactly(stage, at, vnf)
            }
            func stagePasses(_ stage: Stage, _ base: Int, _ vnf: LaneFloats, _ candidates: LaneMask) -> LaneMask {
                let sum = stageSumFloat(stage, base, vnf)
                var passes = candidates .& (sum .>= LaneFloats(repeating: stage.thresholdFloat + stage.floatErrorBound))
                let unsure = candidates .& (sum .>= LaneFloats(repeating: stage.thresholdFloat - stage.floatErrorBound)) .& .!passes
                if any(unsure) {
                    for l in 0..<laneCount where unsure[l] { passes[l] = stagePassesExactly(stage, base + l, vnf[l]) }
                }
                return passes
            }
            // A general tree: every node is evaluated for all lanes, then each lane walks its own path.
            func treeValue(_ t: Tree, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
                var goesLeft: [LaneMask] = []
                for n in t.nodeStart..<(t.nodeStart + t.nodeCount) {
                    goesLeft.append(featureValue(Int(nodeFeature[n]), base, vnf) .< nodeThreshold[n])
                }
                var index = Lanes(repeating: 0)
                var active = LaneMask(repeating: true)
                for _ in 0..<t.nodeCount {
                    var next = index
                    for local in 0..<t.nodeCount {
                        let here = active .& (index .== Int32(local))
                        let child = Lanes(repeating: nodeRight[t.nodeStart + local])
                            .replacing(with: nodeLeft[t.nodeStart + local], where: goesLeft[local])
                        next.replace(with: child, where: here)
                    }
                    index = next
                    active = index .> 0
                    if !any(active) { break }
                }
                var value = LaneFloats(repeating: 0)
                for leaf in 0..<(t.nodeCount + 1) where t.leafStart + leaf < leaves.count {
                    value.replace(with: leaves[t.leafStart + leaf], where: index .== Int32(-leaf))
                }
                return value
            }

            let laneIndex = Lanes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
            let lanesPerRow = integral.lanesPerRow
            var y = 0
            while y < rows {
                var nextVisit = 0   // OpenCV skips the window after one that stage 0 rejects
                var j0 = 0
                while j0 < lanesPerRow {
                    let base = y * integral.planeWidth + j0
                    let inRow = (laneIndex &+ Int32(j0)) .< Int32(lanesPerRow)
                    let s = load(sums, base + Int(norm[0])) &- load(sums, base + Int(norm[1])) &- load(sums, base + Int(norm[2])) &+ load(sums, base + Int(norm[3]))
                    let q = LaneDoubles(SIMD16<UInt32>(truncatingIfNeeded: load(squares, base + Int(norm[0])) &- load(squares, base + Int(norm[1]))
                        &- load(squares, base + Int(norm[2])) &+ load(squares, base + Int(norm[3]))))
                    let sd = LaneDoubles(s)
                    let nf = normArea * q - sd * sd
                    let positive = nf .> 0
                    let inverse = LaneDoubles(repeating: 1) / nf.squareRoot()
                    var vnf = LaneFloats(inverse)
                    vnf.replace(with: 1, where: .!positive.asInt32)
                    let varianceOK = (positive .& (normArea * LaneDoubles(vnf) .< 0.1)).asInt32 .& inRow
                    var passed0 = LaneMask(repeating: false)
                    if any(varianceOK) {
                        passed0 = stagePasses(stages[0], base, vnf, varianceOK)
                    }
                    // Replay OpenCV's visiting order over this group of windows.
                    var alive = LaneMask(repeating: false)
                    var lane = nextVisit - j0
                    while lane < laneCount && j0 + lane < lanesPerRow {
                        if !varianceOK[lane] { lane += 1 }
                        else if !passed0[lane] { lane += 2 }
                        else { alive[lane] = true; lane += 1 }
                    }
                    nextVisit = j0 + lane
                    if any(alive) {
                        var s = 1
                        // Vectors pay for all sixteen lanes; once few windows survive, finish them one by one.
                        while s < stages.count && any(alive) {
                            var survivors = 0
                            for l in 0..<laneCount where alive[l] { survivors += 1 }
                            if survivors <= Self.scalarFinishLanes { break }
                            alive = stagePasses(stages[s], base, vnf, alive)
                            s += 1
                        }
                        if s < stages.count {
                            for l in 0..<laneCount where alive[l] {
                                var stage = s
                                while stage < stages.count && stagePassesScalar(stages[stage], base + l, vnf[l]) { stage += 1 }
                                alive[l] = stage == stages.count
                            }
                        }
                        for l in 0..<laneCount where alive[l] { emit((j0 + l) * step, y) }
                    }
                    j0 += laneCount
                }
                y += step
            }
        }}}}}}}}}}}}
    }
}

extension SIMDMask where Storage == SIMD16<Int64> {
    /// The same lanes as a mask over 32-bit lanes (masks of Double comparisons are 64-bit).
    @inline(__always)
    var asInt32: LaneMask { SIMD16<Int32>(truncatingIfNeeded: SIMD16<Int64>(repeating: 0).replacing(with: -1, where: self)) .!= 0 }
}
