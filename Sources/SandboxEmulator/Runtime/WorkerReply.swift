import SandboxAPI

/// What a worker sent that breaks the worker protocol; the worker is killed and its sandbox terminated.
struct WorkerProtocolViolation: Error, Sendable, CustomStringConvertible {
    /// What was wrong, for `msg_err` and the log (never longer than a line).
    var reason: String
    var description: String { reason }
}

/// The worker's answer to one `exec` request, read field by field with checked conversions.
///
/// Every byte a worker writes is hostile: user code shares the worker's process and can find its
/// reply pipe, so a reply may be forged, truncated, mistyped or absurd. Decoding never traps; a
/// reply that is not exactly this shape is a ``WorkerProtocolViolation``.
struct WorkerReply: Sendable, Equatable {
    var id: Int
    var stdout: String
    var stderr: String
    var stdoutTruncated: Bool
    var stderrTruncated: Bool
    /// Bytes the code wrote to stdout in all (more than `stdout` holds when truncated).
    var stdoutBytes: Int
    var stderrBytes: Int
    var interrupted: Bool

    /// The largest byte count a worker may claim (1 PiB): beyond it the number is a lie.
    static let maxClaimedBytes = 1 << 50

    init(
        id: Int, stdout: String = "", stderr: String = "", stdoutTruncated: Bool = false, stderrTruncated: Bool = false,
        stdoutBytes: Int = 0, stderrBytes: Int = 0, interrupted: Bool = false
    ) {
        self.id = id
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutTruncated = stdoutTruncated
        self.stderrTruncated = stderrTruncated
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.interrupted = interrupted
    }

    /// Decodes a reply; `maxOutputBytes` bounds each output stream (UTF-8 bytes).
    init(json: JSONValue, maxOutputBytes: Int) throws(WorkerProtocolViolation) {
        guard case .object(let fields) = json else { throw WorkerProtocolViolation(reason: "a reply that is not a JSON object") }
        id = try Self.integer(fields["id"], "id", in: 0...Int(Int32.max))
        // The worker cuts raw bytes at the limit, then decodes them leniently: each invalid byte may become U+FFFD (3 bytes).
        let textLimit = min(max(0, maxOutputBytes), Int(Int32.max)) * 3 + 4096
        stdout = try Self.text(fields["stdout"], "stdout", limit: textLimit)
        stderr = try Self.text(fields["stderr"], "stderr", limit: textLimit)
        stdoutTruncated = try Self.flag(fields["stdout_truncated"], "stdout_truncated")
        stderrTruncated = try Self.flag(fields["stderr_truncated"], "stderr_truncated")
        stdoutBytes = try Self.integer(fields["stdout_bytes"], "stdout_bytes", in: 0...Self.maxClaimedBytes)
        stderrBytes = try Self.integer(fields["stderr_bytes"], "stderr_bytes", in: 0...Self.maxClaimedBytes)
        interrupted = try Self.flag(fields["interrupted"], "interrupted")
    }

    /// The reply id of any frame, when it has a valid one (used to route replies before decoding them).
    static func id(of json: JSONValue) -> Int? {
        guard case .number(let n)? = json["id"], let id = Int(exactly: n), (0...Int(Int32.max)).contains(id) else { return nil }
        return id
    }

    /// Largest frame a worker may send for `maxOutputBytes`: two streams, each at most six JSON bytes
    /// per byte (`\u0000` escapes), plus room for the other fields.
    static func maxFrameBytes(maxOutputBytes: Int) -> Int {
        min(Int(UInt32.max), min(max(0, maxOutputBytes), Int(Int32.max)) * 12 + (64 << 10))
    }

    private static func integer(_ value: JSONValue?, _ field: String, in range: ClosedRange<Int>) throws(WorkerProtocolViolation) -> Int {
        guard case .number(let n)? = value, let i = Int(exactly: n), range.contains(i) else {
            throw WorkerProtocolViolation(reason: "a reply whose \(field) is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    private static func text(_ value: JSONValue?, _ field: String, limit: Int) throws(WorkerProtocolViolation) -> String {
        guard case .string(let s)? = value else { throw WorkerProtocolViolation(reason: "a reply whose \(field) is not a string") }
        guard s.utf8.count <= limit else {
            throw WorkerProtocolViolation(reason: "a reply whose \(field) holds \(s.utf8.count) bytes, over the \(limit)-byte output limit")
        }
        return s
    }

    private static func flag(_ value: JSONValue?, _ field: String) throws(WorkerProtocolViolation) -> Bool {
        guard case .bool(let b)? = value else { throw WorkerProtocolViolation(reason: "a reply whose \(field) is not true or false") }
        return b
    }
}
