import Foundation
import Frames

/// One face's expression over a run, sample by sample (one sample per frame it was seen in).
public struct FaceTimeline: Sendable {
    /// The track id; for a run without tracks (stills, or an old log), 0: each frame's largest face.
    public var id: Int
    public var times: [Double] = []
    /// Per sample, the probability of each class (in `RunTimelines.classNames` order).
    public var scores: [[Float]] = []
    /// Per sample, the class shown (index into the class names).
    public var shown: [Int] = []
    public var uncertain: [Bool] = []

    public var first: Double { times.first ?? 0 }
    public var last: Double { times.last ?? 0 }
}

/// A face's share of time in each shown expression.
public struct FaceSummary: Sendable, Equatable {
    public var id: Int
    public var first: Double
    public var last: Double
    public var frames: Int
    /// Seconds seen: frames times the run's frame interval.
    public var seconds: Double
    /// Per class, the share of the face's frames that showed it.
    public var shares: [Double]
    public var uncertainShare: Double
}

/// The expression timelines of a run, read back from its JSON Lines (`fercam --stdout`, docs/output-format.md).
/// Memory grows with faces times frames (about 100 bytes a face a frame); a line longer than
/// 1 MiB is an error.
public struct RunTimelines: Sendable {
    public var source: String
    public var classNames: [String]
    public var faces: [FaceTimeline]
    public var frames: Int
    /// Seconds between frames (the median step of `pts`; 1 for stills).
    public var frameInterval: Double
    public var tracked: Bool
    /// False for stills (every time 0): the samples' times are frame numbers.
    public var timed: Bool

