package import HarnessCore

/// Where a recording proxy forwards requests, and how.
package struct Upstream: Sendable {
    /// `http://127.0.0.1:8080` or `https://us-central1-aiplatform.googleapis.com`, without a trailing slash.
    package var baseURL: String
    /// The HTTP client that carries forwarded requests.
    package var transport: any HTTPTransport
    /// The upstream's own credentials; when set they replace the client's `Authorization`, so a
    /// client can talk to the proxy with any token while the proxy authenticates upstream.
    package var credentials: (any CredentialProvider)?
    /// How the cassette names the upstream (never a credential).
    package var description: String

    package init(baseURL: String, transport: any HTTPTransport, credentials: (any CredentialProvider)? = nil, description: String) {
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
package struct RecordingConfiguration: Sendable {
    /// Address to bind; loopback by default (the proxy may add the upstream's credentials).
    package var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free one.
    package var port: Int = 0
    /// Keep every file and body in full, whatever its size.
    package var keepBodies: Bool = false
    /// Files (and raw bodies) larger than this are kept by size and sha256 only (default 64 KiB).
    package var inlineLimit: Int = 64 * 1024
    /// Largest request or response body passed through: 100 MB of files in base64, plus 8 MiB of JSON.
    package var maxBodyBytes: Int = 100_000_000 / 3 * 4 + (8 << 20)
    /// Limit for each upstream exchange.
    package var requestTimeout: Duration = .seconds(330)
    /// After SIGINT/SIGTERM, how long requests in flight may take to finish before they are cut off.
    package var shutdownGrace: Duration = .seconds(10)

    package init() {}
}
