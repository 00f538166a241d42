package import HarnessCore
import SandboxAPI

/// A normaliser added by a gaps file: every match of `pattern` in a string (at `paths`, or
/// anywhere) becomes `replacement`, or with `numbered` a placeholder counted per distinct value.
package struct TextRule: Sendable, Hashable {
    /// A regular expression (Swift `Regex` syntax).
    package var pattern: String
    /// The text put in place of each match; with ``numbered``, the label of `<label:N>`.
    package var replacement: String
    /// Reference numbering: the same matched text gets the same `<label:N>` across a scenario's steps.
    package var numbered: Bool
    /// Where it applies (patterns as in gaps); empty: every string.
    package var paths: [ParityPath]
    /// Where the rule was written, for messages.
    package var location: SourceLocation?

    package init(pattern: String, replacement: String, numbered: Bool = false, paths: [ParityPath] = [], location: SourceLocation? = nil) {
        self.pattern = pattern
        self.replacement = replacement
        self.numbered = numbered
        self.paths = paths
        self.location = location
    }

    /// The label of a numbered placeholder: the replacement without its angle brackets.
    var label: String {
        var text = Substring(replacement)
        if text.hasPrefix("<") { text = text.dropFirst() }
        if text.hasSuffix(">") { text = text.dropLast() }
        return String(text)
    }
}

