/// The scan of one pyramid level: the cascade's tables, the level's integral images and its feature
/// table as plain pointers, and the steps that evaluate sixteen neighbouring windows at a time.
///
/// Valid only inside `CompiledCascade.scan`, which keeps the memory behind every pointer alive.
struct LevelScan {
    let integral: PhasedIntegral
    let tables: CascadeTables
    let sums: UnsafeRawPointer
    let squares: UnsafeRawPointer
    /// The level's feature table (node records, then stump records; see `CompiledCascade.template`).
    let features: UnsafePointer<Int32>
    let stumpRecords: UnsafePointer<Int32>
    /// Offsets of the corners of a window's normalisation area (the window less a one-pixel border).
    let norm: (Int, Int, Int, Int)
    let normArea: Double

    var recordStride: Int { CompiledCascade.recordStride }

    /// Calls `emit(x, y)` for each window of the level that passes every stage, in OpenCV's visiting order.
    func scan(columns: Int, rows: Int, emit: (Int, Int) -> Void) {
        let step = integral.step
        let lanesPerRow = (columns + step - 1) / step
        var y = 0
        while y < rows {
            var nextVisit = 0  // OpenCV skips the window after one that stage 0 rejects
            var j0 = 0
            while j0 < lanesPerRow {
                let base = y * integral.planeWidth + j0
                let (vnf, scanned) = normalisation(base)
                let lanesLeft = lanesPerRow - j0
                let candidates = lanesLeft < laneCount ? scanned & ((1 << lanesLeft) - 1) : scanned
                var aliveBits = firstStage(base, vnf, candidates, j0: j0, nextVisit: &nextVisit)
                aliveBits = laterStages(base, vnf, aliveBits)
                while aliveBits != 0 {
                    emit((j0 + aliveBits.trailingZeroBitCount) * step, y)
                    aliveBits &= aliveBits - 1
                }
                j0 += laneCount
            }
            y += step
        }
    }

    /// OpenCV (HaarEvaluator::setWindow): nf = area * sum(x^2) - sum(x)^2 in Double, vnf = Float(1 / sqrt(nf)),
    /// and a window is scanned only if nf > 0 and area * vnf < 0.1. `scanned` has a bit per such lane.
    /// Lane loops, because the generic SIMD conversions and square root run lane by lane through library calls.
    @inline(__always)
    func normalisation(_ base: Int) -> (vnf: LaneFloats, scanned: UInt32) {
        @inline(__always) func load(_ plane: UnsafeRawPointer, _ index: Int) -> Lanes {
            plane.loadUnaligned(fromByteOffset: (base + index) * 4, as: Lanes.self)
        }
        let s = load(sums, norm.0) &- load(sums, norm.1) &- load(sums, norm.2) &+ load(sums, norm.3)
        let q = load(squares, norm.0) &- load(squares, norm.1) &- load(squares, norm.2) &+ load(squares, norm.3)
        var nf = LaneDoubles(), vnf = LaneFloats()
        for l in 0..<laneCount {
            nf[l] = normArea * Double(UInt32(bitPattern: q[l])) - Double(s[l]) * Double(s[l])
        }
        for l in 0..<laneCount {
            vnf[l] = Float(1 / Swift.max(nf[l], 1).squareRoot())  // nf is a whole number
        }
        let positive = laneBits(nf .> LaneDoubles(repeating: 0))
        let scanned =
            positive & laneBits(LaneDoubles(repeating: normArea) * LaneDoubles(vnf) .< LaneDoubles(repeating: 0.1))
        vnf.replace(with: LaneFloats(repeating: 1), where: .!maskOf(positive))
        return (vnf, scanned)
    }

    /// Stage 0 for the sixteen windows from `base` (`candidates`: lanes inside the level whose variance
    /// allows a scan), replaying OpenCV's visiting order: a window that stage 0 rejects makes it skip the
    /// next one, unless it was itself skipped. Returns the lanes visited and passed (bits) and moves
    /// `nextVisit` past the skipped windows.
    @inline(__always)
    func firstStage(_ base: Int, _ vnf: LaneFloats, _ candidates: UInt32, j0: Int, nextVisit: inout Int) -> UInt32 {
        var passed0 = LaneMask(repeating: false)
        if candidates != 0 {
            passed0 = stagePasses(tables.stages[0], base, vnf, maskOf(candidates))
        }
        // Lanes are bits; only rejected lanes need a look.
        let visitFrom = ~UInt32(0) << (nextVisit - j0)
        let passedBits = laneBits(passed0) & visitFrom
        var rejected = candidates & ~passedBits & visitFrom
        var skipped: UInt32 = 0
        while rejected != 0 {
            let lane = UInt32(rejected.trailingZeroBitCount)
            skipped |= (~(skipped >> lane) & 1) << (lane + 1)
            rejected &= rejected - 1
        }
        nextVisit = j0 + laneCount + Int((skipped >> laneCount) & 1)
        return passedBits & ~skipped & 0xFFFF
    }

