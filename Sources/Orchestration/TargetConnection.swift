package import HarnessCore
import HarnessHTTP

/// An open line to a target: where it is, the transport and the credentials to reach it.
package struct TargetConnection: Sendable {
    /// Base URL, API version, project and location.
    package var endpoint: APIEndpoint
    /// The transport (with retries when configured).
    package var transport: any HTTPTransport
    /// Supplies `Authorization` for the target; nil sends none.
    package var credentials: (any CredentialProvider)?
    /// How reports name the target: `emulator (http://127.0.0.1:PORT)`, the URL, or the Vertex host.
    package var description: String
    /// Polling and timeouts for API calls.
    package var poll: PollPolicy
    package var requestTimeout: Duration

    /// A client of the API over this connection.
    package var client: SandboxClient {
        SandboxClient(transport: transport, endpoint: endpoint, credentials: credentials, poll: poll, requestTimeout: requestTimeout)
    }
}

extension TargetConfiguration {
    /// Opens the target, runs `body` with the connection, and closes it: the embedded server and the
    /// transport live exactly as long as `body`.
    /// - Parameter embedded: starts the server for ``Kind/embedded``.
    /// - Throws: ``RunFailure`` `.configuration` when ``Kind/embedded`` has no `embedded` server,
    ///   `.target` when the server or transport cannot start; and whatever `body` throws.
    package func withConnection<T: Sendable>(
        embedded: (any EmbeddedTarget)?,
        _ body: @escaping @Sendable (TargetConnection) async throws -> T
    ) async throws -> T {
        var transportConfiguration = CurlTransport.Configuration()
        transportConfiguration.timeout = requestTimeout
        transportConfiguration.maxResponseBytes = maxResponseBytes
        transportConfiguration.builtInHTTP1 = builtInHTTP1
        var poll = PollPolicy()
        poll.timeout = pollTimeout
        let configuration = self
        let curlConfiguration = transportConfiguration
        let pollPolicy = poll
        @Sendable func connect(
            _ baseURL: String, credentials: (any CredentialProvider)?, description: String,
            _ body: @Sendable (TargetConnection) async throws -> T
        ) async throws -> T {
            let curl: CurlTransport
            do { curl = try CurlTransport(configuration: curlConfiguration) } catch {
                throw RunFailure(.target, "could not start the HTTP client: \(error)")
            }
            var transport: any HTTPTransport = curl
            if configuration.retries > 1 {
                var policy = RetryPolicy()
                policy.maxAttempts = configuration.retries
                transport = RetryingTransport(wrapping: transport, policy: policy)
            }
            if let wrap = configuration.wrapTransport { transport = wrap(transport) }
            let credentials: (any CredentialProvider)? =
                switch configuration.kind {
                case .vertex:
                    resolveCredentials(explicitToken: configuration.accessToken, environment: configuration.environment, transport: curl)
                default: credentials
                }
            let project = if case .vertex(let project) = configuration.kind { project } else { configuration.project }
            let endpoint = APIEndpoint(
                baseURL: baseURL, apiVersion: configuration.apiVersion, project: project,
                location: configuration.location)
            let connection = TargetConnection(
                endpoint: endpoint, transport: transport, credentials: credentials,
                description: description, poll: pollPolicy,
                requestTimeout: configuration.requestTimeout)
            // Stopped by suspending, not in a `defer` that would block a thread of the pool.
            do {
                let result = try await body(connection)
                await curl.stop()
                return result
            } catch {
                await curl.stop()
                throw error
            }
        }
        switch kind {
        case .embedded:
            guard let embedded else {
                throw RunFailure(.configuration, "the embedded target was asked for, but this program supplies none")
            }
            return try await embedded.withBaseURL { baseURL in
                try await connect(baseURL, credentials: nil, description: "emulator (\(baseURL))", body)
            }
        case .url(let url):
            let token = [accessToken, environment["SANDBENCH_ACCESS_TOKEN"]].compactMap { $0 }.first
            return try await connect(url, credentials: token.map { StaticToken($0) }, description: url, body)
        case .vertex(let project):
            let base = APIEndpoint.vertex(project: project, location: location).baseURL
            return try await connect(base, credentials: nil, description: base, body)
        }
    }
}
