import SandboxAPI

/// A place in a compared response, written as `outputs[0].msg_err`, `sandboxEnvironments[2].expireTime`,
/// `metadata["@type"]` or `@status`; as a pattern (in a gaps file) it may hold `[*]` (any index), `*`
/// (any key) and `**` (any number of levels).
///
/// ```swift
/// let gap = try ParityPath(parsing: "outputs[*].msg_err")
/// gap.covers(try ParityPath(parsing: "outputs[0].msg_err"))   // true
/// ```
package struct ParityPath: Sendable, Hashable, CustomStringConvertible {
    /// One step down a JSON document.
    package enum Segment: Sendable, Hashable {
        /// An object member.
        case key(String)
        /// An array element.
        case index(Int)
        /// Any object member (`*`, patterns only).
        case anyKey
        /// Any array element (`[*]`, patterns only).
        case anyIndex
        /// Any number of levels, none included (`**`, patterns only).
        case anyDepth
    }

    package var segments: [Segment]

    /// The document root (matches only the whole document).
    package static let root = ParityPath(segments: [])

    /// Longest path text accepted.
    package static let maxLength = 1024

    package init(segments: [Segment]) {
        self.segments = segments
    }

    /// Why path text could not be read.
    package struct SyntaxError: Error, Sendable, CustomStringConvertible {
        /// What was wrong, with the character offset.
        package var message: String
        package var description: String { message }
    }

    /// Reads `text`: keys joined by `.`, `[N]` and `[*]` for elements, `["any key"]` for keys that are
    /// not plain names, an optional leading `$` or `$.`.
    /// - Throws: ``SyntaxError`` naming the offset of the first problem.
    package init(parsing text: String) throws(SyntaxError) {
        guard text.utf8.count <= Self.maxLength else {
            throw SyntaxError(message: "a path may be at most \(Self.maxLength) bytes long")
        }
        let chars = Array(text.unicodeScalars)
        var i = 0
        var segments: [Segment] = []
        func fail(_ message: String) -> SyntaxError { SyntaxError(message: "\(message) at character \(i + 1) of \"\(text)\"") }
        if i < chars.count, chars[i] == "$" {
            i += 1
            if i < chars.count, chars[i] == "." { i += 1 }
        }
        var expectKey = true
        while i < chars.count {
            let c = chars[i]
            if c == "[" {
                i += 1
                if i < chars.count, chars[i] == "*" {
                    i += 1
                    segments.append(.anyIndex)
                } else if i < chars.count, chars[i] == "\"" {
                    i += 1
                    var key = String.UnicodeScalarView()
                    var closed = false
                    while i < chars.count {
                        if chars[i] == "\\", i + 1 < chars.count {
                            key.append(chars[i + 1])
                            i += 2
                            continue
                        }
                        if chars[i] == "\"" {
                            closed = true
                            i += 1
                            break
                        }
                        key.append(chars[i])
                        i += 1
                    }
                    guard closed else { throw fail("unterminated quoted key") }
                    segments.append(.key(String(key)))
                } else {
                    var digits = ""
                    while i < chars.count, ("0"..."9").contains(chars[i]) {
                        digits.unicodeScalars.append(chars[i])
                        i += 1
                    }
                    guard !digits.isEmpty, digits.count <= 9, let index = Int(digits) else {
                        throw fail("expected an index (0–999999999), * or a quoted key after [")
                    }
                    segments.append(.index(index))
                }
                guard i < chars.count, chars[i] == "]" else { throw fail("expected ]") }
                i += 1
                expectKey = false
                continue
            }
            if c == "." {
                guard !expectKey else { throw fail("expected a key") }
                i += 1
                expectKey = true
                guard i < chars.count else { throw fail("expected a key after .") }
                continue
            }
            guard expectKey else { throw fail("expected . or [") }
            var name = String.UnicodeScalarView()
            while i < chars.count, Self.isNameCharacter(chars[i]) || chars[i] == "*" {
                name.append(chars[i])
                i += 1
            }
            let key = String(name)
            switch key {
            case "": throw fail("unexpected character \"\(c)\"")
            case "*": segments.append(.anyKey)
            case "**":
                // `**.**` means no more than `**`; keeping one keeps matching cheap.
                if segments.last != .anyDepth { segments.append(.anyDepth) }
            default:
                guard !key.contains("*") else { throw fail("* stands for a whole key; write [\"…\"] for a key containing *") }
                segments.append(.key(key))
            }
            expectKey = false
        }
        if expectKey, !segments.isEmpty { throw fail("expected a key") }
        self.segments = segments
    }

    static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-", "@": true
        default: false
        }
    }

    /// This path with `segment` appended.
    package func appending(_ segment: Segment) -> ParityPath {
        ParityPath(segments: segments + [segment])
    }

    /// Whether the path holds wildcards.
    package var isPattern: Bool {
        segments.contains { segment in
            switch segment {
            case .key, .index: false
            case .anyKey, .anyIndex, .anyDepth: true
            }
        }
    }

    package var description: String {
        var out = ""
        for segment in segments {
            switch segment {
            case .key(let key):
                if !key.isEmpty, key.unicodeScalars.allSatisfy(Self.isNameCharacter) {
                    if !out.isEmpty { out += "." }
                    out += key
                } else {
                    out += "[" + JSONValue.string(key).jsonString + "]"
                }
            case .index(let index): out += "[\(index)]"
            case .anyKey: out += out.isEmpty ? "*" : ".*"
            case .anyIndex: out += "[*]"
            case .anyDepth: out += out.isEmpty ? "**" : ".**"
            }
        }
        return out.isEmpty ? "$" : out
    }

    /// Whether this pattern matches `path` or one of its ancestors: a gap on `outputs[0]` covers
    /// `outputs[0].msg_err`.
    package func covers(_ path: ParityPath) -> Bool {
        Self.matchesPrefix(ArraySlice(segments), ArraySlice(path.segments))
    }

    /// Whether this pattern matches `path` exactly (no descendants).
    package func matches(_ path: ParityPath) -> Bool {
        Self.matches(ArraySlice(segments), ArraySlice(path.segments), prefix: false)
    }

    private static func matchesPrefix(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<Segment>) -> Bool {
        matches(pattern, path, prefix: true)
    }

    /// Glob matching over segments; `**` tries every split, so at most (pattern × path) states are visited.
    private static func matches(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<Segment>, prefix: Bool) -> Bool {
        var memo: Set<Int> = []
        let width = path.count + 1
        func go(_ p: Int, _ q: Int) -> Bool {
            if p == pattern.endIndex { return prefix || q == path.endIndex }
            let key = (p - pattern.startIndex) * width + (q - path.startIndex)
            if memo.contains(key) { return false }
            defer { memo.insert(key) }
            if case .anyDepth = pattern[p] {
                var next = q
                while true {
                    if go(p + 1, next) { return true }
                    if next == path.endIndex { return false }
                    next += 1
                }
            }
            guard q < path.endIndex else { return false }
            let fits: Bool =
                switch (pattern[p], path[q]) {
                case (.anyKey, .key), (.anyIndex, .index): true
                case (.key(let a), .key(let b)): a == b
                case (.index(let a), .index(let b)): a == b
                default: false
                }
            return fits && go(p + 1, q + 1)
        }
        return go(pattern.startIndex, path.startIndex)
    }
}

/// A shell-style pattern for names: `*` any run of characters, `?` one character, anything else itself.
package struct NameGlob: Sendable, Hashable, CustomStringConvertible {
    package var pattern: String

    package init(_ pattern: String) {
        self.pattern = pattern
    }

    package var description: String { pattern }

    /// Whether `name` matches the whole pattern.
    package func matches(_ name: String) -> Bool {
        let p = Array(pattern)
        let s = Array(name)
        var pi = 0
        var si = 0
        var star = -1
        var mark = 0
        while si < s.count {
            if pi < p.count, p[pi] == "?" || p[pi] == s[si] {
                pi += 1
                si += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = si
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
