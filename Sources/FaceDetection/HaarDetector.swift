import Glibc
import Synchronization
import Dispatch
import Frames

/// Parameters of a multi-scale scan, named as in OpenCV's `detectMultiScale`.
public struct DetectionParameters: Sendable, Equatable {
    public var scaleFactor: Double
    public var minNeighbors: Int
    public var minSize: (width: Int, height: Int)
    /// (0, 0) means the whole image, as in OpenCV.
    public var maxSize: (width: Int, height: Int)

    public init(
        scaleFactor: Double = 1.1, minNeighbors: Int = 3, minSize: (Int, Int) = (0, 0), maxSize: (Int, Int) = (0, 0)
    ) {
        self.scaleFactor = scaleFactor
        self.minNeighbors = minNeighbors
        self.minSize = minSize
        self.maxSize = maxSize
    }

    /// OpenCV's defaults: (1.1, 3, no minimum, no maximum).
    public static let opencvDefaults = DetectionParameters()
    /// fercam's live defaults: a face must be at least 60 px (about 1/8 of a 480-line
    /// frame, the size of a person at a desk), which skips the costly small scales.
    public static let live = DetectionParameters(scaleFactor: 1.1, minNeighbors: 5, minSize: (60, 60))

    public static func == (a: Self, b: Self) -> Bool {
        a.scaleFactor == b.scaleFactor && a.minNeighbors == b.minNeighbors && a.minSize == b.minSize
            && a.maxSize == b.maxSize
    }
}

/// OpenCV-identical Haar cascade detection (`CascadeClassifier::detectMultiScale`), evaluated
/// sixteen windows at a time. Immutable after creation, so one detector may serve many threads.
public struct HaarDetector: Sendable {
    public let cascade: HaarCascade
    let program: CompiledCascade
    let workspaces = WorkspacePool()

    public init(cascade: HaarCascade) {
        self.cascade = cascade
        self.program = CompiledCascade(cascade)
    }

    public init(path: String = HaarCascade.defaultPath) throws(CascadeError) {
        self.init(cascade: try HaarCascade(path: path))
    }

    /// The scales OpenCV scans for an image of this size.
    public func scales(width: Int, height: Int, parameters p: DetectionParameters) -> [Float] {
        let maxW = p.maxSize.width > 0 ? p.maxSize.width : width
        let maxH = p.maxSize.height > 0 ? p.maxSize.height : height
        var result: [Float] = []
        var factor = 1.0
        while true {
            let ww = Int((Double(cascade.windowWidth) * factor).rounded(.toNearestOrEven))
            let wh = Int((Double(cascade.windowHeight) * factor).rounded(.toNearestOrEven))
            if ww > maxW || wh > maxH || ww > width || wh > height { break }
            if ww >= p.minSize.width && wh >= p.minSize.height { result.append(Float(factor)) }
            factor *= p.scaleFactor
        }
        return result
    }

    /// Raw candidate windows (what OpenCV groups), in scan order per scale.
    public func candidates(in image: GrayImage, parameters: DetectionParameters, threads: Int = 1) -> [Rect] {
        let levels = scales(width: image.width, height: image.height, parameters: parameters)
        var perLevel = [[Rect]](repeating: [], count: levels.count)
        if threads <= 1 || levels.count < 2 {
            workspaces.withWorkspace { workspace in
                for (i, scale) in levels.enumerated() { perLevel[i] = scan(image, scale: scale, in: workspace) }
            }
        } else {
            // Workers take levels from a shared queue, costliest first, so that no worker is left with a
            // big level at the end while the others idle.
            let windows = levels.map { scale -> Int in
                let level = LevelGeometry(image: image, scale: scale, cascade: cascade)
                return max(0, level.columns) / level.step * max(0, level.rows) / level.step
            }
            let box = LevelQueue(order: levels.indices.sorted { windows[$0] > windows[$1] })
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                workspaces.withWorkspace { workspace in
                    while let i = box.next() { box.set(i, scan(image, scale: levels[i], in: workspace)) }
                }
            }
            perLevel = box.values
        }
        return perLevel.flatMap { $0 }
    }

    /// Detected objects: candidates grouped as OpenCV's `groupRectangles(minNeighbors, 0.2)`, clipped to the image.
    public func detect(in image: GrayImage, parameters: DetectionParameters = .live, threads: Int = 1) -> [Rect] {
        let raw = candidates(in: image, parameters: parameters, threads: threads)
        let grouped =
            parameters.minNeighbors > 0
            ? RectangleGrouping.group(raw, minNeighbors: parameters.minNeighbors, eps: 0.2) : raw
        let bounds = Rect(x: 0, y: 0, width: image.width, height: image.height)
        return grouped.map { $0.intersection(bounds) }.filter { !$0.isEmpty }
    }

    func scan(_ image: GrayImage, scale: Float, in workspace: ScanWorkspace) -> [Rect] {
        let level = LevelGeometry(image: image, scale: scale, cascade: cascade)
        guard level.columns > 0, level.rows > 0 else { return [] }
        let integral = PhasedIntegral(
            step: level.step, frameWidth: image.width, frameHeight: image.height, window: cascade.windowWidth)
        let features = workspace.prepare(integral, program: program)
        var sampler = ExactBilinear.RowSampler(image, width: level.width, height: level.height)
        workspace.sums.withUnsafeMutableBufferPointer { sums in
            workspace.squares.withUnsafeMutableBufferPointer { squares in
                workspace.row.withUnsafeMutableBufferPointer { row in
                    integral.load(
                        &sampler, sums: sums.baseAddress!, squares: squares.baseAddress!, row: row.baseAddress!)
                }
            }
        }
        let windowSide = Int((Float(cascade.windowWidth) * scale).rounded(.toNearestOrEven))
        let windowTall = Int((Float(cascade.windowHeight) * scale).rounded(.toNearestOrEven))
        var found: [Rect] = []
        program.scan(
            integral, sums: workspace.sums, squares: workspace.squares, features: features, columns: level.columns,
            rows: level.rows
        ) { x, y in
            found.append(
                Rect(
                    x: Int((Float(x) * scale).rounded(.toNearestOrEven)),
                    y: Int((Float(y) * scale).rounded(.toNearestOrEven)),
                    width: windowSide, height: windowTall))
        }
        return found
    }
}

