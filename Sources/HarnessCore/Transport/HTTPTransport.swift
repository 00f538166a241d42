/// One HTTP request as the harness sends it.
public struct TransportRequest: Sendable {
    /// `GET`, `POST`, `DELETE`, …
    public var method: String
    /// Absolute URL.
    public var url: String
    /// Request headers, in order.
    public var headers: [(name: String, value: String)]
    /// Request body; nil sends none.
    public var body: [UInt8]?
    /// Limit for the whole exchange; nil uses the transport's default.
    public var timeout: Duration?
    /// Most response body bytes accepted; a longer body fails the request (nil: no limit).
    public var maxResponseBytes: Int?

    /// A request; `timeout` nil uses the transport's own.
    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil, timeout: Duration? = nil,
        maxResponseBytes: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// The answer to a ``TransportRequest``.
public struct TransportResponse: Sendable {
    /// HTTP status.
    public var status: Int
    /// Response headers, in order. Split from the header block the transport delivered when first
    /// asked for: most callers (every API call) never look at them.
    public var headers: [(name: String, value: String)] {
        get { parsedHeaders ?? HeaderLines.parse(headerLines) }
        set {
            parsedHeaders = newValue
            headerLines = []
        }
    }
    private var parsedHeaders: [(name: String, value: String)]?
    /// `Name: value` lines as received, each with its line end (when `parsedHeaders` is nil).
    private var headerLines: [UInt8] = []
    /// The whole response body.
    public var body: [UInt8]
    /// Time from handing the request to the transport until the full response was read.
    public var elapsed: Duration
    /// Time from handing the request to the transport until the first response byte arrived, when
    /// the transport measures it.
    public var firstByte: Duration?

    /// A response.
    public init(
        status: Int, headers: [(name: String, value: String)] = [], body: [UInt8], elapsed: Duration = .zero,
        firstByte: Duration? = nil
    ) {
        self.status = status
        parsedHeaders = headers
        self.body = body
        self.elapsed = elapsed
        self.firstByte = firstByte
    }

    /// A response whose headers are the raw `Name: value` lines of its header block (status line
    /// excluded), split only if someone asks for them.
    package init(status: Int, headerLines: [UInt8], body: [UInt8], elapsed: Duration, firstByte: Duration?) {
        self.status = status
        self.headerLines = headerLines
        self.body = body
        self.elapsed = elapsed
        self.firstByte = firstByte
    }

    /// First header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why a request got no HTTP response.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for retry decisions and reports.
    public enum Kind: String, Sendable {
        case connect, timeout, tls
        case protocolError = "protocol"
        case cancelled, other
    }

    /// What went wrong.
    public var kind: Kind
    /// Details, for people.
    public var message: String
    /// The URL that failed.
    public var url: String

    /// An error of `kind` for the request to `url`.
    public init(_ kind: Kind, _ message: String, url: String) {
        self.kind = kind
        self.message = message
        self.url = url
    }

    /// `KIND error for URL: message`.
    public var description: String { "\(kind.rawValue) error for \(url): \(message)" }
}

/// Sends HTTP requests. The harness's only way to reach a server: `CurlTransport` in HarnessHTTP
/// is the real one.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the complete response, or throws ``TransportError``.
    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse
}

/// Supplies the `Authorization` header for a target (nil: send none).
public protocol CredentialProvider: Sendable {
    /// A bearer token, fetched or refreshed as needed.
    func accessToken() async throws -> String?
}
