package import SandboxAPI

/// Keeps secrets out of cassettes: credentials in headers, query parameters and JSON fields are
/// replaced by ``placeholder``, and every value learned that way is also removed wherever else it
/// shows up (code, output, files, paths).
///
/// Only headers on a fixed list are kept at all, so an unknown header cannot carry a secret in.
package struct Redactor: Sendable {
    /// What a removed secret reads as.
    package static let placeholder = "<redacted>"
    /// Shorter values are redacted where they stand (a header, a field) but not searched for
    /// elsewhere: a four-letter token would otherwise blank out ordinary words.
    package static let minimumSearchedLength = 8

    /// Headers kept with their values.
    static let keptHeaders: Set<String> = [
        "content-type", "accept", "user-agent", "x-goog-api-client", "x-goog-user-project", "x-server-timeout",
        "x-goog-request-params", "retry-after", "location"
    ]
    /// Headers kept as present, their values replaced by the placeholder.
    static let credentialHeaders: Set<String> = [
        "authorization", "proxy-authorization", "x-goog-api-key", "cookie", "set-cookie", "x-goog-iam-authorization-token",
        "x-sandbox-routing-token"
    ]
    /// Parts of field and parameter names (lowercased, without `_`, `-` and `.`) that mark a secret.
    static let secretNameParts = [
        "token", "secret", "password", "passwd", "apikey", "privatekey", "authorization",
        "credential", "cookie", "signature", "assertion"
    ]
    /// Names that contain a secret part but are not secrets.
    static let harmlessNames: Set<String> = ["pagetoken", "nextpagetoken", "maxtokens", "maxoutputtokens", "tokencount"]

    /// Secrets learned so far, longest first so a secret containing another is removed whole.
    package private(set) var secrets: [String] = []

    package init() {}

    /// Remembers `value` as a secret to remove everywhere (ignored when too short to search for).
    package mutating func learn(_ value: String) {
        let value = value.trimmingSpaces
        guard value.utf8.count >= Self.minimumSearchedLength, value != Self.placeholder, !secrets.contains(value) else { return }
        secrets.append(value)
        secrets.sort { $0.utf8.count > $1.utf8.count }
    }

    /// Learns the credentials in `headers`: bearer tokens, API keys and cookie values.
    package mutating func learn(headers: [(name: String, value: String)]) {
        for header in headers {
            let name = header.name.lowercased()
            guard Self.credentialHeaders.contains(name) || Self.isSecretName(name) else { continue }
            learn(header.value)
            if let space = header.value.firstIndex(of: " ") { learn(String(header.value[space...])) } // `Bearer <token>`
            if name == "cookie" || name == "set-cookie" {
                for part in header.value.split(separator: ";") {
                    if let equals = part.firstIndex(of: "=") { learn(String(part[part.index(after: equals)...])) }
                }
            }
        }
    }

    /// Whether a header, parameter or field called `name` holds a secret.
    package static func isSecretName(_ name: String) -> Bool {
        let key = String(name.lowercased().filter { $0 != "_" && $0 != "-" && $0 != "." })
        guard !harmlessNames.contains(key) else { return false }
        return secretNameParts.contains { key.contains($0) }
    }

    /// The headers a cassette keeps: the fixed list with values, credentials as the placeholder.
    package func keptHeaders(_ headers: [(name: String, value: String)]) -> [Field] {
        var kept: [Field] = []
        for header in headers {
            let name = header.name.lowercased()
            if Self.credentialHeaders.contains(name) {
                kept.append(Field(name, Self.placeholder))
            } else if Self.keptHeaders.contains(name) {
                kept.append(Field(name, scrub(header.value).text))
            }
        }
        return kept
    }

    /// `text` with every learned secret replaced, and whether anything was.
    package func scrub(_ text: String) -> (text: String, changed: Bool) {
        guard !secrets.isEmpty, !text.isEmpty else { return (text, false) }
        var result = text
        var changed = false
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: Self.placeholder)
            changed = true
        }
        return (result, changed)
    }

    /// `bytes` with every learned secret's UTF-8 replaced, and whether anything was.
    package func scrub(bytes: [UInt8]) -> (bytes: [UInt8], changed: Bool) {
        guard !secrets.isEmpty, !bytes.isEmpty else { return (bytes, false) }
        var result = bytes
        var changed = false
        for secret in secrets {
            let needle = Array(secret.utf8)
            guard result.count >= needle.count, result.firstRange(of: needle) != nil else { continue }
            result = Array(result.replacing(needle, with: Array(Self.placeholder.utf8)))
            changed = true
        }
        return (result, changed)
    }

    /// Learns the values of secret-named fields anywhere in `value`.
    package mutating func learn(json value: JSONValue) {
        switch value {
        case .object(let object):
            for (key, member) in object {
                if Self.isSecretName(key), case .string(let secret) = member { learn(secret) } else { learn(json: member) }
            }
        case .array(let items):
            for item in items { learn(json: item) }
        default:
            break
        }
    }

    /// `value` with secret-named fields replaced by the placeholder and learned secrets removed from every string.
    package func scrub(json value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, member) in object {
                result[key] = Self.isSecretName(key) && member != .null ? .string(Self.placeholder) : scrub(json: member)
            }
            return .object(result)
        case .array(let items):
            return .array(items.map { scrub(json: $0) })
        case .string(let text):
            return .string(scrub(text).text)
        default:
            return value
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
