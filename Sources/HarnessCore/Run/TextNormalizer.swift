/// Makes console output from two runs comparable: the parts that differ from run to run and from
/// server to server are replaced by placeholders, so output recorded against one target can be
/// asserted against another (`expect: {stdout: {normalized: …}}`, and `sandbench replay`).
///
/// One left-to-right pass over the text applies these rules (the first that matches at a position wins):
///
/// | rule | example | becomes |
/// |---|---|---|
/// | ANSI escape sequences | `ESC[31m` | removed |
/// | file names in Python traceback lines | `File "/tmp/x.py", line 3`, `File "<cell>", line 3` | `File "<file>", line 3` |
/// | temporary paths | `/tmp/ipykernel_41/2.py`, `/var/folders/…` | `<tmp>` |
/// | memory addresses | `0x7f3a2c1b9d60` | `0x<addr>` |
/// | process ids | `pid 4242`, `PID=7`, `pid: 12` | `pid <pid>`, `PID=<pid>`, `pid: <pid>` |
/// | timestamps | `2026-11-30T21:11:57.887Z`, `2026-11-30 21:11:57` | `<timestamp>` |
/// | host names | `hostname='sandbox-7f2c'`, `host: a.b` | `hostname='<host>'`, `host: <host>` |
///
/// ```swift
/// TextNormalizer.normalize("File \"/tmp/t.py\", line 3 at 2026-11-30T21:11:57Z")   // File "<file>", line 3 at <timestamp>
/// ```
package enum TextNormalizer {
    /// `text` with every volatile part replaced by its placeholder.
    package static func normalize(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if let (length, replacement) = match(bytes, at: i) {
                out += replacement
                i += max(1, length)
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The rule matching at `i`: how many bytes it covers and what replaces them.
    static func match(_ b: [UInt8], at i: Int) -> (Int, [UInt8])? {
        let previous: UInt8? = i > 0 ? b[i - 1] : nil
        switch b[i] {
        case 0x1B: return ansi(b, i)
        case UInt8(ascii: "F"): return tracebackFile(b, i)
        case UInt8(ascii: "/"): return previous.map(isPathByte) == true ? nil : temporaryPath(b, i)
        case UInt8(ascii: "0"):
            if previous.map(isWordByte) == true { return nil }
            return address(b, i) ?? timestamp(b, i)
        case UInt8(ascii: "p"), UInt8(ascii: "P"): return previous.map(isLetter) == true ? nil : pid(b, i)
        case UInt8(ascii: "h"), UInt8(ascii: "H"): return previous.map(isLetter) == true ? nil : host(b, i)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return previous.map(isDigit) == true ? nil : timestamp(b, i)
        default: return nil
        }
    }

    /// `ESC [ parameters final` (CSI), or ESC and one more byte.
    static func ansi(_ b: [UInt8], _ i: Int) -> (Int, [UInt8])? {
        guard i + 1 < b.count else { return (1, []) }
        guard b[i + 1] == UInt8(ascii: "[") else { return (2, []) }
        var j = i + 2
        while j < b.count, (0x20...0x3F).contains(b[j]) { j += 1 }
        return (j < b.count && (0x40...0x7E).contains(b[j]) ? j + 1 - i : j - i, [])
    }

    static let fileOpen = Array(#"File ""#.utf8), lineAfter = Array(#"", line "#.utf8), fileShown = Array(#"File "<file>""#.utf8)

    /// `File "NAME", line` with NAME on one line.
    static func tracebackFile(_ b: [UInt8], _ i: Int) -> (Int, [UInt8])? {
        guard has(b, i, fileOpen) else { return nil }
        var j = i + fileOpen.count
        while j < b.count, b[j] != UInt8(ascii: "\""), b[j] != UInt8(ascii: "\n") { j += 1 }
        guard has(b, j, lineAfter) else { return nil }
        return (j + 1 - i, fileShown)
    }

    static let temporaryRoots = ["/tmp/", "/var/tmp/", "/var/folders/", "/private/var/folders/", "/private/tmp/", "/dev/shm/"].map {
        Array($0.utf8)
    }

    /// A path under a temporary directory, up to the first byte that cannot be part of a path.
    static func temporaryPath(_ b: [UInt8], _ i: Int) -> (Int, [UInt8])? {
        guard let root = temporaryRoots.first(where: { has(b, i, $0) }) else { return nil }
        var j = i + root.count
        while j < b.count, isPathByte(b[j]) { j += 1 }
        return (j - i, Array("<tmp>".utf8))
    }

    /// `0x` and at least four hex digits.
    static func address(_ b: [UInt8], _ i: Int) -> (Int, [UInt8])? {
        guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "x") else { return nil }
        var j = i + 2
        while j < b.count, isHexDigit(b[j]) { j += 1 }
        guard j - i - 2 >= 4, j == b.count || !isWordByte(b[j]) else { return nil }
        return (j - i, Array("0x<addr>".utf8))
    }

    /// `pid` (any case), up to two of ` `, `=`, `:`, then digits: the digits become `<pid>`.
    static func pid(_ b: [UInt8], _ i: Int) -> (Int, [UInt8])? {
        guard i + 3 < b.count, lower(b[i + 1]) == UInt8(ascii: "i"), lower(b[i + 2]) == UInt8(ascii: "d") else { return nil }
        var j = i + 3
        while j < b.count, j - i < 5, [UInt8(ascii: " "), UInt8(ascii: "="), UInt8(ascii: ":")].contains(b[j]) { j += 1 }
        let digits = j
        while j < b.count, isDigit(b[j]) { j += 1 }
        guard j > digits, digits > i + 3, j == b.count || !isWordByte(b[j]) else { return nil }
        return (j - i, Array(b[i..<digits]) + Array("<pid>".utf8))
    }

    static let hostKeys = ["hostname", "host"].map { Array($0.utf8) }

    /// `host` or `hostname` (any case), `=` or `:` (spaces after), an optional quote, then a name.
    static func host(_ b: [UInt8], _ i: Int) -> (Int, [UInt8])? {
        guard let key = hostKeys.first(where: { key in key.indices.allSatisfy { i + $0 < b.count && lower(b[i + $0]) == key[$0] } }) else {
            return nil
        }
        var j = i + key.count
        guard j < b.count, b[j] == UInt8(ascii: "=") || b[j] == UInt8(ascii: ":") else { return nil }
        j += 1
        while j < b.count, b[j] == UInt8(ascii: " ") { j += 1 }
        var quote: UInt8?
        if j < b.count, b[j] == UInt8(ascii: "'") || b[j] == UInt8(ascii: "\"") {
            quote = b[j]
            j += 1
        }
        let start = j
        while j < b.count, isHostByte(b[j]) { j += 1 }
        guard j > start else { return nil }
        if let quote { guard j < b.count, b[j] == quote else { return nil } }
        return (j - i, Array(b[i..<start]) + Array("<host>".utf8))
    }

    /// `YYYY-MM-DD` then `T` or a space, `HH:MM:SS`, optional fraction, optional `Z` or offset.
    static func timestamp(_ b: [UInt8], _ i: Int) -> (Int, [UInt8])? {
        let shape = Array("dddd-dd-ddTdd:dd:dd".utf8)
        guard i + shape.count <= b.count else { return nil }
        for (k, want) in shape.enumerated() {
            let byte = b[i + k]
            switch want {
            case UInt8(ascii: "d"): guard isDigit(byte) else { return nil }
            case UInt8(ascii: "T"): guard byte == UInt8(ascii: "T") || byte == UInt8(ascii: " ") else { return nil }
            default: guard byte == want else { return nil }
            }
        }
        var j = i + shape.count
        if j + 1 < b.count, b[j] == UInt8(ascii: "."), isDigit(b[j + 1]) {
            j += 1
            while j < b.count, isDigit(b[j]) { j += 1 }
        }
        if j < b.count, b[j] == UInt8(ascii: "Z") {
            j += 1
        } else if j < b.count, b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-") {
            let colon = j + 3 < b.count && b[j + 3] == UInt8(ascii: ":")
            let end = j + (colon ? 6 : 5)
            if end <= b.count, (j + 1..<end).allSatisfy({ k in (colon && k == j + 3) || isDigit(b[k]) }) { j = end }
        }
        return (j - i, Array("<timestamp>".utf8))
    }

    // MARK: Bytes

    static func has(_ b: [UInt8], _ i: Int, _ prefix: [UInt8]) -> Bool {
        i >= 0 && i + prefix.count <= b.count && b[i..<(i + prefix.count)].elementsEqual(prefix)
    }

    static func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
    static func isLetter(_ c: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(lower(c)) }
    static func isWordByte(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) || c == UInt8(ascii: "_") }
    static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(lower(c)) }
    static func lower(_ c: UInt8) -> UInt8 { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) ? c + 32 : c }
    static func isHostByte(_ c: UInt8) -> Bool { isWordByte(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") }

    /// Bytes that continue a path: anything but white space, quotes and the punctuation that ends one in prose or tracebacks.
    static func isPathByte(_ c: UInt8) -> Bool {
        switch c {
        case 0...0x20, 0x7F, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: ":"), UInt8(ascii: ","),
            UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "<"),
            UInt8(ascii: ">"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            false
        default: true
        }
    }
}
