#if canImport(Glibc)
import Glibc
#endif

// CBAM (channel gate, then spatial gate) on NHWC fp32 maps.
//
// With AMX the convolutions take well under half a millisecond per face, so these
// loops are a large share of the total: they work on raw pointers (Swift arrays
// captured in closures are re-checked for uniqueness on every write and do not
// vectorise) and reduce across channels with 16-lane accumulators (a scalar sum is
// one long dependency chain, and LLVM may not reorder float additions itself).

typealias ChannelLanes = SIMD16<Float>

/// CBAM on a batch of NHWC maps, in place: x *= channelGate, then x *= spatialGate.
/// Returns each image's spatial gate.
func applyCBAM(_ w: CBAMWeights, to tensor: inout [Float], batch: Int, size: Int) -> [AttentionMap] {
    let channels = w.channels
    let pixels = size * size
    // avg, peak, gate, hidden (channels each, hidden <= channels), then the mean and max maps.
    var scratch = [Float](repeating: 0, count: 4 * channels + 2 * pixels)
    var maps: [AttentionMap] = []
    maps.reserveCapacity(batch)
    tensor.withUnsafeMutableBufferPointer { tensorBuffer in
        scratch.withUnsafeMutableBufferPointer { scratchBuffer in
            let avg = scratchBuffer.baseAddress!
            let peak = avg + channels, gate = peak + channels, hidden = gate + channels, pooled = hidden + channels
            for image in 0..<batch {
                let x = tensorBuffer.baseAddress! + image * pixels * channels
                poolPositions(x, channels: channels, pixels: pixels, average: avg, maximum: peak)
                channelGate(w, average: avg, maximum: peak, hidden: hidden, into: gate)
                gateAndPoolChannels(x, gate: gate, channels: channels, pixels: pixels, mean: pooled, maximum: pooled + pixels)
                var attention = [Float](repeating: 0, count: pixels)
                attention.withUnsafeMutableBufferPointer { out in
                    w.spatial.withUnsafeBufferPointer { k in
                        spatialGate(pooled, weights: k.baseAddress!, kernel: w.kernel, size: size, bias: w.spatialBias, into: out.baseAddress!)
                    }
                    for p in 0..<pixels {
                        let row = x + p * channels
                        let a = out[p]
                        for c in 0..<channels { row[c] *= a }
                    }
                }
                maps.append(AttentionMap(width: size, height: size, values: attention))
            }
        }
    }
    return maps
}

/// Average and maximum of every channel over all positions.
private func poolPositions(_ x: UnsafeMutablePointer<Float>, channels: Int, pixels: Int,
                           average: UnsafeMutablePointer<Float>, maximum: UnsafeMutablePointer<Float>) {
    average.update(repeating: 0, count: channels)
    maximum.update(repeating: -.infinity, count: channels)
    for p in 0..<pixels {
        let row = x + p * channels
        for c in 0..<channels {
            let v = row[c]
            average[c] += v
            maximum[c] = max(maximum[c], v)
        }
    }
    let inverse = 1 / Float(pixels)
    for c in 0..<channels { average[c] *= inverse }
}

/// The shared two-layer MLP over both pooled vectors, summed, through a sigmoid.
private func channelGate(_ w: CBAMWeights, average: UnsafeMutablePointer<Float>, maximum: UnsafeMutablePointer<Float>,
                         hidden: UnsafeMutablePointer<Float>, into gate: UnsafeMutablePointer<Float>) {
    let channels = w.channels
    w.fc1.withUnsafeBufferPointer { fc1 in
        for h in 0..<w.hidden {
            let weights = fc1.baseAddress! + h * channels
            let a = w.fc1Bias[h] + dot(weights, average, count: channels)
            let m = w.fc1Bias[h] + dot(weights, maximum, count: channels)
            hidden[h] = max(a, 0) + max(m, 0)
        }
    }
    w.fc2.withUnsafeBufferPointer { fc2 in
        for c in 0..<channels {
            gate[c] = sigmoid(2 * w.fc2Bias[c] + dot(fc2.baseAddress! + c * w.hidden, hidden, count: w.hidden))
        }
    }
}

/// x *= gate per channel; then the mean and the maximum across channels at every position.
private func gateAndPoolChannels(_ x: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>, channels: Int, pixels: Int,
                                 mean: UnsafeMutablePointer<Float>, maximum: UnsafeMutablePointer<Float>) {
    let vectorEnd = channels - channels % ChannelLanes.scalarCount
    let inverse = 1 / Float(channels)
    for p in 0..<pixels {
        let row = x + p * channels
        var sums = ChannelLanes(repeating: 0), tops = ChannelLanes(repeating: -.infinity)
        var c = 0
        while c < vectorEnd {
            let v = load(row + c) * load(gate + c)
            UnsafeMutableRawPointer(row + c).storeBytes(of: v, as: ChannelLanes.self)
            sums += v
            tops = tops.replacing(with: v, where: v .> tops)
            c += ChannelLanes.scalarCount
        }
        var sum = horizontalSum(sums), top = horizontalMax(tops)
        while c < channels {
            let v = row[c] * gate[c]
            row[c] = v
            sum += v
            top = max(top, v)
            c += 1
        }
        mean[p] = sum * inverse
        maximum[p] = top
    }
}

/// Sigmoid of a k x k convolution (zero padding) over the mean map and the max map,
/// one output row at a time so that the inner loop runs along x and vectorises.
func spatialGate(_ maps: UnsafePointer<Float>, weights: UnsafePointer<Float>, kernel k: Int, size: Int, bias: Float,
                 into out: UnsafeMutablePointer<Float>) {
    let r = k / 2
    let pixels = size * size
    for y in 0..<size {
        let outRow = out + y * size
        outRow.update(repeating: bias, count: size)
        for map in 0..<2 {
            for dy in max(0, r - y)..<min(k, size + r - y) {
                let inRow = maps + map * pixels + (y + dy - r) * size
                for dx in 0..<k {
                    let weight = weights[(map * k + dy) * k + dx]
                    // Output x reads input x + dx - r, which must lie in 0..<size.
                    let start = max(0, r - dx), end = min(size, size + r - dx)
                    for x in start..<end { outRow[x] += weight * inRow[x + dx - r] }
                }
            }
        }
        for x in 0..<size { outRow[x] = sigmoid(outRow[x]) }
    }
}

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Float>) -> ChannelLanes {
    UnsafeRawPointer(p).loadUnaligned(as: ChannelLanes.self)
}

/// Dot product with 16-lane partial sums.
@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int) -> Float {
    let vectorEnd = count - count % ChannelLanes.scalarCount
    var sums = ChannelLanes(repeating: 0)
    var i = 0
    while i < vectorEnd {
        sums += UnsafeRawPointer(a + i).loadUnaligned(as: ChannelLanes.self) * UnsafeRawPointer(b + i).loadUnaligned(as: ChannelLanes.self)
        i += ChannelLanes.scalarCount
    }
    var sum = horizontalSum(sums)
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

// Halving reductions: the standard library's `sum()` and `max()` walk the lanes one
// by one through memory (and `max()` checks each lane for NaN).
@inline(__always)
private func horizontalSum(_ v: ChannelLanes) -> Float {
    let eight = v.lowHalf + v.highHalf
    let four = eight.lowHalf + eight.highHalf
    let two = four.lowHalf + four.highHalf
    return two[0] + two[1]
}

@inline(__always)
private func horizontalMax(_ v: ChannelLanes) -> Float {
    let eight = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .> eight.lowHalf)
    let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
    return max(two[0], two[1])
}
