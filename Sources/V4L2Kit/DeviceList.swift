import Frames
import Glibc
import Posix

/// Every /dev/video* node with what it offers (for `fercam --list-devices`).
public enum DeviceList {
    public struct Entry: Sendable {
        public var path: String
        public var capabilities: DeviceCapabilities?
        public var problem: String?
        public var formats: [(format: FormatDescription, sizes: [(FrameSize, [FrameInterval])])]
    }

    public static func devicePaths() -> [String] {
        let names = ((try? directoryEntryNames("/dev")) ?? []).filter {
            $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil
        }
        return names.sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }.map { "/dev/" + $0 }
    }

    public static func describe(_ device: CaptureDevice) -> Entry {
        var entry = Entry(path: device.path, capabilities: nil, problem: nil, formats: [])
        do {
            entry.capabilities = try device.queryCapabilities()
            for format in try device.enumerateFormats() {
                let sizes = try device.enumerateSizes(format.fourcc)
                entry.formats.append(
                    (
                        format,
                        try sizes.map { (size) throws(DeviceFailure) in
                            (size, try device.enumerateIntervals(format.fourcc, size: size))
                        }
                    ))
            }
        } catch {
            entry.problem = CaptureError.from(error, path: device.path).description
        }
        return entry
    }

    public static func render(_ entry: Entry) -> String {
        var lines: [String] = []
        guard let caps = entry.capabilities else { return "\(entry.path): \(entry.problem ?? "unknown problem")" }
        let role = caps.canCapture ? "capture" : "not a capture device"
        lines.append("\(entry.path): \(caps.card) (driver \(caps.driver), bus \(caps.bus), \(role))")
        for (format, sizes) in entry.formats {
            lines.append("  \(format.fourcc) \(format.name)\(format.emulated ? " (converted by libv4l2)" : "")")
            for (size, intervals) in sizes {
                let rates = intervals.map { decimalText($0.framesPerSecond, decimals: 2) }.joined(separator: ", ")
                lines.append("    \(size)" + (rates.isEmpty ? "" : " @ \(rates) fps"))
            }
        }
        if let problem = entry.problem { lines.append("  \(problem)") }
        return lines.joined(separator: "\n")
    }
}
