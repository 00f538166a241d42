import Foundation
import SandboxAPI
import Yams

extension FaultPlan {
    static let planKeys = ["seed", "faults"]
    static let ruleKeys = ["match", "error", "latency", "jitter", "reset", "slow_body", "truncate"]
    static let matchKeys = ["method", "path"]

    /// Reads and checks a fault file (format in `docs/faults.md`).
    ///
    /// - Throws: ``FaultPlanError`` naming `file:line:column` and the field of every problem found.
    public static func load(path: String) throws(FaultPlanError) -> FaultPlan {
        let unreadable = { (why: String) in
            FaultPlanError(code: .unreadable, problems: [.init(file: path, line: 0, column: 0, message: why)])
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw unreadable("cannot open the fault file (missing or unreadable)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Limits.maxFileBytes + 1) ?? Data()
        } catch {
            throw unreadable("cannot read the fault file: \(error)")
        }
        guard data.count <= Limits.maxFileBytes else { throw unreadable("the fault file is larger than \(Limits.maxFileBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw unreadable("the fault file is not UTF-8 text") }
        return try parse(yaml: text, file: path)
    }

    /// Parses fault-file YAML; `file` names the source in error messages and rule origins.
    ///
    /// - Throws: ``FaultPlanError`` naming `file:line:column` and the field of every problem found.
    public static func parse(yaml: String, file: String) throws(FaultPlanError) -> FaultPlan {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw FaultPlanError(code: .invalidYAML, problems: [yamlProblem(error, file: file)])
        } catch {
            throw FaultPlanError(code: .invalidYAML, problems: [.init(file: file, line: 1, column: 1, message: "invalid YAML: \(error)")])
        }
        let reader = FaultFileReader(file: file)
        guard let root else {
            reader.fail(nil, "the fault file is empty: expected 'seed:' and a 'faults:' list")
            throw reader.error
        }
        var plan = FaultPlan()
        var sawFaults = false
        for (key, keyNode, value) in reader.mapping(root, "the fault file", allowed: planKeys) ?? [] {
            switch key {
            case "seed":
                if let seed = reader.seed(value) { plan.seed = seed }
            default:
                sawFaults = true
                guard let items = reader.list(value, "faults") else { continue }
                guard items.count <= Limits.maxRules else {
                    reader.fail(keyNode, "faults has \(items.count) rules; at most \(Limits.maxRules) are allowed")
                    continue
                }
                plan.rules = items.enumerated().compactMap { index, item in rule(item, number: index + 1, reader: reader) }
            }
        }
        if !sawFaults, reader.problems.isEmpty { reader.fail(root, "the fault file has no 'faults:' list") }
        if !reader.problems.isEmpty { throw reader.error }
        return plan
    }

    private static func rule(_ node: Node, number: Int, reader: FaultFileReader) -> FaultRule? {
        let what = "faults[\(number)]"
        guard let entries = reader.mapping(node, what, allowed: ruleKeys) else { return nil }
        var match = FaultMatch()
        var actions: [FaultAction] = []
        var latency: Duration?
        var jitter: Duration?
        var valid = true
        for (key, _, value) in entries {
            let field = "\(what).\(key)"
            switch key {
            case "match":
                if let parsed = self.match(value, field: field, reader: reader) { match = parsed } else { valid = false }
            case "latency":
                latency = reader.delay(value, field, max: Limits.maxDelay)
                if latency == nil { valid = false }
            case "jitter":
                jitter = reader.delay(value, field, max: Limits.maxDelay)
                if jitter == nil { valid = false }
            default:
                if let action = self.action(key, value, field: field, reader: reader) { actions.append(action) } else { valid = false }
            }
        }
        if latency != nil || jitter != nil { actions.insert(.latency(latency ?? .zero, jitter: jitter ?? .zero), at: 0) }
        guard valid else { return nil }
        guard actions.count == 1, let action = actions.first else {
            let kinds = actions.map(\.kind).joined(separator: " and ")
            reader.fail(
                node,
                actions.isEmpty
                    ? "\(what) has no fault: give one of error, latency (with jitter), reset, slow_body, truncate"
                    : "\(what) has \(kinds); give one fault per rule (write several rules for several faults)")
            return nil
        }
        return FaultRule(match: match, action: action, origin: "\(reader.file):\(reader.location(node).line)")
    }

    private static func match(_ node: Node, field: String, reader: FaultFileReader) -> FaultMatch? {
        guard let entries = reader.mapping(node, field, allowed: matchKeys) else { return nil }
        var match = FaultMatch()
        var valid = true
        for (key, _, value) in entries {
            guard let text = reader.string(value, "\(field).\(key)") else {
                valid = false
                continue
            }
            if key == "method" {
                guard (1...32).contains(text.utf8.count), text.utf8.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                    reader.fail(value, "\(field).method must be an HTTP method such as GET, POST or DELETE, not \(reader.kind(value))")
                    valid = false
                    continue
                }
                match.method = text.uppercased()
            } else {
                guard !text.isEmpty, text.utf8.count <= Limits.maxPatternBytes else {
                    reader.fail(
                        value,
                        "\(field).path must be a glob of 1...\(Limits.maxPatternBytes) bytes such as \"*:execute\", "
                            + "not \(reader.kind(value))")
                    valid = false
                    continue
                }
                match.path = text
            }
        }
        return valid ? match : nil
    }

    private static func action(_ kind: String, _ node: Node, field: String, reader: FaultFileReader) -> FaultAction? {
        let allowed: [String] =
            switch kind {
            case "error": ["status", "rate", "retry_after"]
            case "slow_body": ["bytes_per_second", "rate"]
            default: ["rate"]
            }
        // `reset:` and `truncate:` alone (null) mean rate 1.
        let bare = FaultFileReader.isNull(node) && (kind == "reset" || kind == "truncate")
        guard let entries = bare ? [] : reader.mapping(node, field, allowed: allowed) else { return nil }
        var rate = 1.0
        var status: Int?
        var bytesPerSecond: Int?
        var retryAfter: Duration?
        var valid = true
        for (key, _, value) in entries {
            let name = "\(field).\(key)"
            switch key {
            case "rate":
                if let r = reader.rate(value, name) { rate = r } else { valid = false }
            case "status":
                status = reader.int(value, name, in: Limits.status)
                if status == nil { valid = false }
            case "retry_after":
                retryAfter = reader.delay(value, name, max: Limits.maxRetryAfter)
                if retryAfter == nil { valid = false }
            default:
                bytesPerSecond = reader.int(value, name, in: Limits.bytesPerSecond)
                if bytesPerSecond == nil { valid = false }
            }
        }
        guard valid else { return nil }
        switch kind {
        case "error":
            guard let status else {
                reader.fail(node, "\(field) needs a status (400...599), e.g. {status: 503, rate: 0.3}")
                return nil
            }
            return .error(status: status, rate: rate, retryAfter: retryAfter)
        case "slow_body":
            guard let bytesPerSecond else {
                reader.fail(node, "\(field) needs bytes_per_second (\(Limits.bytesPerSecond)), e.g. {bytes_per_second: 1024, rate: 0.05}")
                return nil
            }
            return .slowBody(bytesPerSecond: bytesPerSecond, rate: rate)
        case "reset": return .reset(rate: rate)
        default: return .truncate(rate: rate)
        }
    }

    static func yamlProblem(_ error: YamlError, file: String) -> FaultPlanError.Problem {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let context = context.map { " \($0.text)" } ?? ""
            return .init(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)\(context)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0.prefix(80))'" }.joined(separator: ", ")
            return .init(
                file: file, line: max(1, context.mark.line), column: max(1, context.mark.column),
                message: "the mapping starting here gives \(keys) more than once")
        default:
            return .init(file: file, line: 1, column: 1, message: "invalid YAML: \(error)")
        }
    }
}

