/// Reads one JSON object field by field, accepting snake_case and lowerCamelCase spellings,
/// and (in strict mode) rejecting fields nobody asked for with a proto-JSON style message.
///
/// ```swift
/// var fields = try FieldReader(json, at: "sandbox_environment", strict: true)
/// let name = try fields.string("displayName")
/// try fields.finish()   // throws INVALID_ARGUMENT for any unknown key
/// ```
package struct FieldReader {
    private var fields: [String: (original: String, value: JSONValue)] = [:]
    private let path: String
    private let strict: Bool

    /// Opens `json` as an object; `path` names it in error messages.
    package init(_ json: JSONValue, at path: String, strict: Bool) throws(GoogleError) {
        guard case .object(let object) = json else {
            throw GoogleError.invalid("Invalid value at '\(path)': expected an object, got \(json.kindName).")
        }
        for (key, value) in object {
            let camel = FieldName.camel(key)
            if fields[camel] != nil, strict {
                throw GoogleError.invalid("Invalid JSON payload received. Field '\(key)' at '\(path)' is given twice.")
            }
            fields[camel] = (key, value)
        }
        self.path = path
        self.strict = strict
    }

    /// Takes field `name` (lowerCamelCase), nil when absent or JSON null.
    package mutating func take(_ name: String) -> JSONValue? {
        guard let entry = fields.removeValue(forKey: name) else { return nil }
        if case .null = entry.value { return nil }
        return entry.value
    }

    /// A string field.
    package mutating func string(_ name: String) throws(GoogleError) -> String? {
        guard let value = take(name) else { return nil }
        guard case .string(let s) = value else { throw typeError(name, "a string", value) }
        return s
    }

    /// A string field of at most `maxCharacters` Unicode characters; longer is INVALID_ARGUMENT in
    /// strict mode (a request), kept as it is otherwise (a response).
    package mutating func string(_ name: String, maxCharacters: Int) throws(GoogleError) -> String? {
        guard let s = try string(name) else { return nil }
        if strict, s.unicodeScalars.count > maxCharacters {
            throw GoogleError.invalid(
                "Invalid value at '\(path).\(FieldName.snake(name))': at most \(maxCharacters) characters, got \(s.unicodeScalars.count).")
        }
        return s
    }

    /// A boolean field (proto-JSON also accepts the strings "true"/"false").
    package mutating func bool(_ name: String) throws(GoogleError) -> Bool? {
        guard let value = take(name) else { return nil }
        switch value {
        case .bool(let b): return b
        case .string("true"): return true
        case .string("false"): return false
        default: throw typeError(name, "a boolean", value)
        }
    }

    /// An integer field (numbers or numeric strings, as proto-JSON allows).
    package mutating func int(_ name: String) throws(GoogleError) -> Int? {
        guard let value = take(name) else { return nil }
        switch value {
        case .number(let n) where n == n.rounded() && abs(n) < 1e15: return Int(n)
        case .string(let s): if let n = Int(s) { return n }
        default: break
        }
        throw typeError(name, "an integer", value)
    }

    /// A `bytes` field, base64 in either alphabet.
    package mutating func bytes(_ name: String) throws(GoogleError) -> [UInt8]? {
        guard let s = try string(name) else { return nil }
        guard let decoded = Base64.decode(s) else {
            throw GoogleError.invalid("Invalid value at '\(path).\(name)' (TYPE_BYTES): \"\(s.prefix(40))\" is not valid base64.")
        }
        return decoded
    }

    /// An enum field: the string must be one of `E`'s raw values.
    package mutating func enumValue<E: RawRepresentable>(_ name: String, _: E.Type) throws(GoogleError) -> E? where E.RawValue == String {
        guard let value = take(name) else { return nil }
        guard case .string(let s) = value else { throw typeError(name, "an enum string", value) }
        guard let e = E(rawValue: s) else {
            throw GoogleError.invalid("Invalid value at '\(path).\(name)' (type.googleapis.com/\(E.self)), \"\(s)\"")
        }
        return e
    }

    /// An object field opened as a nested reader.
    package mutating func object(_ name: String) throws(GoogleError) -> FieldReader? {
        guard let value = take(name) else { return nil }
        return try FieldReader(value, at: "\(path).\(name)", strict: strict)
    }

    /// An array field.
    package mutating func array(_ name: String) throws(GoogleError) -> [JSONValue]? {
        guard let value = take(name) else { return nil }
        guard case .array(let a) = value else { throw typeError(name, "a list", value) }
        return a
    }

    /// The path of a child field, for nested error messages.
    package func path(of name: String) -> String { "\(path).\(name)" }

    /// Throws for leftover fields when strict; does nothing in tolerant mode.
    package func finish() throws(GoogleError) {
        guard strict, let leftover = fields.values.map(\.original).sorted().first else { return }
        throw GoogleError.invalid("Invalid JSON payload received. Unknown name \"\(leftover)\" at '\(path)': Cannot find field.")
    }

    private func typeError(_ name: String, _ expected: String, _ got: JSONValue) -> GoogleError {
        GoogleError.invalid("Invalid value at '\(path).\(name)': expected \(expected), got \(got.kindName).")
    }
}
