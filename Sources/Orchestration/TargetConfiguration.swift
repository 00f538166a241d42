package import HarnessCore
import HarnessHTTP

/// Which server a run talks to and how: the embedded emulator, any server of the API at a URL, or
/// Vertex AI, with the limits and credentials every command shares.
///
/// ```swift
/// var target = TargetConfiguration(kind: .url("http://127.0.0.1:8080"))
/// target.engine = "projects/p/locations/us-central1/reasoningEngines/1"   // reuse instead of create
/// ```
package struct TargetConfiguration: Sendable {
    /// Where the server is.
    package enum Kind: Sendable, Hashable {
        /// The embedded emulator, started by an ``EmbeddedTarget`` on a free loopback port.
        case embedded
        /// Any server of the API, e.g. `http://127.0.0.1:8080`.
        case url(String)
        /// The real service in `project`, at `https://{location}-aiplatform.googleapis.com`.
        case vertex(project: String)
    }

    package var kind: Kind
    /// Project in resource paths (for Vertex, the project of ``Kind/vertex(project:)``).
    package var project: String = "sandbench"
    package var location: String = "us-central1"
    /// API version path segment.
    package var apiVersion: String = "v1beta1"
    /// `--access-token`; nil falls back to the environment (and, for Vertex, the credential chain).
    package var accessToken: String?
    /// Reuse this engine instead of creating one per run (and deleting it afterwards).
    package var engine: String?
    /// Limit for each HTTP request.
    package var requestTimeout: Duration = .seconds(330)
    /// Limit for waiting on a long-running operation.
    package var pollTimeout: Duration = .seconds(300)
    /// Attempts per request for 429/503 and connect errors (1: no retries).
    package var retries: Int = 1
    /// Largest response body accepted, in bytes; a larger one is a protocol error.
    package var maxResponseBytes: Int = CurlTransport.Configuration.defaultMaxResponseBytes
    /// Whether plain `http://` to an IP literal goes through the built-in HTTP/1.1 client (true)
    /// or libcurl like everything else (`--http-client curl`).
    package var builtInHTTP1 = true
    /// The process environment: `$SANDBENCH_ACCESS_TOKEN`, `$GOOGLE_APPLICATION_CREDENTIALS`, gcloud's.
    package var environment: [String: String] = [:]
    /// Wraps the transport every request goes through (tests inject failures here).
    package var wrapTransport: (@Sendable (any HTTPTransport) -> any HTTPTransport)?

    /// A configuration for `kind` with the documented defaults.
    package init(kind: Kind) {
        self.kind = kind
    }
}

/// A server started inside this process for the length of a run: the embedded emulator. The
/// executable supplies it, so the harness libraries never import the emulator.
package protocol EmbeddedTarget: Sendable {
    /// Starts the server, runs `body` with its base URL (`http://127.0.0.1:PORT`), then stops it,
    /// also when `body` throws or the task is cancelled.
    func withBaseURL<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T
}
