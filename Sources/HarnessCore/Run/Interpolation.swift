public import SandboxAPI

/// `${name}` substitution in scenario text, from captures, `--var`, the environment and built-ins.
public struct Variables: Sendable {
    /// Every variable by name.
    public var values: [String: String]

    /// Variables with these `values`.
    public init(_ values: [String: String] = [:]) { self.values = values }

    /// A variable that is referenced but has no value.
    public struct Undefined: Error, CustomStringConvertible {
        /// The variable's name, without `${}`.
        public var name: String
        /// What is undefined and how to define it.
        public var description: String { "undefined variable ${\(name)} (define it with save:, --var \(name)=VALUE or the environment)" }
    }

    /// `text` with every `${name}` replaced; `$${` is a literal `${`.
    public func interpolate(_ text: String) throws(Undefined) -> String {
        // A byte scan: most text has no `$` at all, and this runs for every request of a load run.
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "$" {
                out += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            out += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            guard let value = values[name] else { throw Undefined(name: name) }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    /// The value of `name`, or nil when it is not defined.
    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }
}

extension JSONValue {
    /// The value at a dotted path (`outputs.0.mimeType`); numeric components index arrays.
    public func at(path: String) -> JSONValue? {
        var current: JSONValue? = self
        for component in path.split(separator: ".") where !component.isEmpty {
            switch current {
            case .object(let o)?: current = o[String(component)]
            case .array(let a)?:
                guard let i = Int(component), a.indices.contains(i) else { return nil }
                current = a[i]
            default: return nil
            }
        }
        return current
    }

    /// Scalars as plain text (strings unquoted), containers as JSON.
    public var plainText: String {
        switch self {
        case .string(let s): s
        case .null: "null"
        default: jsonString
        }
    }
}
