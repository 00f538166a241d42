import Foundation
import HarnessCore
package import HarnessScenarios
import Yams

extension ParityGaps {
    /// Largest gaps file read: 4 MiB.
    package static let maxFileBytes = 4 << 20
    /// Most gaps, normalisers and unordered paths, each.
    package static let maxEntries = 10_000
    /// Longest regular expression of a normaliser.
    package static let maxPatternLength = 1000

    static let topKeys = ["gaps", "normalisers", "unordered"]
    static let gapKeys = ["scenario", "step", "path", "reason", "date"]
    static let ruleKeys = ["regex", "replace", "numbered", "paths", "reason"]

    /// Reads a gaps file, reporting every problem as `file:line:column: message`.
    /// - Throws: ``ScenarioErrors`` (the command exits 2).
    package static func load(path: String) throws(ScenarioErrors) -> ParityGaps {
        let start = SourceLocation(file: path, line: 0, column: 0)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ScenarioErrors([ScenarioError(start, "cannot open the gaps file (missing or unreadable)")])
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxFileBytes + 1)) ?? Data()
        guard data.count <= maxFileBytes else {
            throw ScenarioErrors([ScenarioError(start, "the gaps file is larger than \(maxFileBytes) bytes")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioErrors([ScenarioError(start, "the gaps file is not UTF-8 text")])
        }
        return try parse(yaml: text, path: path)
    }

    /// Reads gaps-file YAML; `path` names it in errors.
    /// - Throws: ``ScenarioErrors`` with every problem found.
    package static func parse(yaml: String, path: String) throws(ScenarioErrors) -> ParityGaps {
        let reader = NodeReader(file: path)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return ParityGaps(file: path) }
            root = node
        } catch let error as YamlError {
            throw ScenarioErrors([ScenarioLoader.yamlError(error, path: path)])
        } catch {
            throw ScenarioErrors([ScenarioError(SourceLocation(file: path, line: 1, column: 1), "invalid YAML: \(error)")])
        }
        var result = ParityGaps(file: path)
        switch root {
        case .sequence:
            result.gaps = gaps(root, reader)
        case .mapping:
            for (key, _, value) in reader.mapping(root, "the gaps file", allowed: topKeys) ?? [] {
                switch key {
                case "gaps": result.gaps = gaps(value, reader)
                case "normalisers": result.rules = rules(value, reader)
                default: result.unordered = paths(value, "unordered", reader)
                }
            }
        default:
            if !NodeReader.isNull(root) {
                reader.fail(root, "the gaps file must hold 'gaps:' (a list), 'normalisers:' and 'unordered:', not \(reader.kind(root))")
            }
        }
        if !reader.errors.isEmpty { throw ScenarioErrors(reader.errors) }
        return result
    }

    private static func items(_ node: Node, _ what: String, _ reader: NodeReader) -> [Node] {
        if NodeReader.isNull(node) { return [] }
        guard let items = reader.list(node, what) else { return [] }
        guard items.count <= maxEntries else {
            reader.fail(node, "\(what) may hold at most \(maxEntries) entries, not \(items.count)")
            return []
        }
        return items
    }

    private static func gaps(_ node: Node, _ reader: NodeReader) -> [KnownGap] {
        items(node, "gaps", reader).compactMap { item -> KnownGap? in
            guard let entries = reader.mapping(item, "a gap", allowed: gapKeys) else { return nil }
            var scenario: NameGlob?
            var step: NameGlob?
            var path: ParityPath?
            var reason: String?
            var date: String?
            for (key, _, value) in entries {
                switch key {
                case "scenario": scenario = reader.string(value, "scenario").map(NameGlob.init)
                case "step": step = reader.string(value, "step").map(NameGlob.init)
                case "path": path = self.path(value, "path", reader)
                case "reason":
                    reason = reader.string(value, "reason")
                    if reason?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true {
                        reader.fail(value, "reason must say why the candidate differs")
                    }
                case "date": date = self.date(value, reader)
                default: break
                }
            }
            for (name, missing) in [("scenario", scenario == nil), ("path", path == nil), ("reason", reason == nil), ("date", date == nil)]
            where missing && !entries.contains(where: { $0.key == name }) {
                reader.fail(item, "a gap needs '\(name)'")
            }
            guard let scenario, let path, let reason, let date else { return nil }
            return KnownGap(scenario: scenario, step: step, path: path, reason: reason, date: date, location: reader.location(item))
        }
    }

    private static func rules(_ node: Node, _ reader: NodeReader) -> [TextRule] {
        items(node, "normalisers", reader).compactMap { item -> TextRule? in
            guard let entries = reader.mapping(item, "a normaliser", allowed: ruleKeys) else { return nil }
            var pattern: String?
            var replacement: String?
            var numbered = false
            var paths: [ParityPath] = []
            for (key, _, value) in entries {
                switch key {
                case "regex":
                    guard let text = reader.string(value, "regex") else { continue }
                    guard text.utf8.count <= maxPatternLength else {
                        reader.fail(value, "regex may be at most \(maxPatternLength) bytes long")
                        continue
                    }
                    do {
                        let regex = try Regex(text)
                        if "".wholeMatch(of: regex) != nil {
                            reader.fail(value, "regex \(text.debugDescription) matches empty text; it must match at least one character")
                        } else {
                            pattern = text
                        }
                    } catch {
                        reader.fail(value, "regex \(text.debugDescription) is not a valid regular expression: \(error)")
                    }
                case "replace": replacement = reader.string(value, "replace")
                case "numbered": numbered = reader.bool(value, "numbered") ?? false
                case "paths": paths = self.paths(value, "paths", reader)
                default: _ = reader.string(value, "reason")
                }
            }
            if !entries.contains(where: { $0.key == "regex" }) { reader.fail(item, "a normaliser needs 'regex'") }
            if !entries.contains(where: { $0.key == "replace" }) { reader.fail(item, "a normaliser needs 'replace' (the placeholder)") }
            guard let pattern, let replacement else { return nil }
            return TextRule(pattern: pattern, replacement: replacement, numbered: numbered, paths: paths, location: reader.location(item))
        }
    }

    private static func paths(_ node: Node, _ what: String, _ reader: NodeReader) -> [ParityPath] {
        if case .scalar = node { return path(node, what, reader).map { [$0] } ?? [] }
        return items(node, what, reader).compactMap { path($0, "each of \(what)", reader) }
    }

    private static func path(_ node: Node, _ what: String, _ reader: NodeReader) -> ParityPath? {
        guard let text = reader.string(node, what) else { return nil }
        do {
            return try ParityPath(parsing: text)
        } catch {
            reader.fail(node, "\(what) is not a JSON path: \(error.message) (write e.g. outputs[*].msg_err, metadata[\"@type\"], @status)")
            return nil
        }
    }

    private static func date(_ node: Node, _ reader: NodeReader) -> String? {
        guard let text = reader.string(node, "date") else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            year >= 1970, (1...12).contains(month), (1...31).contains(day)
        else {
            reader.fail(node, "date must be YYYY-MM-DD (the day the gap was written down), not \(text.debugDescription)")
            return nil
        }
        return text
    }
}
