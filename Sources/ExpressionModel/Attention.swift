import Glibc

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
    let padded = PaddedMaps(size: size, border: w.kernel / 2)
    // avg, peak, gate, hidden (channels each; hidden <= channels), then the padded mean and max maps.
    var scratch = [Float](repeating: 0, count: 4 * channels + padded.count)
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
                gateAndPoolChannels(x, gate: gate, channels: channels, into: padded, at: pooled)
                var attention = [Float](repeating: 0, count: pixels)
                attention.withUnsafeMutableBufferPointer { out in
                    w.spatial.withUnsafeBufferPointer { k in
                        spatialGate(
                            padded, at: pooled, weights: k.baseAddress!, bias: w.spatialBias, into: out.baseAddress!)
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

/// The mean and max maps for the spatial gate, each surrounded by a zero border as
/// wide as the kernel's radius, so that every output position reads a full k x k window.
/// Vector loads near the right edge run past a row, so `count` leaves slack at the end.
struct PaddedMaps {
    let size: Int
    let border: Int
    var width: Int { size + 2 * border }
    var plane: Int { width * width }
    var count: Int { 2 * plane + 2 * ChannelLanes.scalarCount }
    func offset(x: Int, y: Int) -> Int { (y + border) * width + x + border }
}

/// Average and maximum of every channel over all positions, 16 channels at a time
/// with the running values in registers.
private func poolPositions(
    _ x: UnsafeMutablePointer<Float>, channels: Int, pixels: Int,
    average: UnsafeMutablePointer<Float>, maximum: UnsafeMutablePointer<Float>
) {
    let inverse = 1 / Float(pixels)
    let vectorEnd = channels - channels % ChannelLanes.scalarCount
    var c = 0
    while c < vectorEnd {
        var sums = ChannelLanes(repeating: 0), tops = ChannelLanes(repeating: -.infinity)
        for p in 0..<pixels {
            let v = load(x + p * channels + c)
            sums += v
            tops = tops.replacing(with: v, where: v .> tops)
        }
        UnsafeMutableRawPointer(average + c).storeBytes(of: sums * inverse, as: ChannelLanes.self)
        UnsafeMutableRawPointer(maximum + c).storeBytes(of: tops, as: ChannelLanes.self)
        c += ChannelLanes.scalarCount
    }
    while c < channels {
        var sum: Float = 0, top = -Float.infinity
        for p in 0..<pixels {
            sum += x[p * channels + c]
            top = max(top, x[p * channels + c])
        }
        average[c] = sum * inverse
        maximum[c] = top
        c += 1
    }
}

/// The shared two-layer MLP over both pooled vectors, summed, through a sigmoid.
private func channelGate(
    _ w: CBAMWeights, average: UnsafeMutablePointer<Float>, maximum: UnsafeMutablePointer<Float>,
    hidden: UnsafeMutablePointer<Float>, into gate: UnsafeMutablePointer<Float>
) {
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

/// x *= gate per channel; then the mean and the maximum across channels at every
/// position, written into the padded maps.
private func gateAndPoolChannels(
    _ x: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>, channels: Int,
    into maps: PaddedMaps, at pooled: UnsafeMutablePointer<Float>
) {
    let vectorEnd = channels - channels % ChannelLanes.scalarCount
    let inverse = 1 / Float(channels)
    for y in 0..<maps.size {
        for column in 0..<maps.size {
            let row = x + (y * maps.size + column) * channels
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
            let at = maps.offset(x: column, y: y)
            pooled[at] = sum * inverse
            pooled[maps.plane + at] = top
        }
    }
}

/// Sigmoid of a k x k convolution over the two padded maps, 16 output positions
/// of a row at a time, accumulated in registers.
func spatialGate(
    _ maps: PaddedMaps, at pooled: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, bias: Float,
    into out: UnsafeMutablePointer<Float>
) {
    let k = 2 * maps.border + 1
    for y in 0..<maps.size {
        var x0 = 0
        while x0 < maps.size {
            var meanSum = ChannelLanes(repeating: bias), maxSum = ChannelLanes(repeating: 0)
            for dy in 0..<k {
                // Window (dy, dx) of output x reads padded position (x + dx, y + dy).
                let meanRow = pooled + (y + dy) * maps.width + x0, maxRow = meanRow + maps.plane
                for dx in 0..<k {
                    meanSum += ChannelLanes(repeating: weights[dy * k + dx]) * load(meanRow + dx)
                    maxSum += ChannelLanes(repeating: weights[(k + dy) * k + dx]) * load(maxRow + dx)
                }
            }
            let sums = meanSum + maxSum
            for i in 0..<min(ChannelLanes.scalarCount, maps.size - x0) {
                out[y * maps.size + x0 + i] = sigmoid(sums[i])
            }
            x0 += ChannelLanes.scalarCount
        }
    }
}

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Float>) -> ChannelLanes {
    UnsafeRawPointer(p).loadUnaligned(as: ChannelLanes.self)
}

/// Dot product with 16-lane partial sums.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    let vectorEnd = count - count % ChannelLanes.scalarCount
    var sums = ChannelLanes(repeating: 0)
    var i = 0
    while i < vectorEnd {
        sums +=
            UnsafeRawPointer(a + i).loadUnaligned(as: ChannelLanes.self)
            * UnsafeRawPointer(b + i).loadUnaligned(as: ChannelLanes.self)
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
