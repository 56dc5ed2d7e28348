import Glibc
import Frames

/// A fault in a cascade file.
public struct CascadeError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// A boosted Haar cascade in OpenCV's current XML format, as plain values.
public struct HaarCascade: Sendable {
    public struct Rectangle: Sendable {
        public var x, y, width, height: Int
        public var weight: Float
    }
    public struct Feature: Sendable {
        public var rects: [Rectangle]  // two or three
    }
    /// An internal node; a child <= 0 names leaf -child, a child > 0 another node of the same tree.
    public struct Node: Sendable {
        public var left: Int
        public var right: Int
        public var feature: Int
        public var threshold: Float
    }
    public struct Tree: Sendable {
        public var nodes: [Node]
        public var leaves: [Float]
        public var isStump: Bool { nodes.count == 1 && nodes[0].left == 0 && nodes[0].right == -1 }
    }
    public struct Stage: Sendable {
        public var threshold: Float
        public var trees: [Tree]
    }

    public var windowWidth: Int
    public var windowHeight: Int
    public var stages: [Stage]
    public var features: [Feature]

    public static let defaultPath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

    public init(path: String) throws(CascadeError) {
        let reader: ByteReader
        do { reader = try ByteReader(path: path, regularFileOnly: true) } catch {
            let hint =
                path.hasPrefix("/usr/share/opencv4") && access(path, F_OK) != 0
                ? " (install Debian's opencv-data: `make deps`)" : ""
            throw CascadeError(path: path, reason: "cannot open cascade: \(error.reason)\(hint)")
        }
        let data: [UInt8]
        // OpenCV's largest shipped cascade is 2.6 MB.
        do { data = try reader.readToEnd(limit: 64 << 20) } catch {
            throw CascadeError(path: path, reason: "cannot read cascade: \(error.reason)")
        }
        try self.init(xml: data, path: path)
    }

    public init(xml: [UInt8], path: String) throws(CascadeError) {
        func fail(_ reason: String) -> CascadeError { CascadeError(path: path, reason: reason) }
        let root: XMLElement
        do { root = try MiniXMLParser.parse(xml) } catch {
            throw fail("malformed XML at byte \(error.offset): \(error.reason)")
        }
        guard let cascade = root.child("cascade") ?? (root.name == "cascade" ? root : nil) else {
            throw fail("no <cascade> element: not an OpenCV cascade file")
        }
        (windowWidth, windowHeight) = try Self.window(of: cascade, fail: fail)
        guard let featureList = cascade.child("features")?.children, !featureList.isEmpty else {
            throw fail("no <features>")
        }
        var features: [Feature] = []
        for (index, element) in featureList.enumerated() {
            features.append(
                try Self.feature(element, index: index, window: (windowWidth, windowHeight), fail: fail))
        }
        self.features = features
        guard let stageList = cascade.child("stages")?.children, !stageList.isEmpty else { throw fail("no <stages>") }
        var stages: [Stage] = []
        for (index, element) in stageList.enumerated() {
            stages.append(try Self.stage(element, index: index, featureCount: features.count, fail: fail))
        }
        self.stages = stages
    }

    typealias Failure = (String) -> CascadeError

    /// The format checks (current OpenCV format, BOOST stages, HAAR features) and the window size.
    static func window(of cascade: XMLElement, fail: Failure) throws(CascadeError) -> (Int, Int) {
        if cascade.attributes["type_id"] == "opencv-haar-classifier" || cascade.child("stageType") == nil {
            throw fail(
                "old-style cascade format is not supported; "
                    + "use a cascade in the current 'opencv-cascade-classifier' format")
        }
        guard cascade.child("stageType")?.text.trimmed == "BOOST" else {
            throw fail("unsupported stage type (only BOOST)")
        }
        guard cascade.child("featureType")?.text.trimmed == "HAAR" else {
            let type = cascade.child("featureType")?.text.trimmed ?? ""
            throw fail("unsupported feature type '\(type)' (only HAAR; LBP and HOG cascades are not supported)")
        }
        guard let w = Int(cascade.child("width")?.text.trimmed ?? ""),
            let h = Int(cascade.child("height")?.text.trimmed ?? ""),
            (1...128).contains(w), (1...128).contains(h)
        else { throw fail("missing or bad window <width>/<height> (1 to 128 pixels)") }
        return (w, h)
    }

