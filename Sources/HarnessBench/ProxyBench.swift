import Foundation
import HarnessCore
import HarnessRecorder
import Logging
import SandboxAPI

/// Recording proxy figures: latency added per exchange, against direct calls to the same server
/// taken in the same run, interleaved so both see the same conditions.
struct ProxyBench {
    let transport: any HTTPTransport
    let emulator: ChildEmulator.Launcher
    let exchanges: Int
    let output: BenchOutput

    func run() async throws {
        output.heading("Recording proxy (in-process, in front of an emulator child process; \(exchanges) exchanges each way, interleaved)")
        let child = try emulator.start(["--warm-python", "1", "--warm-javascript", "0"])
        defer { child.stop() }
        let direct = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await direct.createEngine(displayName: "bench-proxy")
        let (op, _) = try await direct.callOK("POST", "\(engine)/sandboxEnvironments", json: SandboxClient.createBody(SandboxTemplate()))
        guard let sandbox = try await direct.waitForOperation(try LongRunningOperation(json: op)).response?["name"]?.stringValue else {
            throw BenchError("the bench sandbox was not created")
        }
        var logger = Logger(label: "sandbench.bench.record")
        logger.logLevel = .critical
        let upstream = Upstream(baseURL: child.baseURL, transport: transport, description: "bench")
        let exchanges = self.exchanges
        let transport = self.transport
        let (samples, cassette) = try await RecordingProxy.withProxy(upstream: upstream, logger: logger) { proxyURL in
            let proxied = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: proxyURL))
            let execute = ExecuteRequest(code: "print(1)").json.serialized()
            var samples = (LatencyHistogram(), LatencyHistogram(), LatencyHistogram(), LatencyHistogram())
            for _ in 0..<exchanges {
                samples.0.record(try await direct.call("GET", engine).elapsed)
                samples.1.record(try await proxied.call("GET", engine).elapsed)
                samples.2.record(try await direct.call("POST", "\(sandbox):execute", body: execute).elapsed)
                samples.3.record(try await proxied.call("POST", "\(sandbox):execute", body: execute).elapsed)
            }
            return samples
        }
        for (label, straight, proxied) in [("GET engine", samples.0, samples.1), ("execute print(1)", samples.2, samples.3)] {
            let added = proxied.percentile(50) - straight.percentile(50)
            output.figure("\(label) p50 direct / proxied", "\(ms(straight.percentile(50))) / \(ms(proxied.percentile(50)))")
            output.figure("  added by the proxy, p50", ms(added), goal: "≤ 0.3 ms", met: added <= 0.0003)
            output.figure("  added by the proxy, p99", ms(proxied.percentile(99) - straight.percentile(99)))
        }
        output.figure("exchanges recorded", "\(cassette.exchanges.count)")
        _ = try? await direct.call("DELETE", "\(engine)?force=true")
    }
}
