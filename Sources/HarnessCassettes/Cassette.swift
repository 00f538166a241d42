public import SandboxAPI

/// A recording of HTTP exchanges with a code-execution API, as `sandbench record` writes it: every
/// request and response in the order they were sent, with bodies decoded for people to read and
/// secrets removed. The YAML form is documented in `docs/cassettes.md`.
///
/// ```swift
/// let cassette = try Cassette(yaml: String(contentsOfFile: "scenarios/recorded/quickstart.yaml", encoding: .utf8))
/// for exchange in cassette.exchanges { print(exchange.method, exchange.path, exchange.status ?? 0) }
/// ```
public struct Cassette: Sendable, Hashable {
    /// The `format` value of this version of the layout.
    public static let format = "sandbench-cassette/1"

    /// When recording started, RFC 3339 UTC.
    public var recordedAt: String
    /// What the exchanges went to: `emulator`, a URL, or the Vertex host (never credentials).
    public var upstream: String
    /// Files larger than this many bytes are kept by size and sha256 only (unless recorded with `--keep-bodies`).
    public var inlineLimit: Int
    /// Whether every body was kept whatever its size.
    public var keepBodies: Bool
    /// Every exchange, in the order its request was sent upstream.
    public var exchanges: [Exchange]

    public init(recordedAt: String, upstream: String, inlineLimit: Int = Cassette.defaultInlineLimit, keepBodies: Bool = false,
                exchanges: [Exchange] = []) {
        self.recordedAt = recordedAt
        self.upstream = upstream
        self.inlineLimit = inlineLimit
        self.keepBodies = keepBodies
        self.exchanges = exchanges
    }

    /// Largest file (and raw body) kept in full by default: 64 KiB.
    public static let defaultInlineLimit = 64 * 1024
}

/// One request and what came back.
public struct Exchange: Sendable, Hashable {
    /// The HTTP method, as sent.
    public var method: String
    /// The request path as sent, percent-encoding intact, without the query.
    public var path: String
    /// Query parameters, decoded, in the order sent.
    public var query: [Field]
    /// HTTP status; nil when the upstream gave no response (see ``error``).
    public var status: Int?
    /// Why there was no response: connect failure, timeout, a body over the limit.
    public var error: String?
    /// When the request went upstream and the response came back.
    public var timing: Timing
    /// What the client sent.
    public var request: Message
    /// What the upstream answered (empty when it did not).
    public var response: Message

    public init(method: String, path: String, query: [Field] = [], status: Int?, error: String? = nil, timing: Timing,
                request: Message, response: Message) {
        self.method = method
        self.path = path
        self.query = query
        self.status = status
        self.error = error
        self.timing = timing
        self.request = request
        self.response = response
    }
}

/// A name and a value: a header or a query parameter.
public struct Field: Sendable, Hashable {
    /// The name; header names are lowercased.
    public var name: String
    /// The value; credentials read `<redacted>`.
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// When an exchange happened, in milliseconds.
public struct Timing: Sendable, Hashable {
    /// When the request was sent upstream, after the start of recording.
    public var sent: Double
    /// When the first response byte arrived, after ``sent`` (nil: no response, or not measured).
    public var firstByte: Double?
    /// When the last response byte arrived, after ``sent`` (nil: no response).
    public var lastByte: Double?

    public init(sent: Double, firstByte: Double?, lastByte: Double?) {
        self.sent = sent
        self.firstByte = firstByte
        self.lastByte = lastByte
    }
}

/// The recorded side of an exchange: the headers worth keeping and the decoded body.
public struct Message: Sendable, Hashable {
    /// Headers from a fixed list (names lowercased); credentials appear as `<redacted>`.
    public var headers: [Field]
    /// The body, decoded.
    public var body: Body

    public init(headers: [Field] = [], body: Body = .none) {
        self.headers = headers
        self.body = body
    }
}

/// A body, decoded as far as its kind allows.
public enum Body: Sendable, Hashable {
    /// No body.
    case none
    /// An execute request: the code as text and the input files.
    case executeInput(ExecuteInput)
    /// An execute response: `msg_out`, `msg_err` and the returned files.
    case executeOutput(ExecuteOutput)
    /// Any other JSON body.
    case json(JSONValue)
    /// A UTF-8 body that is not JSON.
    case text(String)
    /// Anything else (or a body over the inline limit), as a file without a name.
    case bytes(RecordedBytes)
}

/// The decoded inputs of `:execute`.
public struct ExecuteInput: Sendable, Hashable {
    /// The code chunk's `code`, nil when the request had none.
    public var code: String?
    /// The input files, by name.
    public var files: [RecordedFile]

    public init(code: String?, files: [RecordedFile]) {
        self.code = code
        self.files = files
    }
}

/// The decoded outputs of `:execute`.
public struct ExecuteOutput: Sendable, Hashable {
    /// The console chunk's `msg_out`.
    public var msgOut: String
    /// The console chunk's `msg_err`.
    public var msgErr: String
    /// The files created or changed by the call.
    public var files: [RecordedFile]

    public init(msgOut: String, msgErr: String, files: [RecordedFile]) {
        self.msgOut = msgOut
        self.msgErr = msgErr
        self.files = files
    }
}

/// A file sent into or returned from a sandbox.
public struct RecordedFile: Sendable, Hashable {
    /// The `file_name` attribute.
    public var name: String
    /// The chunk's MIME type, when it had one.
    public var mimeType: String?
    /// Size, hash and content.
    public var bytes: RecordedBytes

    public init(name: String, mimeType: String?, bytes: RecordedBytes) {
        self.name = name
        self.mimeType = mimeType
        self.bytes = bytes
    }
}

/// Bytes as a cassette keeps them: always size and sha256 of the bytes as they travelled, and the
/// content itself unless it was over the inline limit.
public struct RecordedBytes: Sendable, Hashable {
    /// How the content is kept.
    public enum Content: Sendable, Hashable {
        /// UTF-8 text.
        case text(String)
        /// Standard base64, padded.
        case base64(String)
        /// Not kept: over the inline limit.
        case omitted
    }

    /// Size in bytes of what travelled.
    public var size: Int
    /// Lowercase hex SHA-256 of the bytes.
    public var sha256: String
    /// The bytes themselves, unless omitted.
    public var content: Content
    /// Whether secrets were removed from ``content`` (size and sha256 still describe the original).
    public var redacted: Bool

    public init(size: Int, sha256: String, content: Content, redacted: Bool = false) {
        self.size = size
        self.sha256 = sha256
        self.content = content
        self.redacted = redacted
    }
}
