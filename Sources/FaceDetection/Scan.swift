import Frames

typealias Lanes = SIMD16<Int32>
typealias LaneFloats = SIMD16<Float>
typealias LaneDoubles = SIMD16<Double>
typealias LaneMask = SIMDMask<SIMD16<Int32>>
let laneCount = 16

/// How a level's integral and squared-integral images are laid out, split by column phase.
///
/// At scales below 2 OpenCV visits every second column. Storing columns p, p+2, p+4, ...
/// as plane p makes the windows one scan row visits consecutive in memory, so sixteen of
/// them load as one vector. The planes are sized for the whole frame, so every level of a
/// frame with the same step shares one geometry, and with it one feature table.
struct PhasedIntegral: Hashable {
    let step: Int
    let planeWidth: Int
    let planeSize: Int

    init(step: Int, frameWidth: Int, frameHeight: Int, window: Int) {
        self.step = step
        // Room for a full vector past the last window, plus the window itself.
        planeWidth = (frameWidth + step) / step + laneCount + (window + step) / step + 1
        planeSize = planeWidth * (frameHeight + 1)
    }

    var count: Int { planeSize * step }

    /// Fills `sums` and `squares` (at least `count` long) with the integral images of the rows
    /// `sampler` produces. Integral row 0 and column 0 are written as zeros; points outside the
    /// level keep older values, which only lanes past the end of a scan row read, and those are masked.
    func load(_ sampler: inout ExactBilinear.RowSampler, sums: UnsafeMutablePointer<Int32>, squares: UnsafeMutablePointer<UInt32>,
              row: UnsafeMutablePointer<UInt8>) {
        let width = sampler.width + 1, height = sampler.height + 1
        let halve = step == 2 ? 1 : 0
        for x in 0..<width {
            let index = (x & halve) * planeSize + (x >> halve)
            sums[index] = 0
            squares[index] = 0
        }
        for y in 1..<height {
            sampler.row(y - 1, into: row)
            var s: Int32 = 0
            var q: UInt32 = 0
            let start = y * planeWidth
            sums[start] = 0
            squares[start] = 0
            // Each point adds its row's running sum to the point above.
            for x in 1..<width {
                let v = row[x - 1]
                s &+= Int32(v)
                q &+= UInt32(v) * UInt32(v)
                let index = (x & halve) * planeSize + start + (x >> halve)
                sums[index] = sums[index - planeWidth] &+ s
                squares[index] = squares[index - planeWidth] &+ q
            }
        }
    }

    /// Offset of integral point (x, y) of the window whose top-left is plane column 0, row 0.
    func offset(x: Int, y: Int) -> Int32 {
        Int32((x % step) * planeSize + y * planeWidth + x / step)
    }
}

/// The cascade flattened for scanning: features as corner lists, trees as flat arrays.
struct CompiledCascade: Sendable {
    struct Stage: Sendable {
        var threshold: Double
        var thresholdFloat: Float
        /// Bound on how far a Float sum of this stage's leaves can drift from the exact sum.
        var floatErrorBound: Float
        var allStumps: Bool
        /// Stump stages: the sum of the leaves taken when no feature is below its threshold.
        var stumpAboveSum: Float
        /// Stump stages: where the stage's stumps start in the `stump...` arrays, and how many have two rects.
        var stumpStart = 0, twoRectStumps = 0
        var nodeStart: Int, nodeCount: Int   // stumps: one node per tree
        var treeStart: Int, treeCount: Int
    }
    struct Tree: Sendable {
        var nodeStart: Int, nodeCount: Int, leafStart: Int
    }