/// Makes two runs' responses comparable: erases what legitimately differs between runs (resource
/// IDs, timestamps, durations, temporary paths, PIDs, host names, addresses, the order of unordered
/// lists, the wording of error messages) and keeps what must not (identity, shape, values).
///
/// Resource IDs get **reference numbering**: the first engine seen in a scenario is `<engine:1>`
/// wherever it appears afterwards, the second `<engine:2>`, and so on per kind, so "the sandbox
/// `get` returns is the one `create` made" is still compared. The rules are in `docs/parity.md`.
///
/// ```swift
/// let normalised = Normaliser(gaps: gaps).normalise(ScenarioRecord(result))
/// ```
package struct Normaliser: Sendable {
    /// Extra rules from the gaps file, applied after the built-in text rules.
    package var rules: [TextRule]
    /// Arrays whose order does not matter (besides ``builtInUnordered``).
    package var unordered: [ParityPath]
    /// Labels of the runs compared (the display-name prefix each side gives its sandboxes), replaced by `<run>`.
    package var runLabels: [String] = []

    /// Lists the API returns in no promised order.
    package static let builtInUnordered: [ParityPath] = [
        ParityPath(segments: [.key("sandboxEnvironments")]),
        ParityPath(segments: [.key("reasoningEngines")]),
        ParityPath(segments: [.key("operations")])
    ]

    /// Raw IDs shorter than this are replaced only inside full resource names, never on their own
    /// (a bare `1` would hit every number).
    static let minimumBareIDLength = 6

    /// Longest error-message class.
    static let maxMessageClassLength = 200

    package init(rules: [TextRule] = [], unordered: [ParityPath] = []) {
        self.rules = rules
        self.unordered = unordered
    }

    /// The built-in normalisers plus those of `gaps`.
    package init(gaps: ParityGaps) {
        self.init(rules: gaps.rules, unordered: gaps.unordered)
    }

    /// `record` with every step's response normalised; numbering runs across the steps in order.
    package func normalise(_ record: ScenarioRecord) -> ScenarioRecord {
        var numbering = Numbering()
        var result = record
        let compiled = rules.map { rule in (rule, try? Regex(rule.pattern)) }
        for index in result.steps.indices {
            guard let response = result.steps[index].response else { continue }
            result.steps[index].response = normalise(response, numbering: &numbering, rules: compiled)
        }
        return result
    }

    /// One response through every pass.
    func normalise(_ response: JSONValue, numbering: inout Numbering, rules: [(TextRule, Regex<AnyRegexOutput>?)]) -> JSONValue {
        let plain = rules.filter { !$0.0.numbered }
        let numberedRules = rules.filter { $0.0.numbered }
        // 1. Text that differs from run to run whatever the identity of things.
        let labels = runLabels.filter { !$0.isEmpty }
        let text = TextNormalisers()
        var value = Self.mapStrings(response, at: .root) { string, path in
            var out = text.normalise(string)
            for label in labels where out.contains(label) { out = out.replacing(label, with: "<run>") }
            for (rule, regex) in plain where rule.paths.isEmpty || rule.paths.contains(where: { $0.covers(path) }) {
                guard let regex else { continue }
                out = out.replacing(regex, with: rule.replacement)
            }
            return out
        }
        // 2. Unordered lists, sorted by what their items look like once known IDs are numbered and
        //    unknown ones masked, so that new items are numbered in the same order on both sides.
        let unorderedPaths = Self.builtInUnordered + unordered
        let names = ResourceNames()
        value = sortUnordered(value, at: .root, paths: unorderedPaths, numbering: numbering, rules: numberedRules, names: names)
        // 3. Reference numbering, in document order (object keys sorted).
        value = number(value, at: .root, numbering: &numbering, rules: numberedRules, names: names)
        // 4. Error messages are compared by their class.
        if case .object(var members) = value, case .object(var error)? = members["error"], case .string(let message)? = error["message"] {
            error["message"] = .string(Self.messageClass(message))
            members["error"] = .object(error)
            value = .object(members)
        }
        return value
    }

    // MARK: Passes

    static func mapStrings(_ value: JSONValue, at path: ParityPath, _ transform: (String, ParityPath) -> String) -> JSONValue {
        switch value {
        case .string(let text): return .string(transform(text, path))
        case .array(let items):
            return .array(items.enumerated().map { mapStrings($0.element, at: path.appending(.index($0.offset)), transform) })
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (key, member) in members { out[key] = mapStrings(member, at: path.appending(.key(key)), transform) }
            return .object(out)
        default: return value
        }
    }

    private func sortUnordered(
        _ value: JSONValue, at path: ParityPath, paths: [ParityPath], numbering: Numbering,
        rules: [(TextRule, Regex<AnyRegexOutput>?)], names: ResourceNames
    ) -> JSONValue {
        switch value {
        case .array(let items):
            var children = items.enumerated().map {
                sortUnordered(
                    $0.element, at: path.appending(.index($0.offset)), paths: paths,
                    numbering: numbering, rules: rules, names: names)
            }
            if paths.contains(where: { $0.matches(path) }) {
                let keyed = children.map { child -> (String, JSONValue) in
                    var preview = numbering
                    let masked = number(child, at: path, numbering: &preview, rules: rules, names: names, masking: true)
                    return (masked.jsonString, child)
                }
                children = keyed.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
            }
            return .array(children)
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (key, member) in members {
                out[key] = sortUnordered(
                    member, at: path.appending(.key(key)), paths: paths, numbering: numbering, rules: rules,
                    names: names)
            }
            return .object(out)
        default:
            return value
        }
    }

    /// Replaces resource names and numbered-rule matches by placeholders, assigning numbers in
    /// document order; with `masking`, unknown values become an unnumbered `<kind>` instead.
    private func number(
        _ value: JSONValue, at path: ParityPath, numbering: inout Numbering,
        rules: [(TextRule, Regex<AnyRegexOutput>?)], names: ResourceNames, masking: Bool = false
    ) -> JSONValue {
        switch value {
        case .string(let text):
            var out = names.replace(in: text, numbering: &numbering, masking: masking)
            for (rule, regex) in rules where rule.paths.isEmpty || rule.paths.contains(where: { $0.covers(path) }) {
                guard let regex else { continue }
                out = Self.replaceNumbered(out, regex, label: rule.label, numbering: &numbering, masking: masking)
            }
            return .string(numbering.replacingBareIDs(in: out, minimumLength: Self.minimumBareIDLength))
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                out.append(
                    number(
                        item, at: path.appending(.index(offset)), numbering: &numbering, rules: rules, names: names,
                        masking: masking))
            }
            return .array(out)
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for key in members.keys.sorted() {
                guard let member = members[key] else { continue }
                out[key] = number(
                    member, at: path.appending(.key(key)), numbering: &numbering, rules: rules, names: names,
                    masking: masking)
            }
            return .object(out)
        default:
            return value
        }
    }

    private static func replaceNumbered(
        _ text: String, _ regex: Regex<AnyRegexOutput>, label: String, numbering: inout Numbering,
        masking: Bool
    ) -> String {
        var out = ""
        var last = text.startIndex
        for match in text.matches(of: regex) where !match.range.isEmpty {
            out += text[last..<match.range.lowerBound]
            out += numbering.placeholder(kind: label, value: String(text[match.range]), masking: masking)
            last = match.range.upperBound
        }
        return last == text.startIndex ? text : out + text[last...]
    }

    /// What kind of message an error message is: values (quoted text, and words holding a digit, a
    /// placeholder or a `/`) become `…`, the rest is lower-cased, spaces collapse, a final full stop
    /// goes, at most 200 characters. `SandboxEnvironment <sandbox:1> not found.` and
    /// `SandboxEnvironment projects/p/…/12 not found` are one class.
    package static func messageClass(_ message: String) -> String {
        let value: Character = "\u{1}"
        // Quoted spans first: they may hold spaces. An apostrophe inside a word (`can't`) quotes nothing.
        var unquoted = ""
        var rest = Substring(message.prefix(4096))
        var previous: Character = " "
        while let c = rest.first {
            if c == "\"" || c == "`" || (c == "'" && !previous.isLetter), let end = rest.dropFirst().firstIndex(of: c) {
                unquoted.append(value)
                rest = rest[rest.index(after: end)...]
                previous = c
                continue
            }
            unquoted.append(c)
            previous = c
            rest = rest.dropFirst()
        }
        var words: [String] = []
        for token in unquoted.split(whereSeparator: \.isWhitespace) {
            let lead = token.prefix { "([{".contains($0) }
            let trail = String(token.dropFirst(lead.count).reversed().prefix { ".,;:!?)]}".contains($0) }.reversed())
            let core = token.dropFirst(lead.count).dropLast(trail.count)
            let isValue = core.contains { $0 == value || $0.isNumber || $0 == "<" || $0 == "/" }
            let word = isValue ? "…" : core.lowercased()
            if isValue, lead.isEmpty, let last = words.last, last == "…" {
                words[words.count - 1] = "…" + trail
                continue
            }
            words.append(lead + word + trail)
        }
        var out = words.joined(separator: " ")
        while out.hasSuffix(".") { out.removeLast() }
        return String(out.prefix(maxMessageClassLength))
    }
}

