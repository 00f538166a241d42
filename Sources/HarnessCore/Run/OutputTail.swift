/// The last lines of a failed step's stdout and stderr, so reports show the cause (a traceback)
/// next to the mismatch.
public struct OutputTail: Sendable, Hashable {
    /// Lines kept from the end of each stream.
    public static let maxLines = 20
    /// Bytes kept from the end of each stream (UTF-8, cut at a character boundary).
    public static let maxBytes = 4096

    /// The end of stdout ("" when the step printed nothing).
    public var stdout: String
    /// The end of stderr ("" when the step printed nothing).
    public var stderr: String
    /// Whether stdout or stderr was longer than what is kept.
    public var truncated: Bool

    /// The tails of `stdout` and `stderr`, or nil when both are missing or empty.
    public init?(stdout: String?, stderr: String?) {
        let out = Self.tail(stdout ?? "")
        let err = Self.tail(stderr ?? "")
        guard !out.text.isEmpty || !err.text.isEmpty else { return nil }
        self.stdout = out.text
        self.stderr = err.text
        truncated = out.cut || err.cut
    }

    /// The last ``maxLines`` lines of `text`, then at most its last ``maxBytes`` bytes.
    static func tail(_ text: String) -> (text: String, cut: Bool) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() } // the final newline ends a line, it does not start one
        var cut = lines.count > maxLines
        var kept = lines.suffix(maxLines).joined(separator: "\n")
        if kept.utf8.count > maxBytes {
            cut = true
            let bytes = Array(kept.utf8.suffix(maxBytes)).drop { $0 & 0xC0 == 0x80 } // start at a whole character
            kept = String(decoding: bytes, as: UTF8.self)
        }
        return (kept, cut)
    }
}
