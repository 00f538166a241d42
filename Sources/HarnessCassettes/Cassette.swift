package import SandboxAPI

/// A recording of HTTP exchanges with a code-execution API, as `sandbench record` writes it: every
/// request and response in the order they were sent, with bodies decoded for people to read and
/// secrets removed. The YAML form is documented in `docs/cassettes.md`.
///
/// ```swift
/// let cassette = try Cassette(yaml: String(contentsOfFile: "scenarios/recorded/quickstart.yaml", encoding: .utf8))
/// for exchange in cassette.exchanges { print(exchange.method, exchange.path, exchange.status ?? 0) }
/// ```
package struct Cassette: Sendable, Hashable {
    /// The `format` value of this version of the layout.
    package static let format = "sandbench-cassette/1"

    /// When recording started, RFC 3339 UTC.
    package var recordedAt: String
    /// What the exchanges went to: `emulator`, a URL, or the Vertex host (never credentials).
    package var upstream: String
    /// Files larger than this many bytes are kept by size and sha256 only (unless recorded with `--keep-bodies`).
    package var inlineLimit: Int
    /// Whether every body was kept whatever its size.
    package var keepBodies: Bool
    /// Every exchange, in the order its request was sent upstream.
    package var exchanges: [Exchange]

    package init(
        recordedAt: String, upstream: String, inlineLimit: Int = Cassette.defaultInlineLimit, keepBodies: Bool = false,
        exchanges: [Exchange] = []
    ) {
        self.recordedAt = recordedAt
        self.upstream = upstream
        self.inlineLimit = inlineLimit
        self.keepBodies = keepBodies
        self.exchanges = exchanges
    }

    /// Largest file (and raw body) kept in full by default: 64 KiB.
    package static let defaultInlineLimit = 64 * 1024
}

/// One request and what came back.
package struct Exchange: Sendable, Hashable {
    /// The HTTP method, as sent.
    package var method: String
    /// The request path as sent, percent-encoding intact, without the query.
    package var path: String
    /// Query parameters, decoded, in the order sent.
    package var query: [Field]
    /// HTTP status; nil when the upstream gave no response (see ``error``).
    package var status: Int?
    /// Why there was no response: connect failure, timeout, a body over the limit.
    package var error: String?
    /// When the request went upstream and the response came back.
    package var timing: Timing
    /// What the client sent.
    package var request: Message
    /// What the upstream answered (empty when it did not).
    package var response: Message

    package init(
        method: String, path: String, query: [Field] = [], status: Int?, error: String? = nil, timing: Timing,
        request: Message, response: Message
    ) {
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
package struct Field: Sendable, Hashable {
    /// The name; header names are lowercased.
    package var name: String
    /// The value; credentials read `<redacted>`.
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// When an exchange happened, in milliseconds.
package struct Timing: Sendable, Hashable {
    /// When the request was sent upstream, after the start of recording.
    package var sent: Double
    /// When the first response byte arrived, after ``sent`` (nil: no response, or not measured).
    package var firstByte: Double?
    /// When the last response byte arrived, after ``sent`` (nil: no response).
    package var lastByte: Double?

    package init(sent: Double, firstByte: Double?, lastByte: Double?) {
        self.sent = sent
        self.firstByte = firstByte
        self.lastByte = lastByte
    }
}

/// The recorded side of an exchange: the headers worth keeping and the decoded body.
package struct Message: Sendable, Hashable {
    /// Headers from a fixed list (names lowercased); credentials appear as `<redacted>`.
    package var headers: [Field]
    /// The body, decoded.
    package var body: Body

    package init(headers: [Field] = [], body: Body = .none) {
        self.headers = headers
        self.body = body
    }
}

/// A body, decoded as far as its kind allows.
package enum Body: Sendable, Hashable {
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
package struct ExecuteInput: Sendable, Hashable {
    /// The code chunk's `code`, nil when the request had none.
    package var code: String?
    /// The input files, by name.
    package var files: [RecordedFile]

    package init(code: String?, files: [RecordedFile]) {
        self.code = code
        self.files = files
    }
}

/// The decoded outputs of `:execute`.
package struct ExecuteOutput: Sendable, Hashable {
    /// The console chunk's `msg_out`.
    package var msgOut: String
    /// The console chunk's `msg_err`.
    package var msgErr: String
    /// The files created or changed by the call.
    package var files: [RecordedFile]

    package init(msgOut: String, msgErr: String, files: [RecordedFile]) {
        self.msgOut = msgOut
        self.msgErr = msgErr
        self.files = files
    }
}

/// A file sent into or returned from a sandbox.
package struct RecordedFile: Sendable, Hashable {
    /// The `file_name` attribute.
    package var name: String
    /// The chunk's MIME type, when it had one.
    package var mimeType: String?
    /// Size, hash and content.
    package var bytes: RecordedBytes

    package init(name: String, mimeType: String?, bytes: RecordedBytes) {
        self.name = name
        self.mimeType = mimeType
        self.bytes = bytes
    }
}

/// Bytes as a cassette keeps them: always size and sha256 of the bytes as they travelled, and the
/// content itself unless it was over the inline limit.
package struct RecordedBytes: Sendable, Hashable {
    /// How the content is kept.
    package enum Content: Sendable, Hashable {
        /// UTF-8 text.
        case text(String)
        /// Standard base64, padded.
        case base64(String)
        /// Not kept: over the inline limit.
        case omitted
    }

    /// Size in bytes of what travelled.
    package var size: Int
    /// Lowercase hex SHA-256 of the bytes.
    package var sha256: String
    /// The bytes themselves, unless omitted.
    package var content: Content
    /// Whether secrets were removed from ``content`` (size and sha256 still describe the original).
    package var redacted: Bool

    package init(size: Int, sha256: String, content: Content, redacted: Bool = false) {
        self.size = size
        self.sha256 = sha256
        self.content = content
        self.redacted = redacted
    }
}
