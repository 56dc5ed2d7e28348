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
    func load(
        _ sampler: inout ExactBilinear.RowSampler, sums: UnsafeMutablePointer<Int32>,
        squares: UnsafeMutablePointer<UInt32>,
        row: UnsafeMutablePointer<UInt8>
    ) {
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
            // The row's running sums, each where its plane keeps it; the serial dependency is only the running sum.
            for x in 1..<width {
                let v = row[x - 1]
                s &+= Int32(v)
                q &+= UInt32(v) * UInt32(v)
                let index = (x & halve) * planeSize + start + (x >> halve)
                sums[index] = s
                squares[index] = q
            }
            // Then the points above, plane by plane: contiguous, so these loops run on vectors.
            for plane in 0..<step {
                let here = plane * planeSize + start, count = (width - plane + step - 1) / step
                for i in here..<(here + count) {
                    sums[i] &+= sums[i - planeWidth]
                    squares[i] &+= squares[i - planeWidth]
                }
            }
        }
    }

    /// Offset of integral point (x, y) of the window whose top-left is plane column 0, row 0.
    func offset(x: Int, y: Int) -> Int32 {
        Int32((x % step) * planeSize + y * planeWidth + x / step)
    }
}

extension CompiledCascade {
    /// Calls `emit(x, y)` for each window of a level that passes every stage, in OpenCV's visiting order.
    /// The level is `columns` x `rows` windows, its integral images are in `sums` and `squares`.
    func scan(
        _ integral: PhasedIntegral, sums: [Int32], squares: [UInt32], features: [Int32], columns: Int, rows: Int,
        emit: (Int, Int) -> Void
    ) {
        let step = integral.step
        let lanesPerRow = (columns + step - 1) / step
        // OpenCV normalises by the variance of the window less a one-pixel border.
        let (w, h) = window
        let norm = [
            integral.offset(x: 1, y: 1), integral.offset(x: w - 1, y: 1), integral.offset(x: 1, y: h - 1),
            integral.offset(x: w - 1, y: h - 1),
        ]
        let normArea = Double((w - 2) * (h - 2))

        sums.withUnsafeBufferPointer { sumsBuffer in
            squares.withUnsafeBufferPointer { squaresBuffer in
                features.withUnsafeBufferPointer { featureBuffer in
                    nodeThreshold.withUnsafeBufferPointer { nodeThreshold in
                        leaves.withUnsafeBufferPointer { leaves in
                            stumpThreshold.withUnsafeBufferPointer { stumpThreshold in
                                stumpDifference.withUnsafeBufferPointer { stumpDifference in
                                    stages.withUnsafeBufferPointer { stages in
                                        trees.withUnsafeBufferPointer { trees in
                                            let features = featureBuffer.baseAddress!
                                            let stumpRecords = features + stumpRecordStart * Self.recordStride
                                            let thresholds = stumpThreshold.baseAddress!,
                                                differences = stumpDifference.baseAddress!
                                            let sums = UnsafeRawPointer(sumsBuffer.baseAddress!)
                                            let squares = UnsafeRawPointer(squaresBuffer.baseAddress!)

                                            @inline(__always) func load(_ base: UnsafeRawPointer, _ index: Int) -> Lanes
                                            {
                                                base.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self)
                                            }
                                            // One general feature (node record `f`) for sixteen windows, times the windows' normalisation, as in OpenCV.
                                            @inline(__always) func featureValue(
                                                _ f: Int, _ base: Int, _ vnf: LaneFloats
                                            ) -> LaneFloats {
                                                converted(
                                                    featureSum(
                                                        .threeRects, features + f * Self.recordStride, sums + 4 * base,
                                                        as: Lanes.self)) * vnf
                                            }
                                            // A stump stage's leaf sum in Float for the windows from `base`, as wide as `Floats`. Start from the sum
                                            // of the "not below" leaves and add each stump's difference where its feature is below its threshold:
                                            // one masked add per stump, one loop per form. The rounding stays within the stage's error bound.
                                            @inline(__always) func stumpStageSum<Ints: IntLanes>(
                                                _ stage: Stage, _ base: Int, _ vnf: Ints.Floats, _: Ints.Type
                                            ) -> Ints.Floats {
                                                typealias Floats = Ints.Floats
                                                var total = Floats(repeating: stage.stumpAboveSum)
                                                let window = sums + 4 * base
                                                @inline(__always) func add(_ form: StumpForm, _ range: Range<Int>) {
                                                    for i in range {
                                                        let value =
                                                            converted(
                                                                featureSum(
                                                                    form, stumpRecords + i * Self.recordStride, window,
                                                                    as: Ints.self)) * vnf
                                                        total.replace(
                                                            with: total + Floats(repeating: differences[i]),
                                                            where: value .< Floats(repeating: thresholds[i]))
                                                    }
                                                }
                                                let ends = stage.formEnds
                                                add(.sixPoints, stage.stumpStart..<ends.0)
                                                add(.twoRects, ends.0..<ends.1)
                                                add(.ninePoints, ends.1..<ends.2)
                                                add(.threeRects, ends.2..<ends.3)
                                                return total
                                            }
                                            // The stage sum in Float for sixteen windows. OpenCV sums in Double; where the Float sum is
                                            // too close to the threshold for its rounding error to be ruled out, the lane is redone exactly.
                                            func stageSumFloat(
                                                _ stage: Stage, _ base: Int, _ vnf: LaneFloats
                                            ) -> LaneFloats {
                                                if stage.allStumps {
                                                    return stumpStageSum(stage, base, vnf, Lanes.self)
                                                }
                                                var total = LaneFloats(repeating: 0)
                                                for i in stage.treeStart..<(stage.treeStart + stage.treeCount) {
                                                    total += treeValue(trees[i], base, vnf)
                                                }
                                                return total
                                            }
                                            @inline(__always) func scalarFeature(
                                                _ f: Int, _ at: Int, _ vnf: Float
                                            ) -> Float {
                                                let r = features + f * Self.recordStride
                                                let window = sums + 4 * at
                                                @inline(__always) func corner(_ k: Int) -> Int32 {
                                                    window.load(fromByteOffset: Int(r[k]), as: Int32.self)
                                                }
                                                @inline(__always) func rect(_ k: Int) -> Int32 {
                                                    corner(k) &- corner(k + 1) &- corner(k + 2) &+ corner(k + 3)
                                                }
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
                                                        let child =
                                                            Double(scalarFeature(n, at, vnf)) < Double(nodeThreshold[n])
                                                            ? nodeLeft[n] : nodeRight[n]
                                                        if child <= 0 {
                                                            total += Double(leaves[t.leafStart - Int(child)]); break
                                                        }
                                                        node = Int(child)
                                                    }
                                                }
                                                return !(total < stage.threshold)
                                            }
                                            func stagePasses(
                                                _ stage: Stage, _ base: Int, _ vnf: LaneFloats, _ candidates: LaneMask
                                            ) -> LaneMask {
                                                let sum = stageSumFloat(stage, base, vnf)
                                                var passes =
                                                    candidates
                                                    .& (sum
                                                        .>= LaneFloats(
                                                            repeating: stage.thresholdFloat + stage.floatErrorBound))
                                                let unsure =
                                                    candidates
                                                    .& (sum
                                                        .>= LaneFloats(
                                                            repeating: stage.thresholdFloat - stage.floatErrorBound))
                                                    .& .!passes
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
                                            func stumpStagePasses8(
                                                _ stage: Stage, _ base: Int, _ vnf: SIMD8<Float>, _ candidates: UInt32
                                            ) -> UInt32 {
                                                let total = stumpStageSum(stage, base, vnf, SIMD8<Int32>.self)
                                                var passes =
                                                    candidates
                                                    & laneBits(
                                                        total
                                                            .>= SIMD8<Float>(
                                                                repeating: stage.thresholdFloat + stage.floatErrorBound)
                                                    )
                                                var unsure =
                                                    candidates & ~passes
                                                    & laneBits(
                                                        total
                                                            .>= SIMD8<Float>(
                                                                repeating: stage.thresholdFloat - stage.floatErrorBound)
                                                    )
                                                while unsure != 0 {
                                                    let l = unsure.trailingZeroBitCount
                                                    if stagePassesExactly(stage, base + l, vnf[l]) { passes |= 1 << l }
                                                    unsure &= unsure - 1
                                                }
                                                return passes
                                            }
                                            // A general tree: every node is evaluated for all lanes, then each lane walks its own path.
                                            func treeValue(_ t: Tree, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
                                                var goesLeft: [LaneMask] = []
                                                for n in t.nodeStart..<(t.nodeStart + t.nodeCount) {
                                                    goesLeft.append(
                                                        featureValue(n, base, vnf)
                                                            .< LaneFloats(repeating: nodeThreshold[n]))
                                                }
                                                var index = Lanes(repeating: 0)
                                                var active = LaneMask(repeating: true)
                                                for _ in 0..<t.nodeCount {
                                                    var next = index
                                                    for local in 0..<t.nodeCount {
                                                        let here = active .& (index .== Lanes(repeating: Int32(local)))
                                                        let child = Lanes(repeating: nodeRight[t.nodeStart + local])
                                                            .replacing(
                                                                with: nodeLeft[t.nodeStart + local],
                                                                where: goesLeft[local])
                                                        next.replace(with: child, where: here)
                                                    }
                                                    index = next
                                                    active = index .> Lanes(repeating: 0)
                                                    if !any(active) { break }
                                                }
                                                var value = LaneFloats(repeating: 0)
                                                for leaf in 0..<(t.nodeCount + 1)
                                                where t.leafStart + leaf < leaves.count {
                                                    value.replace(
                                                        with: leaves[t.leafStart + leaf],
                                                        where: index .== Lanes(repeating: Int32(-leaf)))
                                                }
                                                return value
                                            }

                                            var y = 0
                                            while y < rows {
                                                var nextVisit = 0  // OpenCV skips the window after one that stage 0 rejects
                                                var j0 = 0
                                                while j0 < lanesPerRow {
                                                    let base = y * integral.planeWidth + j0
                                                    // OpenCV (HaarEvaluator::setWindow): nf = area * sum(x^2) - sum(x)^2 in Double, vnf = Float(1 / sqrt(nf)),
                                                    // and a window is scanned only if nf > 0 and area * vnf < 0.1. Lane loops, because the generic
                                                    // SIMD conversions and square root run lane by lane through library calls.
                                                    let s =
                                                        load(sums, base + Int(norm[0]))
                                                        &- load(sums, base + Int(norm[1]))
                                                        &- load(sums, base + Int(norm[2]))
                                                        &+ load(sums, base + Int(norm[3]))
                                                    let q =
                                                        load(squares, base + Int(norm[0]))
                                                        &- load(squares, base + Int(norm[1]))
                                                        &- load(squares, base + Int(norm[2]))
                                                        &+ load(squares, base + Int(norm[3]))
                                                    var nf = LaneDoubles(), vnf = LaneFloats()
                                                    for l in 0..<laneCount {
                                                        nf[l] =
                                                            normArea * Double(UInt32(bitPattern: q[l])) - Double(s[l])
                                                            * Double(s[l])
                                                    }
                                                    for l in 0..<laneCount {
                                                        vnf[l] = Float(1 / Swift.max(nf[l], 1).squareRoot())
                                                    }  // nf is a whole number
                                                    let positive = nf .> LaneDoubles(repeating: 0)
                                                    let bitsOK =
                                                        laneBits(positive)
                                                        & laneBits(
                                                            LaneDoubles(repeating: normArea) * LaneDoubles(vnf)
                                                                .< LaneDoubles(repeating: 0.1))
                                                    vnf.replace(
                                                        with: LaneFloats(repeating: 1),
                                                        where: .!maskOf(laneBits(positive)))
                                                    let lanesLeft = lanesPerRow - j0
                                                    let varianceBits =
                                                        lanesLeft < laneCount ? bitsOK & ((1 << lanesLeft) - 1) : bitsOK
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
                                                        let first = aliveBits.trailingZeroBitCount,
                                                            last = 31 - aliveBits.leadingZeroBitCount
                                                        if last - first < 8 && stages[stage].allStumps {
                                                            let start = Swift.min(first, laneCount - 8)
                                                            // One unaligned load; a lane loop with a variable start inserts lane by lane.
                                                            let vnf8 = withUnsafeBytes(of: vnf) {
                                                                $0.loadUnaligned(
                                                                    fromByteOffset: 4 * start, as: SIMD8<Float>.self)
                                                            }
                                                            aliveBits =
                                                                stumpStagePasses8(
                                                                    stages[stage], base + start, vnf8,
                                                                    aliveBits >> start) << start
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
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Int32 lanes of sixteen or eight windows. Generic scan code reaches the standard library's concrete,
/// vectorised operators through these requirements; its generic SIMD operators are separate functions
/// that work lane by lane (ten times slower here, measured).
protocol IntLanes: SIMD where Scalar == Int32 {
    associatedtype Floats: FloatLanes
    static func &+ (a: Self, b: Self) -> Self
    static func &- (a: Self, b: Self) -> Self
    static func &* (a: Self, b: Self) -> Self
}
/// Float lanes, with the same purpose as `IntLanes`.
protocol FloatLanes: SIMD where Scalar == Float {
    static func + (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func .< (a: Self, b: Self) -> SIMDMask<MaskStorage>
}
extension SIMD16: IntLanes where Scalar == Int32 { typealias Floats = SIMD16<Float> }
extension SIMD8: IntLanes where Scalar == Int32 { typealias Floats = SIMD8<Float> }
extension SIMD16: FloatLanes where Scalar == Float {}
extension SIMD8: FloatLanes where Scalar == Float {}

/// A feature's weighted sum for the windows from `window`, as wide as `Ints`, from a record laid out for `form`
/// (see `CompiledCascade.template`). Wrapping arithmetic: the result is exact (below 2^24), intermediates may wrap.
@inline(__always)
func featureSum<Ints: IntLanes>(
    _ form: StumpForm, _ r: UnsafePointer<Int32>, _ window: UnsafeRawPointer, as _: Ints.Type
) -> Ints {
    // Offsets are read two at a time: the loop is bound by loads, and splitting a 64-bit word takes ALU work instead.
    @inline(__always) func at(_ offset: Int64) -> Ints {
        window.loadUnaligned(fromByteOffset: Int(offset), as: Ints.self)
    }
    @inline(__always) func pair(_ k: Int) -> (Ints, Ints) {
        let both = UnsafeRawPointer(r + k).load(as: Int64.self)
        return (at((both << 32) >> 32), at(both >> 32))
    }
    @inline(__always) func sum(_ k: Int) -> Ints { let (a, b) = pair(k); return a &+ b }
    @inline(__always) func difference(_ k: Int) -> Ints { let (a, b) = pair(k); return a &- b }
    // A rect's corners are top-left, top-right, bottom-left, bottom-right.
    @inline(__always) func rect(_ k: Int) -> Ints { difference(k) &- difference(k + 2) }
    @inline(__always) func weight(_ k: Int) -> Ints { Ints(repeating: r[k]) }
    switch form {
    case .sixPoints:
        let twice = difference(4)
        return (sum(0) &- sum(2)) &+ (twice &+ twice)
    case .twoRects:
        return rect(4) &* weight(13) &- rect(0)
    case .ninePoints:
        let ones = sum(0) &+ sum(2), twos = sum(4) &+ sum(6)
        let middle = at(Int64(r[8])), center = middle &+ middle
        return ((ones &- (twos &+ twos)) &+ (center &+ center)) &* weight(12)
    case .threeRects:
        return rect(0) &* weight(12) &+ rect(4) &* weight(13) &+ rect(8) &* weight(14)
    }
}

/// Int32 lanes to Float lanes. A lane loop becomes one vector conversion; the generic SIMD initialiser runs lane by lane.
@inline(__always)
func converted<Ints: IntLanes>(_ value: Ints) -> Ints.Floats {
    var result = Ints.Floats()
    for l in 0..<Ints.Floats.scalarCount { result[l] = Float(value[l]) }
    return result
}

/// Bit l set for lane l.
let laneBit = Lanes(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

/// The mask of a Double comparison as bits (bit l for lane l).
@inline(__always)
func laneBits(_ mask: SIMDMask<SIMD16<Int64>>) -> UInt32 {
    UInt32(truncatingIfNeeded: (unsafeBitCast(mask, to: SIMD16<Int64>.self) & laneBit64).wrappedSum())
}
let laneBit64 = SIMD16<Int64>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)

/// The mask of an eight-lane comparison as bits (bit l for lane l).
@inline(__always)
func laneBits(_ mask: SIMDMask<SIMD8<Int32>>) -> UInt32 {
    UInt32(
        truncatingIfNeeded: (unsafeBitCast(mask, to: SIMD8<Int32>.self) & SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128))
            .wrappedSum())
}

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
