import Frames

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
