import Foundation
import HarnessCore
import HarnessScenarios
import Logging
import Orchestration
import SandboxAPI
import SandboxEmulator
import Synchronization

/// An in-process emulator with one warm Python worker, quiet.
func testEmulatorConfiguration() -> EmulatorConfiguration {
    var configuration = EmulatorConfiguration()
    configuration.warmPool = [.python: 1]
    return configuration
}

var quietLogger: Logger {
    var logger = Logger(label: "sandbench.orchestration.test")
    logger.logLevel = .critical
    return logger
}

/// Starts an emulator for `body` (the server a `.url` target points at).
func withEmulator<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
    try await Emulator.withEmulator(configuration: testEmulatorConfiguration(), logger: quietLogger, body)
}

/// The embedded target as the executable supplies it.
struct TestEmbeddedEmulator: EmbeddedTarget {
    func withBaseURL<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        try await Emulator.withEmulator(configuration: testEmulatorConfiguration(), logger: quietLogger, body)
    }
}

/// Scenarios parsed from YAML text.
func scenarios(_ yaml: String) throws -> [ScenarioFile] {
    [try ScenarioLoader.parse(yaml: yaml, path: "test.yaml", baseDirectory: NSTemporaryDirectory())]
}

/// Runs `body` with a plain API client of the emulator at `base`, to look at what a run left.
func withInspector<T: Sendable>(_ base: String, _ body: @escaping @Sendable (SandboxClient) async throws -> T) async throws -> T {
    try await TargetConfiguration(kind: .url(base)).withConnection(embedded: nil) { try await body($0.client) }
}

extension SandboxClient {
    /// Engine names under the default location.
    func engineNames() async throws -> [String] {
        let (json, _) = try await callOK("GET", "\(endpoint.locationPath)/reasoningEngines")
        return json["reasoningEngines"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    /// Sandbox names under `engine`.
    func sandboxNames(_ engine: String) async throws -> [String] {
        let (json, _) = try await callOK("GET", "\(engine)/sandboxEnvironments")
        return json["sandboxEnvironments"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }
}

/// A transport that passes requests on, answering the first DELETE of each sandbox with a 503
/// itself (so a session's clean-up misses it) and announcing executes as they are sent.
final class MeddlingTransport: HTTPTransport {
    let base: any HTTPTransport
    let failFirstSandboxDelete: Bool
    let executeSent: AsyncStream<String>.Continuation?
    private let refused = Mutex<[String: Int]>([:])

    init(base: any HTTPTransport, failFirstSandboxDelete: Bool = false, executeSent: AsyncStream<String>.Continuation? = nil) {
        self.base = base
        self.failFirstSandboxDelete = failFirstSandboxDelete
        self.executeSent = executeSent
    }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        // Refused as often as a session's clean-up tries (it retries a 503), so only the sweep gets through.
        if failFirstSandboxDelete, request.method == "DELETE", request.url.contains("/sandboxEnvironments/"),
            refused.withLock({ counts in
                counts[request.url, default: 0] += 1
                return counts[request.url, default: 0] <= SandboxClient.cleanUpAttempts
            })
        {
            return TransportResponse(status: 503, body: Array(#"{"error":{"code":503,"message":"try later","status":"UNAVAILABLE"}}"#.utf8))
        }
        if request.url.hasSuffix(":execute") { executeSent?.yield(request.url) }
        return try await base.send(request)
    }
}