/// One pyramid level as OpenCV scans it: the resized image and its windows.
struct LevelGeometry {
    let width: Int, height: Int
    /// Window positions along each axis (may be 0 or less when the window does not fit).
    let columns: Int, rows: Int
    /// OpenCV visits every second window below scale 2.
    let step: Int

    init(image: GrayImage, scale: Float, cascade: HaarCascade) {
        width = Int((Float(image.width) / scale).rounded(.toNearestOrEven))
        height = Int((Float(image.height) / scale).rounded(.toNearestOrEven))
        columns = width + 1 - cascade.windowWidth
        rows = height + 1 - cascade.windowHeight
        step = scale >= 2 ? 1 : 2
    }
}

/// Scratch memory for scanning, kept between levels and frames. Allocating integral planes per
/// level costs page faults, and with several threads handing that memory back to the system
/// stalls every core. Used by one thread at a time (see `WorkspacePool`).
final class ScanWorkspace: @unchecked Sendable {
    var sums: [Int32] = []
    var squares: [UInt32] = []
    var row: [UInt8] = []
    private var featureTables: [PhasedIntegral: [Int32]] = [:]

    /// Makes room for a level laid out as `integral` and returns its feature table.
    func prepare(_ integral: PhasedIntegral, program: CompiledCascade) -> [Int32] {
        if sums.count < integral.count {
            sums = [Int32](repeating: 0, count: integral.count)
            squares = [UInt32](repeating: 0, count: integral.count)
        }
        if row.count < integral.planeWidth * integral.step {
            row = [UInt8](repeating: 0, count: integral.planeWidth * integral.step)
        }
        if let table = featureTables[integral] { return table }
        // A new frame size; keep the tables of the last few sizes only.
        if featureTables.count >= 4 { featureTables.removeAll() }
        let table = program.featureTable(for: integral)
        featureTables[integral] = table
        return table
    }
}

/// Workspaces for the threads scanning with one detector, kept across levels and frames; a workspace
/// belongs to one caller between taking and returning it.
final class WorkspacePool: Sendable {
    private let idle = Mutex<[ScanWorkspace]>([])

    func withWorkspace<T>(_ body: (ScanWorkspace) -> T) -> T {
        let workspace = idle.withLock { $0.popLast() } ?? ScanWorkspace()
        defer { idle.withLock { $0.append(workspace) } }
        return body(workspace)
    }
}

/// Hands pyramid levels to worker threads and collects their results; each level is taken, and its
/// result written, by exactly one worker.
final class LevelQueue: Sendable {
    private struct State {
        var values: [[Rect]]
        var order: [Int]
    }
    private let state: Mutex<State>

    init(order: [Int]) {
        state = Mutex(State(values: [[Rect]](repeating: [], count: order.count), order: order.reversed()))
    }

    var values: [[Rect]] { state.withLock { $0.values } }
    func next() -> Int? { state.withLock { $0.order.popLast() } }
    func set(_ index: Int, _ value: [Rect]) { state.withLock { $0.values[index] = value } }
}
