import Foundation
import Glibc
import Posix

/// Why a model file could not be used. Every case names the file, and the tensor where there is one.
public enum ModelFileError: Error, CustomStringConvertible, Sendable {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, detail: String)
    case malformed(path: String, detail: String)
    case missingTensor(path: String, tensor: String)
    case wrongShape(path: String, tensor: String, expected: [Int], found: [Int])
    case unsupportedType(path: String, tensor: String, type: String)
    case badMetadata(path: String, key: String, detail: String)
    case unsupportedPrecision(path: String, detail: String)
    case implausibleValue(path: String, tensor: String, index: Int, value: Float)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open model: \(reason)"
        case let .truncated(path, detail): return "\(path): truncated model file: \(detail)"
        case let .malformed(path, detail): return "\(path): not a safetensors file: \(detail)"
        case let .missingTensor(path, tensor):
            return "\(path): tensor \(tensor) is missing (does the file match this fercam version?)"
        case let .wrongShape(path, tensor, expected, found):
            return "\(path): tensor \(tensor) has shape \(found), expected \(expected) from the architecture in the "
                + "metadata"
        case let .unsupportedType(path, tensor, type): return "\(path): tensor \(tensor) has type \(type), expected F32"
        case let .badMetadata(path, key, detail): return "\(path): metadata \"\(key)\": \(detail)"
        case let .unsupportedPrecision(path, detail): return "\(path): cannot run in bf16: \(detail)"
        case let .implausibleValue(path, tensor, index, value):
            return "\(path): tensor \(tensor) holds \(value) at element \(index); the file is damaged (weights must "
                + "be finite and within \(SafeTensorsFile.largestWeight))"
        }
    }
}

/// A read-only memory map of a whole file. Immutable once created, so shareable across threads.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws(ModelFileError) {
        self.path = path
        let fd: Int32
        // O_NONBLOCK: a FIFO named as a model must be refused below, not wait for a writer.
        do { fd = try syscall("open") { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } } catch {
            throw .cannotOpen(path: path, reason: error.message)
        }
        defer { close(fd) }
        var info = stat()
        do { try syscall("fstat") { fstat(fd, &info) } } catch { throw .cannotOpen(path: path, reason: error.message) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else { throw .truncated(path: path, detail: "the file is empty") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: errnoMessage(errno))
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }
}

/// A safetensors file: named little-endian tensors plus string metadata.
/// See https://github.com/huggingface/safetensors for the layout.
public struct SafeTensorsFile: Sendable {
    struct Entry: Sendable {
        var type: String
        var shape: [Int]
        var range: Range<Int>
    }

    public let path: String
    public let metadata: [String: String]
    private let file: MappedFile
    private let entries: [String: Entry]

    public init(path: String) throws(ModelFileError) {
        file = try MappedFile(path: path)
        self.path = path
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw .truncated(path: path, detail: "\(bytes.count) bytes, shorter than the 8-byte header length")
        }
        // Read unsigned and compared before any conversion: a length of 2^63 or more must not trap.
        let claimed = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard claimed <= UInt64(bytes.count - 8) else {
            throw .truncated(
                path: path, detail: "the header claims \(claimed) bytes but only \(bytes.count - 8) follow")
        }
        let headerLength = Int(claimed)
        let header = Data(bytes[8..<(8 + headerLength)])
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw .malformed(path: path, detail: "the header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let fields = value as? [String: Any], let type = fields["dtype"] as? String,
                let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int],
                offsets.count == 2,
                offsets[0] >= 0, offsets[0] <= offsets[1],
                shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 30 })
            else {
                throw .malformed(path: path, detail: "tensor \(name) has no valid dtype, shape and data_offsets")
            }
            // Compared by subtraction: offsets near Int.max must not overflow the sum.
            guard offsets[1] <= bytes.count - dataStart else {
                throw .truncated(
                    path: path,
                    detail: "tensor \(name) ends at data byte \(offsets[1]) but only \(bytes.count - dataStart) follow")
            }
            let range = (dataStart + offsets[0])..<(dataStart + offsets[1])
            entries[name] = Entry(type: type, shape: shape, range: range)
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// The values of an F32 tensor, checked against the expected shape.
    public func floats(_ name: String, shape expected: [Int]) throws(ModelFileError) -> [Float] {
        guard let entry = entries[name] else { throw .missingTensor(path: path, tensor: name) }
        guard entry.type == "F32" else { throw .unsupportedType(path: path, tensor: name, type: entry.type) }
        guard entry.shape == expected else {
            throw .wrongShape(path: path, tensor: name, expected: expected, found: entry.shape)
        }
        // Shapes come from the file: multiply with overflow checks.
        var count = 1
        for side in expected {
            let (product, overflow) = count.multipliedReportingOverflow(by: side)
            guard !overflow, product <= Int.max / 4 else {
                throw .malformed(path: path, detail: "tensor \(name) has an impossibly large shape \(expected)")
            }
            count = product
        }
        guard entry.range.count == count * 4 else {
            throw .malformed(
                path: path, detail: "tensor \(name) spans \(entry.range.count) bytes, expected \(count * 4)")
        }
        let raw = UnsafeRawBufferPointer(rebasing: file.bytes[entry.range])
        let values = (0..<count).map {
            Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        }
        // A damaged download: NaN or Inf, or values so large that the first layers overflow to them.
        if let bad = values.firstIndex(where: { !$0.isFinite || abs($0) > SafeTensorsFile.largestWeight }) {
            throw .implausibleValue(path: path, tensor: name, index: bad, value: values[bad])
        }
        return values
    }

    /// No trained fercam model comes near this (the shipped ones stay below 100 in every tensor).
    public static let largestWeight: Float = 1e4
}
