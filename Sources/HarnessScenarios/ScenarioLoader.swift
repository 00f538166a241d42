import Foundation
package import HarnessCore
import SandboxAPI
package import Yams

/// Loads scenario files (YAML) into ``ScenarioFile``s, reporting every problem as `file:line:column: message`.
///
/// ```swift
/// let files = try ScenarioLoader.load(paths: ["scenarios/"])
/// ```
package enum ScenarioLoader {
    static let scenarioKeys = ["name", "description", "tags", "sandbox", "steps", "skip", "load"]
    static let sandboxKeys = ["language", "machine_config", "display_name", "ttl", "snapshot", "template", "owner"]
    static let stepKinds = ["create", "execute", "get", "list", "delete", "wait", "request"]
    static let stepKeys = ["name", "expect", "save"] + stepKinds

    /// Expands directories to their `.yaml`/`.yml` files (sorted) and loads every file.
    package static func load(paths: [String]) throws(ScenarioErrors) -> [ScenarioFile] {
        var files: [ScenarioFile] = []
        var errors: [ScenarioError] = []
        for path in discover(paths, errors: &errors) {
            do { files.append(try load(path: path)) } catch { errors += error.errors }
        }
        if !errors.isEmpty { throw ScenarioErrors(errors) }
        return files
    }

    /// Scenario files under `paths` (files as given, directories searched recursively, cassettes skipped), sorted;
    /// with `cassettes`, the cassettes in the directories instead.
    package static func discover(_ paths: [String], errors: inout [ScenarioError], cassettes: Bool = false) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                errors.append(ScenarioError(SourceLocation(file: path, line: 0, column: 0), "no such file or directory"))
                continue
            }
            if !isDirectory.boolValue {
                out.append(path)
                continue
            }
            let found = (fm.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
                .filter {
                    ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml"))
                        && !$0.split(separator: "/").contains { $0.hasPrefix(".") || $0 == "files" }
                }
                .sorted()
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            out += found.map { "\(base)/\($0)" }.filter { isCassette($0) == cassettes }
        }
        return out
    }

    /// Whether the file at `path` is a cassette written by `sandbench record` (its first lines say
    /// `format: sandbench-cassette/…`): a directory of scenarios may hold recordings beside them.
    package static func isCassette(_ path: String) -> Bool {
        // Only regular files are opened: reading a FIFO named on the command line would block.
        guard regularFileSize(path) != nil, let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = String(decoding: (try? handle.read(upToCount: 512)) ?? Data(), as: UTF8.self)
        return head.split(separator: "\n").prefix(4).contains { $0.hasPrefix("format: sandbench-cassette/") }
    }

    /// The size of the regular file at `path` (symbolic links followed); nil for anything else.
    package static func regularFileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(exactly: st.st_size)
    }

    /// Loads one file.
    package static func load(path: String) throws(ScenarioErrors) -> ScenarioFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioErrors([
                ScenarioError(SourceLocation(file: path, line: 0, column: 0), "cannot read the file (missing, unreadable or not UTF-8)")
            ])
        }
        let base = (path as NSString).deletingLastPathComponent
        return try parse(yaml: text, path: path, baseDirectory: base.isEmpty ? "." : base)
    }

    /// Parses scenario YAML; `baseDirectory` resolves `path:` file contents.
    package static func parse(yaml: String, path: String, baseDirectory: String) throws(ScenarioErrors) -> ScenarioFile {
        let reader = NodeReader(file: path)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ScenarioErrors([
                    ScenarioError(SourceLocation(file: path, line: 1, column: 1), "the file is empty: expected a 'scenarios:' list")
                ])
            }
            root = node
        } catch let error as ScenarioErrors {
            throw error
        } catch let error as YamlError {
            throw ScenarioErrors([yamlError(error, path: path)])
        } catch {
            throw ScenarioErrors([ScenarioError(SourceLocation(file: path, line: 1, column: 1), "invalid YAML: \(error)")])
        }
        var scenarioNodes: [Node] = []
        switch root {
        case .sequence(let seq): scenarioNodes = Array(seq)
        case .mapping(let map) where map["steps"] != nil: scenarioNodes = [root]
        case .mapping:
            if let entries = reader.mapping(root, "the file", allowed: ["scenarios"]) {
                if let list = entries.first(where: { $0.key == "scenarios" }) {
                    scenarioNodes = reader.list(list.value, "scenarios") ?? []
                } else {
                    reader.fail(root, "missing 'scenarios:' (a list of scenarios)")
                }
            }
        default: reader.fail(root, "the file must hold a 'scenarios:' list, not \(reader.kind(root))")
        }
        let builder = ScenarioBuilder(reader: reader, baseDirectory: baseDirectory)
        var scenarios: [Scenario] = []
        var names: Set<String> = []
        for node in scenarioNodes {
            guard let scenario = builder.scenario(node) else { continue }
            if !names.insert(scenario.name).inserted { reader.fail(node, "scenario name '\(scenario.name)' is used twice in this file") }
            scenarios.append(scenario)
        }
        if scenarioNodes.isEmpty, reader.errors.isEmpty { reader.fail(root, "no scenarios in this file") }
        if !reader.errors.isEmpty { throw ScenarioErrors(reader.errors) }
        return ScenarioFile(path: path, scenarios: scenarios)
    }

    package static func yamlError(_ error: YamlError, path: String) -> ScenarioError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let contextText = context.map { " \($0.text)" } ?? ""
            return ScenarioError(SourceLocation(file: path, line: mark.line, column: mark.column), "invalid YAML: \(problem)\(contextText)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0.prefix(80))'" }.joined(separator: ", ")
            return ScenarioError(
                SourceLocation(file: path, line: max(1, context.mark.line), column: max(1, context.mark.column)),
                "the mapping starting here gives \(keys) more than once")
        default:
            return ScenarioError(SourceLocation(file: path, line: 1, column: 1), "invalid YAML: \(error)")
        }
    }
}