/// Reference numbering of one scenario: raw value → number, per kind, in order of first sight.
struct Numbering: Sendable {
    private var numbers: [String: [String: Int]] = [:]
    /// Every numbered raw value with its placeholder, longest first (for bare replacement).
    private var known: [(raw: String, placeholder: String)] = []

    /// The placeholder of `value`: `<kind:N>`, numbering it if new; with `masking`, an unknown value
    /// is `<kind>` and is not numbered.
    /// - Parameter bare: also replace the value where it stands on its own in later text (IDs, not
    ///   projects or locations, whose names are ordinary words).
    mutating func placeholder(kind: String, value: String, masking: Bool = false, bare: Bool = false) -> String {
        if let n = numbers[kind]?[value] { return "<\(kind):\(n)>" }
        if masking { return "<\(kind)>" }
        let n = (numbers[kind]?.count ?? 0) + 1
        numbers[kind, default: [:]][value] = n
        let placeholder = "<\(kind):\(n)>"
        if bare {
            known.append((value, placeholder))
            known.sort { $0.raw.count > $1.raw.count }
        }
        return placeholder
    }

    /// `text` with every known raw value of at least `minimumLength` characters that stands on its
    /// own (not inside a longer run of letters, digits, `-` or `_`) replaced by its placeholder.
    func replacingBareIDs(in text: String, minimumLength: Int) -> String {
        var out = text
        for (raw, placeholder) in known where raw.count >= minimumLength && out.contains(raw) {
            out = Self.replaceWhole(raw, with: placeholder, in: out)
        }
        return out
    }

    private static func replaceWhole(_ raw: String, with placeholder: String, in text: String) -> String {
        func isIDCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "-" || c == "_" }
        var out = ""
        var last = text.startIndex
        for range in text.ranges(of: raw) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            guard !(before.map(isIDCharacter) ?? false), !(after.map(isIDCharacter) ?? false) else { continue }
            out += text[last..<range.lowerBound]
            out += placeholder
            last = range.upperBound
        }
        return last == text.startIndex ? text : out + text[last...]
    }
}
