import ArgumentParser
import DNNLKit
import ExpressionModel
import Foundation
import Pipeline
import Posix

/// `--model NAME` found no installed file.
struct ModelLookupError: Error, CustomStringConvertible {
    var name: String
    var searched: [String]

    var description: String {
        guard Architecture(rawValue: name) != nil else {
            // Neither a model name nor a file: say which names there are rather than "no such file".
            return "--model \(name): no such model or file (names: "
                + Architecture.allCases.map(\.rawValue).joined(separator: ", ") + "; or a .safetensors path)"
        }
        return "model \(name) is not installed: no \(Architecture(rawValue: name)!.fileName) in "
            + searched.joined(separator: ", ")
            + " (`fercam models` lists what is; `make export ARCH=\(name)` writes it)"
    }
}

/// Where models are installed, relative to the running binary: the build tree (`.build/<triple>/release/fercam`
/// -> `assets/`), an install prefix (`bin/` -> `share/fercam/`), then `./assets`.
enum ModelLocator {
    static func directories() -> [String] {
        var found: [String] = []
        if let resolved = realpath("/proc/self/exe", nil) {
            var directory = String(cString: resolved)
            free(resolved)
            for _ in 0..<4 {
                guard let slash = directory.lastIndex(of: "/") else { break }
                directory = String(directory[..<slash])
                found += [directory + "/assets", directory + "/share/fercam"]
            }
        }
        found.append("assets")
        // The same folder reached twice (./assets beside a build-tree binary) is listed once.
        var seen = Set<String>()
        return found.filter { directory in
            guard access(directory, R_OK | X_OK) == 0, let resolved = realpath(directory, nil) else { return false }
            defer { free(resolved) }
            return seen.insert(String(cString: resolved)).inserted
        }
    }

    /// `value` is a model name (an architecture) unless it names a file or looks like a path.
    static func path(for value: String) throws(ModelLookupError) -> String {
        guard let architecture = Architecture(rawValue: value), access(value, F_OK) != 0 else {
            if access(value, F_OK) != 0 && !value.contains("/") && !value.hasSuffix(".safetensors") {
                throw ModelLookupError(name: value, searched: [])
            }
            return value
        }
        let (path, searched) = installed(architecture.fileName)
        guard let path else { throw ModelLookupError(name: value, searched: searched) }
        return path
    }

    /// The first readable `file` in the directories models are installed in, and the directories searched
    /// ("assets" when none exists), for the message when it is nowhere.
    static func installed(_ file: String) -> (path: String?, searched: [String]) {
        let searched = directories()
        let path = searched.lazy.map { $0 + "/" + file }.first { access($0, R_OK) == 0 }
        return (path, searched.isEmpty ? ["assets"] : searched)
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The expression models fercam knows: seed paper, size, accuracy, speed on this CPU.",
        discussion: """
            One row per seed system (../shared/docs/seed-systems.md; docs/seed-systems.md in the repository). \
            Input is the face size the model reads; margin the crop fercam uses with it (the one its file \
            states, else the default; --margin overrides it). Val figures are FER2013 val against its own \
            labels and against the FER+ majority, as exported; posed is `fercam eval \
            ../shared/data/expressions/taiwanese --detect` with that model at that margin (written \
            beside it by `make export`). The latency is measured now: one face, one thread, in the precision \
            `--precision auto` picks on this CPU, median of 50 calls.

            Examples:
              fercam models
              fercam models --json
              fercam --model deep-emotion --input clip.mp4 --stdout
            """)

    @Flag(help: "Print one JSON object per model instead of the table.")
    var json = false
    @Flag(help: "Skip the latency measurement.")
    var noTiming = false

    struct Row {
        var architecture: Architecture
        var path: String?
        var problem: String?
        var figures: ModelFigures?
        /// The face size the model reads and the crop margin fercam uses with it (the file's own, or the default).
        var inputSize: Int?
        var margin: Double?
        var posed: Double?
        var milliseconds: Double?
        var precision: String?
    }

    func run() throws {
        Engine.setThreadCount(1)
        let rows = Architecture.allCases.map(row)
        if json {
            for row in rows { print(Self.json(row).encoded) }
        } else {
            print(Self.table(rows))
        }
    }