    /// Stages 1 and on for the live lanes (bits); returns the lanes that pass them all. They run on vectors while any
    /// lane is alive (with contiguous loads a vector costs about what one window finished on its own does): eight
    /// lanes once the live ones fit in eight.
    @inline(__always)
    func laterStages(_ base: Int, _ vnf: LaneFloats, _ startBits: UInt32) -> UInt32 {
        let stages = tables.stages
        var aliveBits = startBits
        var alive = maskOf(aliveBits)
        var stage = 1
        while aliveBits != 0 && stage < stages.count {
            let first = aliveBits.trailingZeroBitCount, last = 31 - aliveBits.leadingZeroBitCount
            if last - first < 8 && stages[stage].allStumps {
                let start = Swift.min(first, laneCount - 8)
                // One unaligned load; a lane loop with a variable start inserts lane by lane.
                let vnf8 = withUnsafeBytes(of: vnf) {
                    $0.loadUnaligned(fromByteOffset: 4 * start, as: SIMD8<Float>.self)
                }
                aliveBits = stumpStagePasses8(stages[stage], base + start, vnf8, aliveBits >> start) << start
                alive = maskOf(aliveBits)
            } else {
                alive = stagePasses(stages[stage], base, vnf, alive)
                aliveBits = laneBits(alive)
            }
            stage += 1
        }
        return aliveBits
    }

    /// The lanes among `candidates` whose windows pass `stage`. The Float sum decides unless it is too
    /// close to the threshold for its rounding error to be ruled out; those lanes are redone exactly.
    func stagePasses(
        _ stage: CompiledCascade.Stage, _ base: Int, _ vnf: LaneFloats, _ candidates: LaneMask
    ) -> LaneMask {
        let sum = stageSumFloat(stage, base, vnf)
        let sure = LaneFloats(repeating: stage.thresholdFloat + stage.floatErrorBound)
        let possible = LaneFloats(repeating: stage.thresholdFloat - stage.floatErrorBound)
        var passes = candidates .& (sum .>= sure)
        var unsure = laneBits(candidates .& (sum .>= possible) .& .!passes)
        while unsure != 0 {
            let l = unsure.trailingZeroBitCount
            passes[l] = stagePassesExactly(stage, base + l, vnf[l])
            unsure &= unsure - 1
        }
        return passes
    }

    /// A stump stage for the eight windows from `base`, when the live lanes of a group fit in eight:
    /// half-width vectors touch half the integral data. Returns the passing lanes among `candidates` (bits).
    func stumpStagePasses8(
        _ stage: CompiledCascade.Stage, _ base: Int, _ vnf: SIMD8<Float>, _ candidates: UInt32
    ) -> UInt32 {
        let total = stumpStageSum(stage, base, vnf, SIMD8<Int32>.self)
        let sure = SIMD8<Float>(repeating: stage.thresholdFloat + stage.floatErrorBound)
        let possible = SIMD8<Float>(repeating: stage.thresholdFloat - stage.floatErrorBound)
        var passes = candidates & laneBits(total .>= sure)
        var unsure = candidates & ~passes & laneBits(total .>= possible)
        while unsure != 0 {
            let l = unsure.trailingZeroBitCount
            if stagePassesExactly(stage, base + l, vnf[l]) { passes |= 1 << l }
            unsure &= unsure - 1
        }
        return passes
    }

    /// The stage sum in Float for sixteen windows. OpenCV sums in Double; `stagePasses` bounds the difference.
    func stageSumFloat(_ stage: CompiledCascade.Stage, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
        if stage.allStumps {
            return stumpStageSum(stage, base, vnf, Lanes.self)
        }
        var total = LaneFloats(repeating: 0)
        for i in stage.treeStart..<(stage.treeStart + stage.treeCount) {
            total += treeValue(tables.trees[i], base, vnf)
        }
        return total
    }

