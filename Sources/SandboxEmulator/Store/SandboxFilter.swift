import SandboxAPI

/// The AIP-160 subset sandboxes can be listed by: `field = value` / `field != value` terms joined by
/// `AND`, over `state` and `display_name` (either spelling), values quoted or bare.
struct SandboxFilter {
    struct Term {
        var field: String
        var negated: Bool
        var value: String
    }

    var terms: [Term] = []

    init(_ text: String) throws(GoogleError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        for clause in Self.splitAnd(trimmed) {
            let (field, negated, raw) = try Self.parseTerm(clause)
            let canonical = FieldName.camel(field)
            guard canonical == "state" || canonical == "displayName" else {
                throw GoogleError(.invalidArgument, "Unsupported filter field \"\(field)\": filter by state or display_name.")
            }
            var value = raw.trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
            if canonical == "state", SandboxState(rawValue: value) == nil {
                throw GoogleError(.invalidArgument, "Invalid filter value \"\(value)\" for state.")
            }
            terms.append(Term(field: canonical, negated: negated, value: value))
        }
    }

    func matches(_ sandbox: SandboxEnvironment) -> Bool {
        terms.allSatisfy { term in
            let actual = term.field == "state" ? sandbox.state.rawValue : (sandbox.displayName ?? "")
            return (actual == term.value) != term.negated
        }
    }

    static func splitAnd(_ text: String) -> [String] {
        var clauses: [String] = []
        var current = ""
        var inQuotes = false
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        for word in words {
            let quoteCount = word.filter { $0 == "\"" }.count
            if !inQuotes, word == "AND" {
                clauses.append(current)
                current = ""
                continue
            }
            current += current.isEmpty ? String(word) : " " + word
            if quoteCount % 2 == 1 { inQuotes.toggle() }
        }
        clauses.append(current)
        return clauses.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func parseTerm(_ clause: String) throws(GoogleError) -> (String, Bool, String) {
        for (op, negated) in [("!=", true), ("=", false), (":", false)] {
            if let range = clause.range(of: op) {
                let field = clause[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                guard !field.isEmpty else { break }
                return (field, negated, String(clause[range.upperBound...]))
            }
        }
        throw GoogleError(.invalidArgument, "Invalid filter \"\(clause)\": expected field = \"value\".")
    }
}
