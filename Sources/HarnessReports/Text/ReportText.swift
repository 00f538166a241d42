/// Makes untrusted text (sandbox output, names, messages) safe to put in a report.
///
/// Sandboxes print whatever they like; one ANSI colour code in a JUnit body makes CI reject the
/// whole file (XML 1.0 forbids ESC even as `&#27;`), and in a terminal it repaints the screen.
enum ReportText {
    /// The largest body (failure text, system-out) a report carries, in UTF-8 bytes, note included.
    static let maxBodyBytes = 64 * 1024
    /// The largest attribute value (messages, names), in UTF-8 bytes, note included.
    static let maxAttributeBytes = 4 * 1024

    /// `text` without terminal escape sequences or characters XML 1.0 cannot carry.
    ///
    /// ANSI/ECMA-48 escape sequences are removed; other C0/C1 controls except tab, newline and
    /// carriage return become visible `\u{XX}` text; U+FFFE and U+FFFF (outside the XML `Char`
    /// production) are dropped. Swift strings hold no surrogates, so nothing else is out of range.
    static func sanitized(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c.value {
            case 0x1B:
                i = indexAfterEscape(scalars, escapeAt: i)
                continue
            case 0x9B: // C1 form of ESC [
                i = indexAfterControlSequence(scalars, from: i + 1)
                continue
            case 0x09, 0x0A, 0x0D:
                out.append(c)
            case 0x00..<0x20, 0x7F...0x9F:
                out.append(contentsOf: visible(c).unicodeScalars)
            case 0xFFFE, 0xFFFF:
                break
            default:
                out.append(c)
            }
            i += 1
        }
        return String(out)
    }

    /// `text` cut to at most `maxBytes` UTF-8 bytes (at a character boundary), with a note saying how much was cut.
    static func capped(_ text: String, maxBytes: Int) -> String {
        let total = text.utf8.count
        guard total > maxBytes else { return text }
        let note = "\n… [truncated: \(total) bytes, showing the first "
        var kept = 0
        let budget = max(0, maxBytes - note.utf8.count - 24)
        var end = text.startIndex
        for index in text.indices {
            let size = text[index].utf8.count
            if kept + size > budget { break }
            kept += size
            end = text.index(after: index)
        }
        return String(text[..<end]) + note + "\(kept)]"
    }

    /// Sanitised and capped for an XML or console body.
    static func body(_ text: String) -> String { capped(sanitized(text), maxBytes: maxBodyBytes) }

    /// Sanitised and capped for an attribute such as a name or a message.
    static func attribute(_ text: String) -> String { capped(sanitized(text), maxBytes: maxAttributeBytes) }

    /// A control character as visible text, e.g. `\u{0B}`.
    static func visible(_ c: Unicode.Scalar) -> String {
        let digits = Array("0123456789ABCDEF")
        let v = Int(c.value)
        return "\\u{\(digits[(v >> 4) & 0xF])\(digits[v & 0xF])}"
    }

    /// `text` with every line after the first indented by `indent` spaces.
    static func indentingContinuationLines(_ text: String, by indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset == 0 ? String($0.element) : pad + $0.element }
            .joined(separator: "\n")
    }

    // MARK: - Escape sequences (ECMA-48)

    /// Where text resumes after the escape sequence that starts with the ESC at `start`.
    private static func indexAfterEscape(_ s: [Unicode.Scalar], escapeAt start: Int) -> Int {
        let next = start + 1
        guard next < s.count else { return next }
        switch s[next].value {
        case 0x5B: // ESC [ — control sequence
            return indexAfterControlSequence(s, from: next + 1)
        case 0x5D, 0x50, 0x58, 0x5E, 0x5F: // ESC ] OSC, ESC P DCS, ESC X SOS, ESC ^ PM, ESC _ APC
            return indexAfterControlString(s, from: next + 1, allowBell: s[next].value == 0x5D) ?? next + 1
        case 0x20...0x2F: // intermediates, then a final byte
            var j = next
            while j < s.count, (0x20...0x2F).contains(s[j].value) { j += 1 }
            if j < s.count, (0x30...0x7E).contains(s[j].value) { return j + 1 }
            return j
        case 0x30...0x7E: // two-character sequence such as ESC c or ESC 7
            return next + 1
        default: // a lone ESC: drop only it
            return next
        }
    }

    /// Skips parameter bytes, intermediate bytes and the final byte of a control sequence.
    private static func indexAfterControlSequence(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var j = start
        while j < s.count, (0x30...0x3F).contains(s[j].value) { j += 1 }
        while j < s.count, (0x20...0x2F).contains(s[j].value) { j += 1 }
        if j < s.count, (0x40...0x7E).contains(s[j].value) { return j + 1 }
        return j // malformed: whatever follows is kept (and sanitised) as text
    }

    /// The index after the string terminator (ESC \, U+009C or, for OSC, BEL); nil when unterminated.
    private static func indexAfterControlString(_ s: [Unicode.Scalar], from start: Int, allowBell: Bool) -> Int? {
        var j = start
        while j < s.count {
            switch s[j].value {
            case 0x07 where allowBell, 0x9C: return j + 1
            case 0x1B where j + 1 < s.count && s[j + 1] == "\\": return j + 2
            default: j += 1
            }
        }
        return nil
    }
}