    /// A stump stage's leaf sum in Float for the windows from `base`, as wide as `Floats`. Start from the sum
    /// of the "not below" leaves and add each stump's difference where its feature is below its threshold:
    /// one masked add per stump, one loop per form. The rounding stays within the stage's error bound.
    @inline(__always)
    func stumpStageSum<Ints: IntLanes>(
        _ stage: CompiledCascade.Stage, _ base: Int, _ vnf: Ints.Floats, _: Ints.Type
    ) -> Ints.Floats {
        typealias Floats = Ints.Floats
        var total = Floats(repeating: stage.stumpAboveSum)
        let window = sums + 4 * base
        let thresholds = tables.stumpThreshold.baseAddress!, differences = tables.stumpDifference.baseAddress!
        @inline(__always) func add(_ form: StumpForm, _ range: Range<Int>) {
            for i in range {
                let sum = featureSum(form, stumpRecords + i * recordStride, window, as: Ints.self)
                let value = converted(sum) * vnf
                total.replace(
                    with: total + Floats(repeating: differences[i]), where: value .< Floats(repeating: thresholds[i]))
            }
        }
        let ends = stage.formEnds
        add(.sixPoints, stage.stumpStart..<ends.0)
        add(.twoRects, ends.0..<ends.1)
        add(.ninePoints, ends.1..<ends.2)
        add(.threeRects, ends.2..<ends.3)
        return total
    }

    /// A general tree: every node is evaluated for all lanes, then each lane walks its own path.
    func treeValue(_ t: CompiledCascade.Tree, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
        let nodeLeft = tables.nodeLeft, nodeRight = tables.nodeRight, leaves = tables.leaves
        var goesLeft: [LaneMask] = []
        for n in t.nodeStart..<(t.nodeStart + t.nodeCount) {
            goesLeft.append(featureValue(n, base, vnf) .< LaneFloats(repeating: tables.nodeThreshold[n]))
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

    /// One general feature (node record `f`) for sixteen windows, times the windows' normalisation, as in OpenCV.
    @inline(__always)
    func featureValue(_ f: Int, _ base: Int, _ vnf: LaneFloats) -> LaneFloats {
        converted(featureSum(.threeRects, features + f * recordStride, sums + 4 * base, as: Lanes.self)) * vnf
    }

    /// One general feature for the window at `at`, times its normalisation.
    @inline(__always)
    func scalarFeature(_ f: Int, _ at: Int, _ vnf: Float) -> Float {
        let r = features + f * recordStride
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

    /// One window, one stage, exactly as OpenCV: Double sum in tree order.
    func stagePassesExactly(_ stage: CompiledCascade.Stage, _ at: Int, _ vnf: Float) -> Bool {
        var total = 0.0
        for i in stage.treeStart..<(stage.treeStart + stage.treeCount) {
            let t = tables.trees[i]
            var node = 0
            while true {
                let n = t.nodeStart + node
                let below = Double(scalarFeature(n, at, vnf)) < Double(tables.nodeThreshold[n])
                let child = below ? tables.nodeLeft[n] : tables.nodeRight[n]
                if child <= 0 {
                    total += Double(tables.leaves[t.leafStart - Int(child)])
                    break
                }
                node = Int(child)
            }
        }
        return !(total < stage.threshold)
    }
}

extension CompiledCascade {
    /// Calls `emit(x, y)` for each window of a level that passes every stage, in OpenCV's visiting order.
    /// The level is `columns` x `rows` windows, its integral images are in `sums` and `squares`.
    func scan(
        _ integral: PhasedIntegral, sums: [Int32], squares: [UInt32], features: [Int32], columns: Int, rows: Int,
        emit: (Int, Int) -> Void
    ) {
        // OpenCV normalises by the variance of the window less a one-pixel border.
        let (w, h) = window
        let norm = (
            Int(integral.offset(x: 1, y: 1)), Int(integral.offset(x: w - 1, y: 1)),
            Int(integral.offset(x: 1, y: h - 1)), Int(integral.offset(x: w - 1, y: h - 1))
        )
        sums.withUnsafeBytes { sums in
            squares.withUnsafeBytes { squares in
                features.withUnsafeBufferPointer { features in
                    let level = LevelScan(
                        integral: integral, tables: tables, sums: sums.baseAddress!, squares: squares.baseAddress!,
                        features: features.baseAddress!,
                        stumpRecords: features.baseAddress! + stumpRecordStart * Self.recordStride, norm: norm,
                        normArea: Double((w - 2) * (h - 2)))
                    level.scan(columns: columns, rows: rows, emit: emit)
                }
            }
        }
    }
}
