import Foundation
import HarnessCassettes
import HarnessCore
import HarnessHTTP
import HarnessRecorder
import Logging
import SandboxAPI
import SandboxEmulator
import Synchronization

var quietLogger: Logger {
    var logger = Logger(label: "sandbench.record.test")
    logger.logLevel = .critical
    return logger
}

/// A proxy in front of an in-process emulator, with a libcurl client for the test: `body` gets a
/// client of the proxy and one of the emulator directly.
func withRecordedEmulator<T: Sendable>(
    _ configure: @Sendable (inout RecordingConfiguration) -> Void = { _ in },
    wrap: @escaping @Sendable (any HTTPTransport) -> any HTTPTransport = { $0 },
    credentials: (any CredentialProvider)? = nil,
    _ body: @escaping @Sendable (_ proxy: SandboxClient, _ direct: SandboxClient) async throws -> T
) async throws -> (T, Cassette) {
    var emulator = EmulatorConfiguration()
    emulator.warmPool = [.python: 1]
    return try await Emulator.withEmulator(configuration: emulator, logger: quietLogger) { emulatorURL in
        try await withCurlTransport { transport in
            var configuration = RecordingConfiguration()
            configure(&configuration)
            let upstream = Upstream(baseURL: emulatorURL, transport: wrap(transport), credentials: credentials, description: "emulator")
            return try await RecordingProxy.withProxy(configuration: configuration, upstream: upstream, logger: quietLogger) { proxyURL in
                try await body(
                    SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: proxyURL)),
                    SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: emulatorURL)))
            }
        }
    }
}

/// Passes requests on and keeps what was forwarded, so a test can see what the upstream received.
final class CapturingTransport: HTTPTransport {
    let base: any HTTPTransport
    let forwarded = Mutex<[TransportRequest]>([])

    init(base: any HTTPTransport) { self.base = base }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        forwarded.withLock { $0.append(request) }
        return try await base.send(request)
    }
}

extension SandboxClient {
    /// Creates an engine and a Python sandbox; returns the sandbox name.
    func newSandbox() async throws -> (engine: String, sandbox: String) {
        let engine = try await createEngine(displayName: "rec")
        let (json, _) = try await callOK("POST", "\(engine)/sandboxEnvironments", json: SandboxClient.createBody(SandboxTemplate()))
        let op = try await waitForOperation(try LongRunningOperation(json: json))
        guard let sandbox = op.response?["name"]?.stringValue else { throw APIFailure.malformed("no sandbox name") }
        return (engine, sandbox)
    }

    /// Executes `code` with `files` through the SDK's `/:execute` form.
    func execute(
        _ sandbox: String, _ code: String, files: [SandboxFile] = [],
        headers: [String: String] = [:]
    ) async throws -> ExecuteResponse {
        let response = try await call(
            "POST", "\(sandbox)/:execute", body: ExecuteRequest(code: code, files: files).json.serialized(),
            headers: headers)
        guard response.status == 200, let json = response.json else { throw APIFailure.malformed("execute answered \(response.status)") }
        return try ExecuteResponse(json: json)
    }
}
