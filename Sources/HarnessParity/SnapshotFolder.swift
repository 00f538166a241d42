import Foundation
import HarnessCore
package import SandboxAPI

/// Why a snapshot folder could not be written or read (the command exits 2).
package struct SnapshotError: Error, Sendable, CustomStringConvertible {
    /// The file (or folder) concerned.
    package var path: String
    /// What was wrong, with a place in the file when there is one.
    package var message: String

    package init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    package var description: String { "\(path): \(message)" }
}

/// A reference recorded as files: one JSON file per scenario with each step's normalised response
/// and latency, written by `--update-snapshots DIR` and read back to compare a candidate offline.
/// Keys are sorted and indented one per line, so a re-recording diffs line by line. Layout:
/// `docs/parity.md`.
///
/// ```swift
/// try SnapshotFolder(path: "snapshots").write(referenceSide, recordedAt: "2026-12-01T10:00:00Z", normaliser: Normaliser())
/// let recorded = try SnapshotFolder(path: "snapshots").read()
/// ```
package struct SnapshotFolder: Sendable {
    /// The `format` of this layout.
    package static let format = "sandbench-parity-snapshot/1"
    /// Largest snapshot file read.
    package static let maxFileBytes = 256 << 20
    /// Most snapshot files in a folder.
    package static let maxFiles = 10_000

    package var path: String

    package init(path: String) {
        self.path = path
    }

    /// Writes one file per scenario of `side`, normalised by `normaliser` (the built-in rules and
    /// the run's label), replacing the folder's older snapshots of the same scenarios.
    /// - Returns: the files written.
    /// - Throws: ``SnapshotError`` when the folder or a file cannot be written.
    @discardableResult
    package func write(_ side: ParitySide, recordedAt: String, normaliser: Normaliser) throws(SnapshotError) -> [String] {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw SnapshotError(path: path, "cannot create the snapshot folder: \(error.localizedDescription)")
        }
        var used: Set<String> = []
        var written: [String] = []
        for record in side.scenarios {
            let stem =
                Self.slug((record.file as NSString).lastPathComponent.split(separator: ".").first.map(String.init) ?? "scenarios")
                + "--" + Self.slug(record.name)
            var name = stem
            var n = 1
            while used.contains(name) {
                n += 1
                name = "\(stem)-\(n)"
            }
            used.insert(name)
            let file = (path as NSString).appendingPathComponent(name + ".json")
            // The side's name holds a port that changes with every run: not worth a line in every diff.
            let reference = TextNormalisers().normalise(side.description)
            let document = Self.document(normaliser.normalise(record), reference: reference, recordedAt: recordedAt)
            let text = PrettyJSON.render(document) + "\n"
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
                throw SnapshotError(path: file, "cannot write the snapshot: \(error.localizedDescription)")
            }
            written.append(file)
        }
        return written
    }

    /// Every scenario recorded in the folder.
    /// - Throws: ``SnapshotError`` for a missing folder, an unreadable file or one not in this layout.
    package func read() throws(SnapshotError) -> (reference: String, scenarios: [ScenarioRecord]) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SnapshotError(path: path, "no such snapshot folder (write one with --update-snapshots)")
        }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted() } catch {
            throw SnapshotError(path: path, "cannot list the snapshot folder: \(error.localizedDescription)")
        }
        guard names.count <= Self.maxFiles else {
            throw SnapshotError(path: path, "more than \(Self.maxFiles) snapshot files")
        }
        var references: [String] = []
        var scenarios: [ScenarioRecord] = []
        for name in names {
            let file = (path as NSString).appendingPathComponent(name)
            let (reference, record) = try Self.read(file)
            if !references.contains(reference) { references.append(reference) }
            scenarios.append(record)
        }
        let description = "snapshots in \(path)" + (references.isEmpty ? "" : " (recorded from \(references.joined(separator: ", ")))")
        return (description, scenarios)
    }

    // MARK: Layout

    static func document(_ record: ScenarioRecord, reference: String, recordedAt: String) -> JSONValue {
        [
            "format": .string(format),
            "recorded_at": .string(recordedAt),
            "reference": .string(reference),
            "file": .string(record.file),
            "scenario": .string(record.name),
            "outcome": .string(record.outcome.rawValue),
            "skip_reason": record.skipReason.map(JSONValue.string) ?? .null,
            "problems": .array(record.problems.map(JSONValue.string)),
            "steps": .array(
                record.steps.map { step in
                    var latency: [String: JSONValue] = [:]
                    for part in step.latencies { latency[part.operation] = .number(Self.milliseconds(part.duration)) }
                    return [
                        "name": .string(step.name),
                        "operation": .string(step.operation),
                        "outcome": .string(step.outcome.rawValue),
                        "problem": step.problem.map(JSONValue.string) ?? .null,
                        "response": step.response ?? .null,
                        "latency_ms": .object(latency)
                    ]
                })
        ]
    }

    static func read(_ file: String) throws(SnapshotError) -> (String, ScenarioRecord) {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw SnapshotError(path: file, "cannot open the snapshot") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxFileBytes + 1)) ?? Data()
        guard data.count <= maxFileBytes else { throw SnapshotError(path: file, "larger than \(maxFileBytes) bytes") }
        let bytes = [UInt8](data)
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch {
            let (line, column) = Self.position(of: error.offset, in: bytes)
            throw SnapshotError(path: file, "\(line):\(column): not JSON: \(error.reason)")
        }
        func fail(_ what: String) -> SnapshotError { SnapshotError(path: file, "\(what) (re-record it with --update-snapshots)") }
        guard json["format"]?.stringValue == format else {
            throw fail("format is \(json["format"]?.jsonString ?? "missing"); this sandbench reads \"\(format)\"")
        }
        guard let name = json["scenario"]?.stringValue, let source = json["file"]?.stringValue else {
            throw fail("\"scenario\" and \"file\" must be strings")
        }
        guard let outcome = json["outcome"]?.stringValue.flatMap(Outcome.init(rawValue:)) else {
            throw fail("\"outcome\" must be passed, failed, error or skipped")
        }
        guard let stepValues = json["steps"]?.arrayValue else { throw fail("\"steps\" must be a list") }
        var steps: [StepRecord] = []
        for (index, value) in stepValues.enumerated() {
            let at = "steps[\(index)]"
            guard let stepName = value["name"]?.stringValue, let operation = value["operation"]?.stringValue else {
                throw fail("\(at).name and \(at).operation must be strings")
            }
            guard let stepOutcome = value["outcome"]?.stringValue.flatMap(Outcome.init(rawValue:)) else {
                throw fail("\(at).outcome must be passed, failed, error or skipped")
            }
            var response = value["response"]
            if response == .null { response = nil }
            if let response, response.objectValue == nil { throw fail("\(at).response must be an object or null") }
            var latencies: [StepRecord.Latency] = []
            for (operation, ms) in (value["latency_ms"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let milliseconds = ms.numberValue, milliseconds.isFinite, (0...3_600_000).contains(milliseconds) else {
                    throw fail("\(at).latency_ms.\(operation) must be a number of milliseconds from 0 to 3600000")
                }
                latencies.append(StepRecord.Latency(operation: operation, duration: .microseconds(Int64((milliseconds * 1000).rounded()))))
            }
            steps.append(
                StepRecord(
                    name: stepName, operation: operation, outcome: stepOutcome, problem: value["problem"]?.stringValue,
                    response: response, latencies: latencies))
        }
        let problems = json["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let record = ScenarioRecord(
            name: name, file: source, outcome: outcome, skipReason: json["skip_reason"]?.stringValue,
            steps: steps, problems: problems)
        return (json["reference"]?.stringValue ?? "an unnamed reference", record)
    }

    /// Line and column (from 1) of a byte offset.
    static func position(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(max(0, offset)) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// Lower-case letters, digits and `-`, at most 80 characters: a file-name part anyone can type.
    static func slug(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "scenario" : String(out.prefix(80))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1_000_000 + Double(attoseconds / 1_000_000_000_000)).rounded() / 1000
    }
}

/// JSON with sorted keys, two-space indentation and one member or item per line (snapshots, reports).
package enum PrettyJSON {
    /// `value` as indented JSON text, without a final newline.
    package static func render(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, into: &out)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += closing + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let keys = members.keys.sorted()
            for (i, key) in keys.enumerated() {
                out += pad + JSONValue.string(key).jsonString + ": "
                write(members[key] ?? .null, indent: indent + 1, into: &out)
                out += i + 1 < keys.count ? ",\n" : "\n"
            }
            out += closing + "}"
        default:
            out += value.jsonString
        }
    }
}
