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

struct MiniXMLParser {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> XMLElement {
        var parser = MiniXMLParser(bytes)
        parser.skipProlog()
        guard parser.position < bytes.count else {
            throw XMLSyntaxError(offset: parser.position, reason: "no root element")
        }
        return try parser.element()
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

    private func starts(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return position + u.count <= bytes.count && Array(bytes[position..<(position + u.count)]) == u
    }

    private mutating func skip(past s: String) {
        let u = Array(s.utf8)
        while position < bytes.count && !starts(s) { position += 1 }
        position = min(bytes.count, position + u.count)
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

    private mutating func element() throws(XMLSyntaxError) -> XMLElement {
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
            if starts("/>") { position += 2; return node }
            if bytes[position] == UInt8(ascii: ">") { position += 1; break }
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
            node.attributes[key] = String(decoding: bytes[start..<position], as: UTF8.self)
            position += 1
        }
        var text: [UInt8] = []
        while true {
            guard position < bytes.count else {
                throw XMLSyntaxError(offset: position, reason: "element <\(node.name)> is not closed")
            }
            if starts("<!--") { skip(past: "-->"); continue }
            if starts("</") {
                position += 2
                let closing = try name()
                guard closing == node.name else {
                    throw XMLSyntaxError(offset: position, reason: "</\(closing)> closes <\(node.name)>")
                }
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else {
                    throw XMLSyntaxError(offset: position, reason: "expected '>'")
                }
                position += 1
                node.text = String(decoding: text, as: UTF8.self)
                return node
            }
            if bytes[position] == UInt8(ascii: "<") {
                node.children.append(try element())
            } else {
                text.append(bytes[position])
                position += 1
            }
        }
    }
}