    /// Classes in the order fercam's models use; names a log has besides come after, sorted.
    static let knownOrder = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]

    /// `part`: only the frames from `start` to `end` (by `pts`), every `every`th of them.
    public init(jsonLines path: String, part: VideoPart = VideoPart()) throws {
        var log = try Self.read(path)
        let name = path == "-" ? "stdin" : path
        guard !log.frames.isEmpty else { throw InputError("\(name): no frames in it") }
        if !part.isWhole {
            var kept = 0
            log.frames = log.frames.filter { frame in
                guard frame.time + 1e-9 >= part.start, part.end.map({ frame.time + 1e-9 < $0 }) ?? true else { return false }
                defer { kept += 1 }
                return kept % part.every == 0
            }
            guard !log.frames.isEmpty else { throw InputError("\(name): no frames in the part asked for") }
        }
        let tracked = log.frames.contains { $0.faces.contains { $0.id != nil } }
        let classNames =
            Self.knownOrder.filter(log.names.contains) + Set(log.names).subtracting(Self.knownOrder).sorted()
        let order = classNames.map { log.names.firstIndex(of: $0)! }
        // Each name the log met, as its place in `classNames`.
        let place = log.names.map { classNames.firstIndex(of: $0)! }
        // Stills all have time 0: their axis is the frame number.
        let timed = log.frames.contains { $0.time != log.frames[0].time }
        var byID: [Int: FaceTimeline] = [:]
        for (index, frame) in log.frames.enumerated() {
            // Without tracks, each frame's largest face stands for the run.
            let kept = tracked ? frame.faces : Array(frame.faces.max { $0.area < $1.area }.map { [$0] } ?? [])
            for face in kept {
                guard let id = face.id ?? (tracked ? nil : 0) else { continue }
                var timeline = byID[id] ?? FaceTimeline(id: id)
                timeline.times.append(timed ? frame.time : Double(index))
                timeline.scores.append(order.map { $0 < face.scores.count ? face.scores[$0] : 0 })
                timeline.shown.append(place[face.label])
                timeline.uncertain.append(face.uncertain)
                byID[id] = timeline
            }
        }
        guard !byID.isEmpty else {
            throw InputError("\(name): no expressions in it (no faces, or a run with --no-expressions)")
        }
        let steps = zip(log.frames.dropFirst(), log.frames).map { $0.time - $1.time }.filter { $0 > 0 }.sorted()
        self.source = log.source
        self.classNames = classNames
        self.faces = byID.values.sorted { $0.id < $1.id }
        self.frames = log.frames.count
        self.frameInterval = steps.isEmpty ? 1 : steps[steps.count / 2]
        self.tracked = tracked
        self.timed = timed
    }

    /// A face as logged: class scores and label as indices into the names in the order the log met them.
    struct LoggedFace {
        var id: Int?
        var area: Double
        var scores: [Float]
        var label: Int
        var uncertain: Bool
    }

    struct Log {
        var frames: [(time: Double, faces: [LoggedFace])] = []
        var names: [String] = []
        var source = ""
    }

    /// Every frame of the log, line by line.
    static func read(_ path: String) throws -> Log {
        let reader: ByteReader
        if path == "-" {
            reader = ByteReader(fileDescriptor: 0, name: "stdin", ownsDescriptor: false)
        } else {
            do { reader = try ByteReader(path: path, regularFileOnly: true) } catch {
                throw InputError(error.description)
            }
        }
        var log = Log()
        var line = 0
        while true {
            let bytes: [UInt8]?
            do { bytes = try reader.readLine(limit: 1 << 20) } catch { throw InputError(error.description) }
            guard let bytes else { break }
            line += 1
            if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do { try parse(bytes, into: &log) } catch { throw InputError("\(reader.name): line \(line): \(error)") }
        }
        return log
    }

    static let largestTime = 1e9

    /// A JSON number that is a whole number an Int holds exactly (track ids), else nil.
    static func wholeNumber(_ value: Any?) -> Int? {
        guard let number = (value as? NSNumber)?.doubleValue, number == number.rounded(), abs(number) < 0x1p53
        else { return nil }
        return Int(number)
    }

    /// One frame's JSON object, appended to `log`.
    static func parse(_ bytes: [UInt8], into log: inout Log) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw InputError("not a JSON object (is this fercam's --stdout output?)")
        }
        guard let time = (object["pts"] as? NSNumber)?.doubleValue, time.isFinite,
            let faces = object["faces"] as? [[String: Any]]
        else {
            throw InputError("no \"pts\" and \"faces\" (is this fercam's --stdout output?)")
        }
        // fercam writes seconds from the start of the input; a billion seconds is 31 years of video.
        guard abs(time) <= Self.largestTime else {
            throw InputError("\"pts\" \(time) is out of range (at most \(Int(Self.largestTime)) seconds)")
        }
        if log.source.isEmpty { log.source = object["source"] as? String ?? "" }
        func index(_ name: String) -> Int {
            if let i = log.names.firstIndex(of: name) { return i }
            log.names.append(name)
            return log.names.count - 1
        }
        var logged: [LoggedFace] = []
        for face in faces {
            // Faces without an expression (--no-expressions, or too small to classify) have no timeline.
            guard let label = face["label"] as? String, let scores = face["scores"] as? [String: Any] else {
                continue
            }
            var values = [Float](repeating: 0, count: log.names.count)
            for (name, value) in scores {
                guard let number = (value as? NSNumber)?.doubleValue, (0...1).contains(number) else {
                    throw InputError("score \"\(name)\" is not a probability from 0 to 1")
                }
                let i = index(name)
                if i >= values.count { values += [Float](repeating: 0, count: i + 1 - values.count) }
                values[i] = Float(number)
            }
            // Sizes in Double: a log may claim any number, and only the comparison matters.
            let box = (face["box"] as? [NSNumber])?.map(\.doubleValue).filter(\.isFinite) ?? []
            logged.append(
                LoggedFace(
                    id: wholeNumber(face["id"]), area: box.count == 4 ? box[2] * box[3] : 0, scores: values,
                    label: index(label), uncertain: (face["uncertain"] as? Bool) ?? false))
        }
        log.frames.append((time, logged))
    }

    /// Per face, its time on screen and the share of it in each shown expression.
    public func summaries() -> [FaceSummary] {
        faces.map { face in
            let n = Double(face.shown.count)
            var counts = [Int](repeating: 0, count: classNames.count)
            for c in face.shown { counts[c] += 1 }
            return FaceSummary(
                id: face.id, first: face.first, last: face.last, frames: face.shown.count,
                seconds: n * frameInterval, shares: counts.map { Double($0) / n },
                uncertainShare: Double(face.uncertain.filter { $0 }.count) / n)
        }
    }

    /// The summaries as CSV: one row per face.
    public func summaryCSV() -> String {
        let header = ["face", "first_s", "last_s", "frames", "seconds"] + classNames + ["uncertain"]
        var lines = [header.joined(separator: ",")]
        for s in summaries() {
            let fields =
                [
                    "\(s.id)", JSONLines.number(s.first, decimals: 3), JSONLines.number(s.last, decimals: 3),
                    "\(s.frames)",
                ]
                + [JSONLines.number(s.seconds, decimals: 3)]
                + (s.shares + [s.uncertainShare]).map { JSONLines.number($0, decimals: 4) }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