/// Reads fault-file nodes with their locations, collecting every problem instead of stopping at the first.
final class FaultFileReader {
    let file: String
    private(set) var problems: [FaultPlanError.Problem] = []

    init(file: String) { self.file = file }

    var error: FaultPlanError { FaultPlanError(code: .invalidPlan, problems: problems) }

    func location(_ node: Node?) -> (line: Int, column: Int) {
        guard let mark = node?.mark else { return (1, 1) }
        return (mark.line, mark.column)
    }

    func fail(_ node: Node?, _ message: String) {
        let (line, column) = location(node)
        problems.append(.init(file: file, line: line, column: column, message: message))
    }

    func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s):
            Self.isNull(node)
                ? "null"
                : s.string.utf8.count > 80
                    ? "a scalar (\(String(s.string.prefix(60)).debugDescription)… \(s.string.utf8.count) bytes)"
                    : "a scalar (\(s.string.debugDescription))"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
        return false
    }

    /// The entries of a mapping; unknown keys (camelCase is accepted for snake_case) and repeats are reported.
    func mapping(_ node: Node, _ what: String, allowed: [String]) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let map) = node else {
            fail(node, "\(what) must be a mapping, not \(kind(node))")
            return nil
        }
        var out: [(String, Node, Node)] = []
        var seen: Set<String> = []
        for (keyNode, value) in map {
            guard case .scalar(let keyScalar) = keyNode else {
                fail(keyNode, "keys in \(what) must be plain names")
                continue
            }
            let key = Self.snake(keyScalar.string)
            guard allowed.contains(key) else {
                fail(keyNode, "unknown key '\(keyScalar.string.prefix(80))' in \(what); allowed: \(allowed.joined(separator: ", "))")
                continue
            }
            if !seen.insert(key).inserted {
                fail(keyNode, "'\(key)' is given twice in \(what)")
                continue
            }
            out.append((key, keyNode, value))
        }
        return out
    }

    static func snake(_ key: String) -> String {
        var out = ""
        for ch in key {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    func list(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let seq) = node else {
            fail(node, "\(what) must be a list, not \(kind(node))")
            return nil
        }
        return Array(seq)
    }

    func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let s) = node, !Self.isNull(node) else {
            fail(node, "\(what) must be a string, not \(kind(node))")
            return nil
        }
        return s.string
    }

    /// An integer in `range`; anything else (including numbers too large for `Int`) is an error at the node.
    func int(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let s) = node, let n = Int(s.string) else {
            fail(node, "\(what) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(kind(node))")
            return nil
        }
        guard range.contains(n) else {
            fail(node, "\(what) must be in \(range.lowerBound)...\(range.upperBound), not \(n)")
            return nil
        }
        return n
    }

    /// A probability in 0...1.
    func rate(_ node: Node, _ what: String) -> Double? {
        guard case .scalar(let s) = node, let r = Double(s.string), r.isFinite else {
            fail(node, "\(what) must be a number in 0...1, not \(kind(node))")
            return nil
        }
        guard (0...1).contains(r) else {
            fail(node, "\(what) must be in 0...1, not \(s.string.prefix(40))")
            return nil
        }
        return r
    }

    /// A duration (`HumanDuration`) of at most `max`.
    func delay(_ node: Node, _ what: String, max: Duration) -> Duration? {
        guard case .scalar(let s) = node, let d = HumanDuration.parse(s.string) else {
            fail(node, "\(what) must be a duration such as 50ms, 1.5s or 1m, not \(kind(node))")
            return nil
        }
        guard d <= max else {
            fail(node, "\(what) must be at most \(HumanDuration.format(max)), not \(s.string.prefix(40))")
            return nil
        }
        return d
    }

    /// A seed: an integer in 0...2^64-1.
    func seed(_ node: Node) -> UInt64? {
        guard case .scalar(let s) = node, let n = UInt64(s.string) else {
            fail(node, "seed must be an integer in 0...\(UInt64.max), not \(kind(node))")
            return nil
        }
        return n
    }
}