    let window: (width: Int, height: Int)
    /// One record per node (see `nodeRecord`), `featureStride` Int32 words (one cache line): its feature's 12 corner byte offsets (filled in
    /// per plane geometry; 4 per rect: top-left, top-right, bottom-left, bottom-right), 3 integer weights (0 for a
    /// missing third rect) and the rect count. With the cascade's bound on weighted area (see HaarCascade) every
    /// weighted sum of rect sums stays below 2^24 in magnitude, so Int32 arithmetic gives exactly OpenCV's Float result.
    let featureTemplate: [Int32]
    /// The window coordinates of those 12 corners per record (unused slots 0).
    let cornerX: [Int32]
    let cornerY: [Int32]
    let stages: [Stage]
    let trees: [Tree]
    /// Whether every feature's first rect has weight -1 (true of all of OpenCV's cascades).
    let firstWeightsAreMinusOne: Bool
    /// The feature record of each node; stump i of the vector order (see `stumpThreshold`) is record i.
    let nodeRecord: [Int32]
    let nodeThreshold: [Float]
    let nodeLeft: [Int32]
    let nodeRight: [Int32]
    let leaves: [Float]
    /// Stump stages for the vector loop: per stump, its threshold and the difference of its leaves (below
    /// minus not below); stump i's feature is record i. Within a stage, stumps with two-rect features come
    /// first, so the loop needs no per-stump branch; the Float stage sum is checked against an
    /// order-independent error bound.
    let stumpThreshold: [Float]
    let stumpDifference: [Float]

    init(_ cascade: HaarCascade) {
        window = (cascade.windowWidth, cascade.windowHeight)
        var stages: [Stage] = [], trees: [Tree] = []
        var sourceFeature: [Int] = [], nodeThreshold: [Float] = [], nodeLeft: [Int32] = [], nodeRight: [Int32] = [], leaves: [Float] = []
        for stage in cascade.stages {
            let allStumps = stage.trees.allSatisfy(\.isStump)
            let stageNodes = sourceFeature.count, stageTrees = trees.count
            for tree in stage.trees {
                trees.append(Tree(nodeStart: sourceFeature.count, nodeCount: tree.nodes.count, leafStart: leaves.count))
                for node in tree.nodes {
                    sourceFeature.append(node.feature)
                    nodeThreshold.append(node.threshold)
                    nodeLeft.append(Int32(node.left))
                    nodeRight.append(Int32(node.right))
                }
                leaves += tree.leaves
            }
            let magnitude = stage.trees.reduce(Float(0)) { $0 + ($1.leaves.map(abs).max() ?? 0) }
            let bound = Float(stage.trees.count + 1) * magnitude * 0x1p-21
            stages.append(Stage(threshold: Double(stage.threshold), thresholdFloat: stage.threshold, floatErrorBound: bound, allStumps: allStumps,
                                stumpAboveSum: allStumps ? stage.trees.reduce(0) { $0 + $1.leaves[1] } : 0, nodeStart: stageNodes,
                                nodeCount: sourceFeature.count - stageNodes, treeStart: stageTrees, treeCount: trees.count - stageTrees))
        }
        // Stumps in vector order: per stage, those with two-rect features first.
        var stumpNodes: [Int] = [], stumpDifference: [Float] = []
        for (s, stage) in stages.enumerated() where stage.allStumps {
            let nodes = stage.nodeStart..<(stage.nodeStart + stage.nodeCount)
            let twoRect = nodes.filter { cascade.features[sourceFeature[$0]].rects.count == 2 }
            stages[s].stumpStart = stumpNodes.count
            stages[s].twoRectStumps = twoRect.count
            for n in twoRect + nodes.filter({ cascade.features[sourceFeature[$0]].rects.count == 3 }) {
                let leaf = trees[stage.treeStart + n - stage.nodeStart].leafStart   // a stump stage has one node per tree
                stumpNodes.append(n)
                stumpDifference.append(leaves[leaf] - leaves[leaf + 1])
            }
        }
        self.stumpThreshold = stumpNodes.map { nodeThreshold[$0] }
        self.stumpDifference = stumpDifference
        // One feature record per node, stumps first in vector order, so that stump i reads record i.
        let isStump = Set(stumpNodes)
        let recordNodes = stumpNodes + sourceFeature.indices.filter { !isStump.contains($0) }
        var nodeRecord = [Int32](repeating: 0, count: sourceFeature.count)
        var template = [Int32](repeating: 0, count: recordNodes.count * Self.featureStride)
        var cornerX = [Int32](repeating: 0, count: recordNodes.count * 12), cornerY = cornerX
        for (record, node) in recordNodes.enumerated() {
            nodeRecord[node] = Int32(record)
            let feature = cascade.features[sourceFeature[node]]
            for (i, r) in feature.rects.enumerated() {
                let c = record * 12 + i * 4
                for (k, (x, y)) in [(r.x, r.y), (r.x + r.width, r.y), (r.x, r.y + r.height), (r.x + r.width, r.y + r.height)].enumerated() {
                    cornerX[c + k] = Int32(x)
                    cornerY[c + k] = Int32(y)
                }
                template[record * Self.featureStride + 12 + i] = Int32(r.weight)
            }
            template[record * Self.featureStride + 15] = Int32(feature.rects.count)
        }
        featureTemplate = template
        firstWeightsAreMinusOne = cascade.features.allSatisfy { $0.rects[0].weight == -1 }
        self.cornerX = cornerX
        self.cornerY = cornerY
        self.stages = stages
        self.trees = trees
        self.nodeRecord = nodeRecord
        self.nodeThreshold = nodeThreshold
        self.nodeLeft = nodeLeft
        self.nodeRight = nodeRight
        self.leaves = leaves
    }

