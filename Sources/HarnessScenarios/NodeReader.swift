package import HarnessCore
package import SandboxAPI
package import Yams

/// Reads a YAML node tree with locations, collecting every problem instead of stopping at the first
/// (package-wide: the parity gaps file is read the same way).
package final class NodeReader {
    package let file: String
    package var errors: [ScenarioError] = []

    package init(file: String) { self.file = file }

    package func location(_ node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    package func fail(_ node: Node?, _ message: String) {
        errors.append(ScenarioError(location(node), message))
    }

    package func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s):
            s.string.isEmpty && s.style == .plain
                ? "null"
                : s.string.count > 80
                    ? "a scalar (\(String(s.string.prefix(60)).debugDescription)… \(s.string.utf8.count) bytes)"
                    : "a scalar (\(s.string.debugDescription))"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    package static func isNull(_ node: Node?) -> Bool {
        guard let node else { return true }
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
        return false
    }

    /// The entries of a mapping, with unknown keys reported against `allowed` (spelt snake_case; camelCase is accepted too).
    package func mapping(_ node: Node, _ what: String, allowed: [String]) -> [(key: String, keyNode: Node, value: Node)]? {
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
                let hint = DidYouMean.suggestion(for: key, among: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                fail(keyNode, "unknown key '\(keyScalar.string)' in \(what)\(hint); allowed: \(allowed.joined(separator: ", "))")
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

    /// The entries of a mapping whose keys are free names (variables, file names, headers), kept as written.
    package func freeMapping(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let map) = node else {
            fail(node, "\(what) must be a mapping, not \(kind(node))")
            return nil
        }
        var out: [(String, Node, Node)] = []
        for (keyNode, value) in map {
            guard case .scalar(let keyScalar) = keyNode else {
                fail(keyNode, "keys in \(what) must be plain names")
                continue
            }
            out.append((keyScalar.string, keyNode, value))
        }
        return out
    }

    package static func snake(_ key: String) -> String {
        var out = ""
        for ch in key {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    package func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let s) = node, !Self.isNull(node) || s.style != .plain else {
            fail(node, "\(what) must be a string, not \(kind(node))")
            return nil
        }
        return s.string
    }

    /// An integer in `min...max`; anything else (including numbers too large for `Int`) is an error at the node.
    package func int(_ node: Node, _ what: String, min: Int = Int.min, max: Int = Int.max) -> Int? {
        guard case .scalar(let s) = node, let n = Int(s.string) else {
            fail(node, "\(what) must be an integer, not \(kind(node))")
            return nil
        }
        guard n >= min else {
            fail(node, "\(what) must be at least \(min), not \(n)")
            return nil
        }
        guard n <= max else {
            fail(node, "\(what) must be at most \(max), not \(n)")
            return nil
        }
        return n
    }

    /// A finite number in `range`.
    package func number(
        _ node: Node, _ what: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
    ) -> Double? {
        guard case .scalar(let s) = node, let n = Double(s.string), n.isFinite else {
            fail(node, "\(what) must be a number, not \(kind(node))")
            return nil
        }
        guard range.contains(n) else {
            fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(kind(node))")
            return nil
        }
        return n
    }

    package func bool(_ node: Node, _ what: String) -> Bool? {
        guard case .scalar(let s) = node, let b = Bool(s.string.lowercased()) else {
            fail(node, "\(what) must be true or false, not \(kind(node))")
            return nil
        }
        return b
    }

    package func duration(_ node: Node, _ what: String) -> Duration? {
        guard case .scalar(let s) = node, let d = HumanDuration.parse(s.string) else {
            fail(node, "\(what) must be a duration such as 250ms, 2s or 1m (at most 100 years), not \(kind(node))")
            return nil
        }
        return d
    }

    package func list(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let seq) = node else {
            fail(node, "\(what) must be a list, not \(kind(node))")
            return nil
        }
        return Array(seq)
    }

    package func strings(_ node: Node, _ what: String) -> [String]? {
        if case .scalar = node, let s = string(node, what) { return [s] }
        guard let items = list(node, what) else { return nil }
        return items.compactMap { string($0, "each of \(what)") }
    }

    package func language(_ node: Node) -> CodeLanguage? {
        guard let s = string(node, "language") else { return nil }
        switch s.lowercased() {
        case "python", "py", "python3", "language_python": return .python
        case "javascript", "js", "node", "language_javascript": return .javascript
        case "unspecified", "language_unspecified": return .unspecified
        default:
            fail(
                node,
                "language must be python or javascript (or LANGUAGE_PYTHON / LANGUAGE_JAVASCRIPT / LANGUAGE_UNSPECIFIED), "
                    + "not \(s.debugDescription)"
            )
            return nil
        }
    }

    package func machine(_ node: Node) -> MachineConfig? {
        guard let s = string(node, "machine_config") else { return nil }
        switch s.lowercased() {
        case "default", "unspecified", "machine_config_unspecified": return .unspecified
        case "vcpu4_ram4gib", "machine_config_vcpu4_ram4gib": return .vcpu4Ram4GiB
        default:
            fail(node, "machine_config must be MACHINE_CONFIG_UNSPECIFIED or MACHINE_CONFIG_VCPU4_RAM4GIB, not \(s.debugDescription)")
            return nil
        }
    }

    package func state(_ node: Node) -> SandboxState? {
        guard let s = string(node, "state") else { return nil }
        let name = s.hasPrefix("STATE_") ? s : "STATE_" + s.uppercased()
        guard let state = SandboxState(rawValue: name) else {
            fail(node, "state must be one of \(SandboxState.allCases.map(\.rawValue).joined(separator: ", ")), not \(s.debugDescription)")
            return nil
        }
        return state
    }
}
