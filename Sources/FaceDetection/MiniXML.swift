/// Just enough XML for OpenCV's FileStorage files: elements, text, comments and
/// declarations, no entities. Cascades are machine-written, so this is all they use.
struct XMLElement {
    var name: String
    var attributes: [String: String]
    var children: [XMLElement]
    var text: String

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
}

struct XMLSyntaxError: Error {
    var offset: Int
    var reason: String
}

/// A non-recursive parser: elements are kept on an explicit stack, so no input can drive the
/// call stack deep, and nesting beyond `maximumDepth` is refused (OpenCV's cascades nest 7 deep).
struct MiniXMLParser {
    static let maximumDepth = 64
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLElement {
        var parser = MiniXMLParser(bytes)
        parser.skipProlog()
        guard parser.position < bytes.count else {
            throw XMLSyntaxError(offset: parser.position, reason: "no root element")
        }
        return try parser.document()
    }

    /// The root element and everything inside it.
    private mutating func document() throws(XMLSyntaxError) -> XMLElement {
        let (root, rootClosed) = try openTag()
        if rootClosed { return root }
        // Open elements, innermost last, each with the text gathered so far.
        var open: [(element: XMLElement, text: [UInt8])] = [(root, [])]
        while let innermost = open.last {
            guard position < bytes.count else {
                throw XMLSyntaxError(offset: position, reason: "element <\(innermost.element.name)> is not closed")
            }
            if starts("<!--") {
                skip(past: "-->")
            } else if starts("</") {
                var (element, text) = open.removeLast()
                try closeTag(of: element.name)
                element.text = String(decoding: text, as: UTF8.self)
                guard !open.isEmpty else { return element }
                open[open.count - 1].element.children.append(element)
            } else if bytes[position] == UInt8(ascii: "<") {
                let (child, closed) = try openTag()
                if closed {
                    open[open.count - 1].element.children.append(child)
                } else {
                    guard open.count < Self.maximumDepth else {
                        throw XMLSyntaxError(
                            offset: position, reason: "elements nested deeper than \(Self.maximumDepth)")
                    }
                    open.append((child, []))
                }
            } else {
                open[open.count - 1].text.append(bytes[position])
                position += 1
            }
        }
        throw XMLSyntaxError(offset: position, reason: "no root element")
    }

    /// `<name attr="value" ...>` or `<name .../>`; `closed` is true for the second.
    private mutating func openTag() throws(XMLSyntaxError) -> (element: XMLElement, closed: Bool) {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "<") else {
            throw XMLSyntaxError(offset: position, reason: "expected '<'")
        }
        position += 1
        var node = XMLElement(name: try name(), attributes: [:], children: [], text: "")
        while true {
            skipSpace()
            guard position < bytes.count else {
                throw XMLSyntaxError(offset: position, reason: "unterminated tag <\(node.name)>")
            }
            if starts("/>") {
                position += 2
                return (node, true)
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                return (node, false)
            }
            let (key, value) = try attribute()
            node.attributes[key] = value
        }
    }

    /// `key="value"` (or single quotes).
    private mutating func attribute() throws(XMLSyntaxError) -> (String, String) {
        let key = try name()
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
            throw XMLSyntaxError(offset: position, reason: "expected '=' after \(key)")
        }
        position += 1
        skipSpace()
        guard position < bytes.count, bytes[position] == 34 || bytes[position] == 39 else {
            throw XMLSyntaxError(offset: position, reason: "expected a quoted value")
        }
        let quote = bytes[position]
        position += 1
        let start = position
        while position < bytes.count && bytes[position] != quote { position += 1 }
        guard position < bytes.count else {
            throw XMLSyntaxError(offset: start, reason: "unterminated attribute value")
        }
        position += 1
        return (key, String(decoding: bytes[start..<(position - 1)], as: UTF8.self))
    }

    /// `</name>`, which must close `name`.
    private mutating func closeTag(of name: String) throws(XMLSyntaxError) {
        position += 2
        let closing = try self.name()
        guard closing == name else {
            throw XMLSyntaxError(offset: position, reason: "</\(closing)> closes <\(name)>")
        }
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else {
            throw XMLSyntaxError(offset: position, reason: "expected '>'")
        }
        position += 1
    }

    private mutating func skipProlog() {
        while true {
            skipSpace()
            if starts("<?") {
                skip(past: "?>")
            } else if starts("<!--") {
                skip(past: "-->")
            } else if starts("<!") {
                skip(past: ">")
            } else {
                return
            }
        }
    }

    /// Whether the input at `position` begins with `s` (ASCII), without allocating.
    private func starts(_ s: StaticString) -> Bool {
        let count = s.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return s.withUTF8Buffer { prefix in
            for i in 0..<count where bytes[position + i] != prefix[i] { return false }
            return true
        }
    }

    private mutating func skip(past s: StaticString) {
        while position < bytes.count && !starts(s) { position += 1 }
        position = min(bytes.count, position + s.utf8CodeUnitCount)
    }

    private mutating func skipSpace() {
        while position < bytes.count, [9, 10, 13, 32].contains(bytes[position]) { position += 1 }
    }

    private mutating func name() throws(XMLSyntaxError) -> String {
        let start = position
        while position < bytes.count, !([9, 10, 13, 32, 47, 61, 62] as [UInt8]).contains(bytes[position]) {
            position += 1
        }
        guard position > start else { throw XMLSyntaxError(offset: position, reason: "expected a name") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }
}
