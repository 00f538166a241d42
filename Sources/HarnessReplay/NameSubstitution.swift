/// Replaces whole resource names in text: `…/sandboxEnvironments/12` is replaced in
/// `…/sandboxEnvironments/12:execute` and `"…/12"`, never inside `…/sandboxEnvironments/123`.
enum NameSubstitution {
    /// `text` with each key of `replacements` that stands as a whole name replaced by its value
    /// (longer names first, so a sandbox wins over the engine it lives under).
    static func apply(_ replacements: [String: String], to text: String) -> String {
        guard !replacements.isEmpty else { return text }
        let keys = replacements.sorted { $0.key.utf8.count > $1.key.utf8.count }
            .filter { !$0.key.isEmpty }
            .map { (Array($0.key.utf8), Array($0.value.utf8)) }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        scan: while i < bytes.count {
            for (key, value) in keys where isWhole(key, in: bytes, at: i) {
                out += value
                i += key.count
                continue scan
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `name` stands as a whole name somewhere in `text`.
    static func occurs(_ name: String, in text: String) -> Bool {
        let key = Array(name.utf8)
        let bytes = Array(text.utf8)
        guard !key.isEmpty, key.count <= bytes.count else { return false }
        return (0...(bytes.count - key.count)).contains { isWhole(key, in: bytes, at: $0) }
    }

    static func isWhole(_ key: [UInt8], in bytes: [UInt8], at i: Int) -> Bool {
        guard i + key.count <= bytes.count, bytes[i] == key[0], bytes[i..<(i + key.count)].elementsEqual(key) else { return false }
        if i > 0, isNameByte(bytes[i - 1]) { return false }
        return i + key.count == bytes.count || !isNameByte(bytes[i + key.count])
    }

    /// Bytes that continue a resource ID.
    static func isNameByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
