public import HarnessCore

/// Where a recording proxy forwards requests, and how.
public struct Upstream: Sendable {
    /// `http://127.0.0.1:8080` or `https://us-central1-aiplatform.googleapis.com`, without a trailing slash.
    public var baseURL: String
    /// The HTTP client that carries forwarded requests.
    public var transport: any HTTPTransport
    /// The upstream's own credentials; when set they replace the client's `Authorization`, so a
    /// client can talk to the proxy with any token while the proxy authenticates upstream.
    public var credentials: (any CredentialProvider)?
    /// How the cassette names the upstream (never a credential).
    public var description: String

    public init(baseURL: String, transport: any HTTPTransport, credentials: (any CredentialProvider)? = nil, description: String) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.transport = transport
        self.credentials = credentials
        self.description = description
    }
}

/// How a recording proxy listens and what it keeps.
///
/// ```swift
/// var configuration = RecordingConfiguration()
/// configuration.port = 8081
/// configuration.keepBodies = true
/// ```
public struct RecordingConfiguration: Sendable {
    /// Address to bind; loopback by default (the proxy may add the upstream's credentials).
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free one.
    public var port: Int = 0
    /// Keep every file and body in full, whatever its size.
    public var keepBodies: Bool = false
    /// Files (and raw bodies) larger than this are kept by size and sha256 only (default 64 KiB).
    public var inlineLimit: Int = 64 * 1024
    /// Largest request or response body passed through: 100 MB of files in base64, plus 8 MiB of JSON.
    public var maxBodyBytes: Int = 100_000_000 / 3 * 4 + (8 << 20)
    /// Limit for each upstream exchange.
    public var requestTimeout: Duration = .seconds(330)
    /// After SIGINT/SIGTERM, how long requests in flight may take to finish before they are cut off.
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}
}
