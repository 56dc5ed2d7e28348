// The vector vocabulary of the scan: sixteen (or eight) neighbouring windows per vector, lane masks as bits.

typealias Lanes = SIMD16<Int32>
typealias LaneFloats = SIMD16<Float>
typealias LaneDoubles = SIMD16<Double>
typealias LaneMask = SIMDMask<SIMD16<Int32>>
let laneCount = 16

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

/// Int32 lanes to Float lanes. A lane loop becomes one vector conversion; the generic SIMD initialiser
/// runs lane by lane.
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
