import Frames

/// Frames from a Y4M file or from standard input (`-`).
public struct Y4MSource: FrameSource {
    let reader: Y4MReader
    let name: String

    /// `stop` ends a stream from standard input while it waits for bytes (Ctrl-C with nothing arriving).
    public init(path: String, stop: StopSignal? = nil) throws(FrameFormatError) {
        if path == "-" {
            let input = ByteReader(fileDescriptor: 0, name: "stdin", ownsDescriptor: false)
            if let stop { input.stopRequested = { stop.received != nil } }
            reader = try Y4MReader(reader: input)
            name = "stdin"
        } else {
            reader = try Y4MReader(path: path)
            name = path
        }
    }

    public var header: Y4MHeader { reader.header }
    public var frameRate: Double? { reader.header.frameRate.value }

    public mutating func next() throws -> SourceFrame? {
        let index = reader.framesRead
        guard let frame = try reader.next() else { return nil }
        return SourceFrame(index: index, pts: Double(index) / reader.header.frameRate.value, source: name, frame: frame)
    }
}