    /// One `<_>` of `<features>`: two or three weighted rects inside the window.
    static func feature(
        _ element: XMLElement, index: Int, window: (width: Int, height: Int), fail: Failure
    ) throws(CascadeError) -> Feature {
        if element.child("tilted")?.text.trimmed == "1" {
            throw fail("feature \(index) is tilted; tilted Haar features are not supported")
        }
        guard let rects = element.child("rects")?.children, (2...3).contains(rects.count) else {
            throw fail("feature \(index) needs 2 or 3 rects")
        }
        var parsed: [Rectangle] = []
        for rect in rects {
            let numbers = rect.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
            guard numbers.count == 5, let x = Int(numbers[0]), let y = Int(numbers[1]), let rw = Int(numbers[2]),
                let rh = Int(numbers[3]),
                let weight = Double(numbers[4].hasSuffix(".") ? numbers[4] + "0" : numbers[4])
            else {
                throw fail("feature \(index): bad rect '\(rect.text.trimmed)'")
            }
            guard x >= 0, y >= 0, rw > 0, rh > 0, x + rw <= window.width, y + rh <= window.height else {
                throw fail("feature \(index): rect outside the \(window.width)x\(window.height) window")
            }
            // Features are summed in exact integer arithmetic; every OpenCV Haar cascade uses
            // weights -1, 2, 3 or 9.
            guard weight == weight.rounded(), abs(weight) <= 64 else {
                throw fail("feature \(index): weight \(numbers[4]) is not a small integer")
            }
            parsed.append(Rectangle(x: x, y: y, width: rw, height: rh, weight: Float(weight)))
        }
        let largest = parsed.reduce(0) { $0 + Int(abs($1.weight)) * $1.width * $1.height * 255 }
        guard largest < 1 << 24 else {
            throw fail("feature \(index): rects too large for exact evaluation (weighted area \(largest / 255) pixels)")
        }
        return Feature(rects: parsed)
    }

    /// One `<_>` of `<stages>`: its threshold and weak classifiers.
    static func stage(
        _ element: XMLElement, index s: Int, featureCount: Int, fail: Failure
    ) throws(CascadeError) -> Stage {
        guard let threshold = Double(element.child("stageThreshold")?.text.trimmed ?? "") else {
            throw fail("stage \(s): missing <stageThreshold>")
        }
        var trees: [Tree] = []
        for (t, weak) in (element.child("weakClassifiers")?.children ?? []).enumerated() {
            trees.append(try tree(weak, place: "stage \(s) tree \(t)", featureCount: featureCount, fail: fail))
        }
        guard !trees.isEmpty else { throw fail("stage \(s) has no weak classifiers") }
        // OpenCV loosens every stage threshold by 1e-5 (in float) to absorb rounding.
        return Stage(threshold: Float(threshold) - Float(1e-5), trees: trees)
    }

    /// One weak classifier: nodes (left, right, feature, threshold) and leaves, every reference in range.
    static func tree(
        _ weak: XMLElement, place: String, featureCount: Int, fail: Failure
    ) throws(CascadeError) -> Tree {
        let nodeNumbers = (weak.child("internalNodes")?.text ?? "").split(whereSeparator: { $0.isWhitespace })
        let leafNumbers = (weak.child("leafValues")?.text ?? "").split(whereSeparator: { $0.isWhitespace })
        guard !nodeNumbers.isEmpty, nodeNumbers.count % 4 == 0 else {
            throw fail("\(place): bad <internalNodes>")
        }
        var nodes: [Node] = []
        for i in stride(from: 0, to: nodeNumbers.count, by: 4) {
            guard let l = Int(nodeNumbers[i]), let r = Int(nodeNumbers[i + 1]), let f = Int(nodeNumbers[i + 2]),
                let th = Double(nodeNumbers[i + 3])
            else { throw fail("\(place): bad node") }
            guard (0..<featureCount).contains(f) else {
                throw fail("\(place): feature \(f) does not exist")
            }
            nodes.append(Node(left: l, right: r, feature: f, threshold: Float(th)))
        }
        var leaves: [Float] = []
        for text in leafNumbers {
            guard let v = Double(text) else { throw fail("\(place): bad leaf value '\(text)'") }
            leaves.append(Float(v))
        }
        for node in nodes {
            for child in [node.left, node.right] {
                guard child <= 0 ? -child < leaves.count : child < nodes.count else {
                    throw fail("\(place): node child \(child) out of range")
                }
            }
        }
        return Tree(nodes: nodes, leaves: leaves)
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