    func row(_ architecture: Architecture) -> Row {
        var row = Row(architecture: architecture)
        do {
            let path = try ModelLocator.path(for: architecture.rawValue)
            row.path = path
            let classifier = try ExpressionClassifier(path: path, request: noTiming ? .fp32 : .auto)
            row.figures = classifier.description.figures
            (row.inputSize, row.margin) = (classifier.description.inputSize, classifier.cropping.margin)
            row.posed = Self.posedAccuracy(beside: path)
            if !noTiming {
                row.milliseconds = try Self.latency(classifier)
                row.precision = classifier.precisionChoice.precision.rawValue
            }
        } catch is ModelLookupError {
            row.problem = "not installed"
        } catch {
            row.problem = "\(error)"
        }
        return row
    }

    /// `fercam-NAME.posed.json` beside the model: the `eval --json` object of the posed photographs.
    static func posedAccuracy(beside path: String) -> Double? {
        let sidecar =
            (path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) : path) + ".posed.json"
        guard let data = FileManager.default.contents(atPath: sidecar),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["accuracy"] as? Double
    }

    static func latency(_ classifier: ExpressionClassifier) throws -> Double {
        let size = classifier.description.inputSize
        let face = [(0..<(size * size)).map { Float($0 % 13) / 13 - 0.5 }]
        for _ in 0..<5 { _ = try classifier.network.run(face) }
        var times: [Double] = []
        for _ in 0..<50 {
            let start = monotonicSeconds()
            _ = try classifier.network.run(face)
            times.append((monotonicSeconds() - start) * 1000)
        }
        return times.sorted()[times.count / 2]
    }

    static func table(_ rows: [Row]) -> String {
        func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
        let header = [
            "model", "seed", "parameters", "MACs", "input", "margin", "val FER2013", "val FER+", "posed", "ms/face", "",
        ]
        let cells = rows.map { r -> [String] in
            [
                r.architecture.rawValue, String(r.architecture.seedPaper.prefix(3)),
                r.figures?.parameters.map { String(format: "%.2f M", Double($0) / 1e6) } ?? "-",
                r.figures?.macs.map { String(format: "%.1f M", Double($0) / 1e6) } ?? "-",
                r.inputSize.map { "\($0)x\($0)" } ?? "-", r.margin.map { String(format: "%g", $0) } ?? "-",
                percent(r.figures?.valFER2013), percent(r.figures?.valFERPlus), percent(r.posed),
                r.milliseconds.map { String(format: "%.3f", $0) + " " + (r.precision ?? "") } ?? "-",
                r.problem ?? r.path ?? "",
            ]
        }
        let widths = header.indices.map { i in ([header] + cells).map { $0[i].count }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, text in
                let pad = String(repeating: " ", count: widths[i] - text.count)
                return i == 0 || i == row.count - 1 ? text + pad : pad + text
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        let papers = rows.map { "  \($0.architecture.rawValue): seed \($0.architecture.seedPaper)" }
        return ([line(header)] + cells.map(line) + ["", "Seed papers:"] + papers).joined(separator: "\n")
    }

    static func json(_ r: Row) -> JSONValue {
        func number(_ v: Double?, _ decimals: Int) -> JSONValue { v.map { .number($0, decimals: decimals) } ?? .null }
        var fields: [(String, JSONValue)] = [
            ("model", .string(r.architecture.rawValue)), ("seed", .string(r.architecture.seedPaper)),
            ("path", r.path.map { .string($0) } ?? .null), ("installed", .bool(r.problem == nil)),
        ]
        if let problem = r.problem, problem != "not installed" { fields.append(("error", .string(problem))) }
        fields += [
            ("parameters", r.figures?.parameters.map { .int($0) } ?? .null),
            ("macs", r.figures?.macs.map { .int($0) } ?? .null),
            ("input_size", r.inputSize.map { .int($0) } ?? .null), ("margin", number(r.margin, 3)),
            ("val_fer2013", number(r.figures?.valFER2013, 4)), ("val_ferplus", number(r.figures?.valFERPlus, 4)),
            ("posed", number(r.posed, 4)), ("ms_per_face", number(r.milliseconds, 3)),
            ("precision", r.precision.map { .string($0) } ?? .null),
        ]
        return .object(fields)
    }
}
