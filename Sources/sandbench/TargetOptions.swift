import ArgumentParser
import Foundation
import HarnessCore
import HarnessHTTP
import Logging
import SandboxAPI
import SandboxEmulator

/// Which server a command talks to, and how.
struct TargetOptions: ParsableArguments {
    @Option(help: "emulator (start the embedded emulator on a free loopback port), a URL such as http://127.0.0.1:8080, or vertex.")
    var target: String = "emulator"

    @Option(help: "Google Cloud project (with --target vertex, or the path prefix for other targets).")
    var project: String?

    @Option(help: "Location, e.g. us-central1.")
    var location: String = "us-central1"

    @Option(help: "API version path segment.")
    var apiVersion: String = "v1beta1"

    @Option(help: "Bearer token for the target (default for vertex: $SANDBENCH_ACCESS_TOKEN, $GOOGLE_APPLICATION_CREDENTIALS, then gcloud).")
    var accessToken: String?

    @Option(help: "Reuse this agent engine (projects/…/reasoningEngines/ID) instead of creating and deleting one.")
    var engine: String?

    @Option(help: "Limit for each HTTP request.")
    var requestTimeout: String = "330s"

    @Option(help: "Limit for waiting on a long-running operation (sandbox creation).")
    var pollTimeout: String = "300s"

    @Option(help: "Attempts per request for 429/503 and connect errors (1 = no retries); waits as Retry-After says, else backs off.")
    var retries: Int = 1

    @Option(help: "Largest response body accepted, in bytes (1024...17179869184); a larger one is a protocol error.")
    var maxResponseBytes: Int = CurlTransport.Configuration.defaultMaxResponseBytes

    @OptionGroup(title: "Embedded emulator") var emulator: EmulatorOptions

    enum Kind {
        case emulator
        case url(String)
        case vertex(project: String)
    }

    func kind() throws -> Kind {
        switch target {
        case "emulator": return .emulator
        case "vertex":
            guard let project else { throw ValidationError("--target vertex needs --project") }
            return .vertex(project: project)
        default:
            guard target.hasPrefix("http://") || target.hasPrefix("https://") else {
                throw ValidationError("--target must be emulator, vertex or an http(s):// URL, not \"\(target)\"")
            }
            return .url(target)
        }
    }

    /// Validates every option now, so usage errors exit 2 before anything runs.
    func validate() throws {
        _ = try kind()
        _ = try EmulatorOptions.duration(requestTimeout, flag: "--request-timeout")
        _ = try EmulatorOptions.duration(pollTimeout, flag: "--poll-timeout")
        _ = try emulator.configuration()
        guard (1...100).contains(retries) else { throw ValidationError("--retries must be 1...100") }
        guard (1024...(1 << 34)).contains(maxResponseBytes) else {
            throw ValidationError("--max-response-bytes must be 1024...17179869184")
        }
    }

    /// Runs `body` with a client for the target; the embedded emulator and the transport live exactly as long as `body`.
    func withClient<T: Sendable>(_ body: @escaping @Sendable (SandboxClient, String) async throws -> T) async throws -> T {
        let kind = try kind()
        var pollPolicy = PollPolicy()
        pollPolicy.timeout = try EmulatorOptions.duration(pollTimeout, flag: "--poll-timeout")
        let poll = pollPolicy
        let requestTimeout = try EmulatorOptions.duration(self.requestTimeout, flag: "--request-timeout")
        let retries = self.retries
        let project = self.project ?? "sandbench"
        let location = self.location, apiVersion = self.apiVersion
        var transportConfig = CurlTransport.Configuration()
        transportConfig.timeout = requestTimeout
        transportConfig.maxResponseBytes = maxResponseBytes
        let config = transportConfig
        @Sendable func client(_ transport: any HTTPTransport, _ endpoint: APIEndpoint, _ credentials: (any CredentialProvider)?) -> SandboxClient {
            var wrapped: any HTTPTransport = transport
            if retries > 1 {
                var policy = RetryPolicy()
                policy.maxAttempts = retries
                wrapped = RetryingTransport(wrapping: transport, policy: policy)
            }
            return SandboxClient(transport: wrapped, endpoint: endpoint, credentials: credentials, poll: poll, requestTimeout: requestTimeout)
        }
        switch kind {
        case .emulator:
            var emulatorConfig = try emulator.configuration()
            emulatorConfig.host = "127.0.0.1"
            emulatorConfig.port = 0
            var logger = Logger(label: "sandbench.emulator")
            logger.logLevel = .critical
            return try await Emulator.withRunningEmulator(configuration: emulatorConfig, logger: logger) { emulator in
                let baseURL = emulator.baseURL
                // The fault counts go to stderr also when the run fails.
                defer { if let faults = emulator.faults?.report { FileHandle.standardError.write(Data(faults.consoleText.utf8)) } }
                return try await withCurlTransport(configuration: config) { transport in
                    try await body(client(transport, APIEndpoint(baseURL: baseURL, apiVersion: apiVersion, project: project, location: location), nil),
                                   "emulator (\(baseURL))")
                }
            }
        case .url(let url):
            let credentials: (any CredentialProvider)? = (accessToken ?? ProcessInfo.processInfo.environment["SANDBENCH_ACCESS_TOKEN"]).map { StaticToken($0) }
            return try await withCurlTransport(configuration: config) { transport in
                try await body(client(transport, APIEndpoint(baseURL: url, apiVersion: apiVersion, project: project, location: location), credentials), url)
            }
        case .vertex(let project):
            let explicit = accessToken
            return try await withCurlTransport(configuration: config) { transport in
                let credentials = resolveCredentials(explicitToken: explicit, environment: ProcessInfo.processInfo.environment, transport: transport)
                var endpoint = APIEndpoint.vertex(project: project, location: location)
                endpoint.apiVersion = apiVersion
                return try await body(client(transport, endpoint, credentials), endpoint.baseURL)
            }
        }
    }
}

/// Scenario variables: the environment, overridden by `--var NAME=VALUE` pairs.
func commandLineVariables(_ pairs: [String]) -> Variables {
    var values = ProcessInfo.processInfo.environment
    for pair in pairs {
        let parts = pair.split(separator: "=", maxSplits: 1)
        values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return Variables(values)
}
