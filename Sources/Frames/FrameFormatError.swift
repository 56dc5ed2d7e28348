/// A fault in a frame or image file, located well enough for a person to find it.
public struct FrameFormatError: Error, Equatable, CustomStringConvertible, Sendable {
    public var source: String
    public var frame: Int?
    public var byteOffset: Int?
    public var reason: String

    public init(source: String, frame: Int? = nil, byteOffset: Int? = nil, reason: String) {
        self.source = source
        self.frame = frame
        self.byteOffset = byteOffset
        self.reason = reason
    }

    /// For example `clip.y4m: frame 12 (byte 4608123): truncated frame, expected 460800 bytes, got 1200`.
    public var description: String {
        var location = source
        switch (frame, byteOffset) {
        case let (frame?, byte?): location += ": frame \(frame) (byte \(byte))"
        case let (frame?, nil): location += ": frame \(frame)"
        case let (nil, byte?): location += ": byte \(byte)"
        case (nil, nil): break
        }
        return "\(location): \(reason)"
    }
}