    /// Words per record in a feature table.
    static let featureStride = 16

    /// The feature table for a plane geometry: `featureTemplate` with byte offsets of the corners filled in.
    func featureTable(for integral: PhasedIntegral) -> [Int32] {
        var table = featureTemplate
        for corner in 0..<cornerX.count {
            table[corner / 12 * Self.featureStride + corner % 12] = 4 * integral.offset(x: Int(cornerX[corner]), y: Int(cornerY[corner]))
        }
        return table
    }

    /// Calls `emit(x, y)` for each window of a level that passes every stage, in OpenCV's visiting order.
    /// The level is `columns` x `rows` windows, its integral images are in `sums` and `squares`.
    func scan(_ integral: PhasedIntegral, sums: [Int32], squares: [UInt32], features: [Int32], columns: Int, rows: Int, emit: (Int, Int) -> Void) {
        let step = integral.step
        let lanesPerRow = (columns + step - 1) / step
        // OpenCV normalises by the variance of the window less a one-pixel border.
        let (w, h) = window
        let norm = [integral.offset(x: 1, y: 1), integral.offset(x: w - 1, y: 1), integral.offset(x: 1, y: h - 1), integral.offset(x: w - 1, y: h - 1)]
        let normArea = Double((w - 2) * (h - 2))

        sums.withUnsafeBufferPointer { sumsBuffer in
        squares.withUnsafeBufferPointer { squaresBuffer in
        features.withUnsafeBufferPointer { featureBuffer in
        nodeRecord.withUnsafeBufferPointer { nodeRecord in
        nodeThreshold.withUnsafeBufferPointer { nodeThreshold in
        leaves.withUnsafeBufferPointer { leaves in
        stumpThreshold.withUnsafeBufferPointer { stumpThreshold in
        stumpDifference.withUnsafeBufferPointer { stumpDifference in
        stages.withUnsafeBufferPointer { stages in
        trees.withUnsafeBufferPointer { trees in
            let features = featureBuffer.baseAddress!
            let sums = UnsafeRawPointer(sumsBuffer.baseAddress!)
            let squares = UnsafeRawPointer(squaresBuffer.baseAddress!)

            @inline(__always) func load(_ base: UnsafeRawPointer, _ index: Int) -> Lanes {
                base.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self)
            }
            // One feature for sixteen windows. The weighted sum is exact in Int32 (see `featureTemplate`), so it equals
            // OpenCV's Float products and sums; one conversion and the normalising product follow, as in OpenCV.
            @inline(__always) func featureValue(_ f: Int, _ base: Int, _ vnf: LaneFloats, threeRects: Bool? = nil, firstWeightIsMinusOne: Bool = false) -> LaneFloats {
                let r = features + f * Self.featureStride
                let window = sums + 4 * base
                @inline(__always) func at(_ k: Int) -> Lanes { window.loadUnaligned(fromByteOffset: Int(r[k]), as: Lanes.self) }
                @inline(__always) func rect(_ k: Int) -> Lanes { at(k) &- at(k + 1) &- at(k + 2) &+ at(k + 3) }
                // OpenCV's cascades all weigh their first rect -1: a subtraction instead of a multiplication.
                var value = rect(4) &* Lanes(repeating: r[13])
                if firstWeightIsMinusOne { value &-= rect(0) } else { value &+= rect(0) &* Lanes(repeating: r[12]) }
                if threeRects ?? (r[15] == 3) { value &+= rect(8) &* Lanes(repeating: r[14]) }
                // A lane loop becomes one vector conversion; the generic SIMD conversion would run lane by lane.
                var float = LaneFloats()
                for l in 0..<laneCount { float[l] = Float(value[l]) }
                return float * vnf
            }
            // The stage sum in Float for sixteen windows. OpenCV sums in Double; where the Float sum is
            // too close to the threshold for its rounding error to be ruled out, the lane is redone exactly.
            func stageSumFloat(_ stage: Stage, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
                var total = LaneFloats(repeating: 0)
                if stage.allStumps {
                    // Start from the sum of the stage's "not below" leaves and add each stump's difference where the
                    // feature is below its threshold: one masked add per stump. The rounding stays within the error bound.
                    total = LaneFloats(repeating: stage.stumpAboveSum)
                    @inline(__always) func add(_ i: Int, threeRects: Bool, firstWeightIsMinusOne: Bool) {
                        let value = featureValue(i, base, vnf, threeRects: threeRects, firstWeightIsMinusOne: firstWeightIsMinusOne)
                        total.replace(with: total + LaneFloats(repeating: stumpDifference[i]), where: value .< LaneFloats(repeating: stumpThreshold[i]))
                    }
                    let split = stage.stumpStart + stage.twoRectStumps, end = stage.stumpStart + stage.nodeCount
                    for i in stage.stumpStart..<split { add(i, threeRects: false, firstWeightIsMinusOne: firstWeightsAreMinusOne) }
                    for i in split..<end { add(i, threeRects: true, firstWeightIsMinusOne: firstWeightsAreMinusOne) }
                } else {
                    for i in stage.treeStart..<(stage.treeStart + stage.treeCount) { total += treeValue(trees[i], base, vnf) }
                }
                return total
            }
            @inline(__always) func scalarFeature(_ f: Int, _ at: Int, _ vnf: Float) -> Float {
                let r = features + f * Self.featureStride
                let window = sums + 4 * at
                @inline(__always) func corner(_ k: Int) -> Int32 { window.load(fromByteOffset: Int(r[k]), as: Int32.self) }
                @inline(__always) func rect(_ k: Int) -> Int32 { corner(k) &- corner(k + 1) &- corner(k + 2) &+ corner(k + 3) }
                // Branch-free: a missing third rect has weight 0 and corners at the window origin.
                let value = rect(0) &* r[12] &+ rect(4) &* r[13] &+ rect(8) &* r[14]
                return Float(value) * vnf
            }
            // One window, one stage, exactly as OpenCV: Double sum in tree order.
            func stagePassesExactly(_ stage: Stage, _ at: Int, _ vnf: Float) -> Bool {
                var total = 0.0
                for i in stage.treeStart..<(stage.treeStart + stage.treeCount) {
                    let t = trees[i]
                    var node = 0
                    while true {
                        let n = t.nodeStart + node
                        let child = Double(scalarFeature(Int(nodeRecord[n]), at, vnf)) < Double(nodeThreshold[n]) ? nodeLeft[n] : nodeRight[n]
                        if child <= 0 { total += Double(leaves[t.leafStart - Int(child)]); break }
                        node = Int(child)
                    }
                }
                return !(total < stage.threshold)
            }
            func stagePasses(_ stage: Stage, _ base: Int, _ vnf: LaneFloats, _ candidates: LaneMask) -> LaneMask {
                let sum = stageSumFloat(stage, base, vnf)
                var passes = candidates .& (sum .>= LaneFloats(repeating: stage.thresholdFloat + stage.floatErrorBound))
                let unsure = candidates .& (sum .>= LaneFloats(repeating: stage.thresholdFloat - stage.floatErrorBound)) .& .!passes
                var unsureLanes = laneBits(unsure)
                while unsureLanes != 0 {
                    let l = unsureLanes.trailingZeroBitCount
                    passes[l] = stagePassesExactly(stage, base + l, vnf[l])
                    unsureLanes &= unsureLanes - 1
                }
                return passes
            }
            // A stump stage for the eight windows from `base`, when the live lanes of a group fit in eight:
            // half-width vectors touch half the integral data. Returns the passing lanes among `candidates` (bits).
            func stumpStagePasses8(_ stage: Stage, _ base: Int, _ vnf: SIMD8<Float>, _ candidates: UInt32) -> UInt32 {
                let window = sums + 4 * base
                var total = SIMD8<Float>(repeating: stage.stumpAboveSum)
                @inline(__always) func add(_ i: Int, threeRects: Bool) {
                    let r = features + i * Self.featureStride
                    @inline(__always) func at(_ k: Int) -> SIMD8<Int32> { window.loadUnaligned(fromByteOffset: Int(r[k]), as: SIMD8<Int32>.self) }
                    @inline(__always) func rect(_ k: Int) -> SIMD8<Int32> { at(k) &- at(k + 1) &- at(k + 2) &+ at(k + 3) }
                    var value = rect(4) &* SIMD8<Int32>(repeating: r[13])
                    if firstWeightsAreMinusOne { value &-= rect(0) } else { value &+= rect(0) &* SIMD8<Int32>(repeating: r[12]) }
                    if threeRects { value &+= rect(8) &* SIMD8<Int32>(repeating: r[14]) }
                    var float = SIMD8<Float>()
                    for l in 0..<8 { float[l] = Float(value[l]) }
                    total.replace(with: total + SIMD8<Float>(repeating: stumpDifference[i]), where: float * vnf .< SIMD8<Float>(repeating: stumpThreshold[i]))
                }
                let split = stage.stumpStart + stage.twoRectStumps, end = stage.stumpStart + stage.nodeCount
                for i in stage.stumpStart..<split { add(i, threeRects: false) }
                for i in split..<end { add(i, threeRects: true) }
                var passes: UInt32 = 0
                for l in 0..<8 where candidates >> l & 1 != 0 {
                    if total[l] >= stage.thresholdFloat + stage.floatErrorBound { passes |= 1 << l }
                    else if total[l] >= stage.thresholdFloat - stage.floatErrorBound && stagePassesExactly(stage, base + l, vnf[l]) { passes |= 1 << l }
                }
                return passes
            }
            // A general tree: every node is evaluated for all lanes, then each lane walks its own path.
            func treeValue(_ t: Tree, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
                var goesLeft: [LaneMask] = []
                for n in t.nodeStart..<(t.nodeStart + t.nodeCount) {
                    goesLeft.append(featureValue(Int(nodeRecord[n]), base, vnf) .< LaneFloats(repeating: nodeThreshold[n]))
                }
                var index = Lanes(repeating: 0)
                var active = LaneMask(repeating: true)
                for _ in 0..<t.nodeCount {
                    var next = index
                    for local in 0..<t.nodeCount {
                        let here = active .& (index .== Lanes(repeating: Int32(local)))
                        let child = Lanes(repeating: nodeRight[t.nodeStart + local])
                            .replacing(with: nodeLeft[t.nodeStart + local], where: goesLeft[local])
                        next.replace(with: child, where: here)
                    }
                    index = next
                    active = index .> Lanes(repeating: 0)
                    if !any(active) { break }
                }
                var value = LaneFloats(repeating: 0)
                for leaf in 0..<(t.nodeCount + 1) where t.leafStart + leaf < leaves.count {
                    value.replace(with: leaves[t.leafStart + leaf], where: index .== Lanes(repeating: Int32(-leaf)))
                }
                return value
            }

            var y = 0
            while y < rows {
                var nextVisit = 0   // OpenCV skips the window after one that stage 0 rejects
                var j0 = 0
                while j0 < lanesPerRow {
                    let base = y * integral.planeWidth + j0
                    // OpenCV (HaarEvaluator::setWindow): nf = area * sum(x^2) - sum(x)^2 in Double, vnf = Float(1 / sqrt(nf)),
                    // and a window is scanned only if nf > 0 and area * vnf < 0.1. Lane loops, because the generic
                    // SIMD conversions and square root run lane by lane through library calls.
                    let s = load(sums, base + Int(norm[0])) &- load(sums, base + Int(norm[1])) &- load(sums, base + Int(norm[2])) &+ load(sums, base + Int(norm[3]))
                    let q = load(squares, base + Int(norm[0])) &- load(squares, base + Int(norm[1])) &- load(squares, base + Int(norm[2])) &+ load(squares, base + Int(norm[3]))
                    var nf = LaneDoubles(), vnf = LaneFloats()
                    for l in 0..<laneCount { nf[l] = normArea * Double(UInt32(bitPattern: q[l])) - Double(s[l]) * Double(s[l]) }
                    for l in 0..<laneCount { vnf[l] = Float(1 / Swift.max(nf[l], 1).squareRoot()) }   // nf is a whole number
                    let positive = nf .> LaneDoubles(repeating: 0)
                    let bitsOK = laneBits(positive) & laneBits(LaneDoubles(repeating: normArea) * LaneDoubles(vnf) .< LaneDoubles(repeating: 0.1))
                    vnf.replace(with: LaneFloats(repeating: 1), where: .!maskOf(laneBits(positive)))
                    let lanesLeft = lanesPerRow - j0
                    let varianceBits = lanesLeft < laneCount ? bitsOK & ((1 << lanesLeft) - 1) : bitsOK
                    let varianceOK = maskOf(varianceBits)
                    var passed0 = LaneMask(repeating: false)
                    if varianceBits != 0 {
                        passed0 = stagePasses(stages[0], base, vnf, varianceOK)
                    }
                    // Replay OpenCV's visiting order: a window that stage 0 rejects makes it skip the next one,
                    // unless it was itself skipped. Lanes are bits; only rejected lanes need a look.
                    let visitFrom = ~UInt32(0) << (nextVisit - j0)
                    let passedBits = laneBits(passed0) & visitFrom
                    var rejected = varianceBits & ~passedBits & visitFrom
                    var skipped: UInt32 = 0
                    while rejected != 0 {
                        let lane = UInt32(rejected.trailingZeroBitCount)
                        skipped |= (~(skipped >> lane) & 1) << (lane + 1)
                        rejected &= rejected - 1
                    }
                    var aliveBits = passedBits & ~skipped & 0xFFFF
                    nextVisit = j0 + laneCount + Int((skipped >> laneCount) & 1)
                    // Deeper stages run on vectors while any lane is alive (with contiguous loads a vector costs
                    // about what one window finished on its own does): eight lanes once the live ones fit in eight.
                    var stage = 1
                    var alive = maskOf(aliveBits)
                    while aliveBits != 0 && stage < stages.count {
                        let first = aliveBits.trailingZeroBitCount, last = 31 - aliveBits.leadingZeroBitCount
                        if last - first < 8 && stages[stage].allStumps {
                            let start = Swift.min(first, laneCount - 8)
                            var vnf8 = SIMD8<Float>()
                            for l in 0..<8 { vnf8[l] = vnf[start + l] }
                            aliveBits = stumpStagePasses8(stages[stage], base + start, vnf8, aliveBits >> start) << start
                            alive = maskOf(aliveBits)
                        } else {
                            alive = stagePasses(stages[stage], base, vnf, alive)
                            aliveBits = laneBits(alive)
                        }
                        stage += 1
                    }
                    while aliveBits != 0 {
                        emit((j0 + aliveBits.trailingZeroBitCount) * step, y)
                        aliveBits &= aliveBits - 1
                    }
                    j0 += laneCount
                }
                y += step
            }
        }}}}}}}}}}
    }
}

/// Bit l set for lane l.
let laneBit = Lanes(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

/// The mask of a Double comparison as bits (bit l for lane l).
@inline(__always)
func laneBits(_ mask: SIMDMask<SIMD16<Int64>>) -> UInt32 {
    UInt32(truncatingIfNeeded: (unsafeBitCast(mask, to: SIMD16<Int64>.self) & laneBit64).wrappedSum())
}
let laneBit64 = SIMD16<Int64>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

/// The mask as bits (bit l for lane l), for cheap scalar tests and loops over live lanes.
@inline(__always)
func laneBits(_ mask: LaneMask) -> UInt32 {
    UInt32(truncatingIfNeeded: (unsafeBitCast(mask, to: Lanes.self) & laneBit).wrappedSum())
}

/// The lanes whose bits are set. (Comparisons against a scalar are generic and run lane by lane; vector ones do not.)
@inline(__always)
func maskOf(_ bits: UInt32) -> LaneMask {
    Lanes(repeating: Int32(bitPattern: bits)) & laneBit .!= Lanes(repeating: 0)
}
