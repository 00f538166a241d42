import Foundation
import HarnessCore
import HarnessHTTP
import HarnessRecorder
import Logging
import SandboxAPI

/// Recording proxy figures: latency added per exchange, against direct calls to the same server
/// taken in the same run, interleaved so both see the same conditions.
struct ProxyBench {
    let transport: any HTTPTransport
    let exchanges: Int

    func run() async throws {
        print("\nRecording proxy (in-process, in front of an emulator child process; \(exchanges) exchanges each way, interleaved)")
        let child = try ChildEmulator(arguments: ["--warm-python", "1", "--warm-javascript", "0"])
        defer { child.stop() }
        let direct = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await direct.createEngine(displayName: "bench-proxy")
        let (op, _) = try await direct.callOK("POST", "\(engine)/sandboxEnvironments", json: SandboxClient.createBody(SandboxTemplate()))
        guard let sandbox = try await direct.waitForOperation(try LongRunningOperation(json: op)).response?["name"]?.stringValue else {
            throw ChildEmulator.ChildError(message: "the bench sandbox was not created")
        }
        var logger = Logger(label: "sandbench.bench.record")
        logger.logLevel = .critical
        let upstream = Upstream(baseURL: child.baseURL, transport: transport, description: "bench")
        let exchanges = self.exchanges
        let (samples, cassette) = try await RecordingProxy.withProxy(upstream: upstream, logger: logger) { proxyURL in
            let proxied = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: proxyURL))
            let execute = ExecuteRequest(code: "print(1)").json.serialized()
            var samples: ([Double], [Double], [Double], [Double]) = ([], [], [], [])
            for _ in 0..<exchanges {
                samples.0.append(try await direct.call("GET", engine).elapsed.seconds)
                samples.1.append(try await proxied.call("GET", engine).elapsed.seconds)
                samples.2.append(try await direct.call("POST", "\(sandbox):execute", body: execute).elapsed.seconds)
                samples.3.append(try await proxied.call("POST", "\(sandbox):execute", body: execute).elapsed.seconds)
            }
            return samples
        }
        for (label, straight, proxied) in [("GET engine", samples.0, samples.1), ("execute print(1)", samples.2, samples.3)] {
            let added = percentile(proxied, 50) - percentile(straight, 50)
            report("\(label) p50 direct / proxied", "\(ms(percentile(straight, 50))) / \(ms(percentile(proxied, 50)))")
            report("  added by the proxy, p50", ms(added), goal: "≤ 0.3 ms", met: added <= 0.0003)
            report("  added by the proxy, p99", ms(percentile(proxied, 99) - percentile(straight, 99)))
        }
        report("exchanges recorded", "\(cassette.exchanges.count)")
        _ = try? await direct.call("DELETE", "\(engine)?force=true")
    }
}
