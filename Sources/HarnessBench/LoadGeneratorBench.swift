import Foundation
import HarnessCore
import SandboxAPI
import Synchronization

/// Harness figures: request rate and CPU per request against nginx and the emulator's /healthz vs
/// wrk and Locust, memory over a million requests, and timing error against a known injected latency.
struct LoadGeneratorBench {
    let transport: any HTTPTransport
    let emulator: ChildEmulator.Launcher
    let seconds: Int
    let connections: Int
    let requests: Int
    let output: BenchOutput

    /// A scenario of one raw GET /healthz: one session is one request.
    static let healthz = Scenario(
        name: "healthz",
        steps: [
            Step(
                name: "healthz", action: .request(method: "GET", path: "/healthz", body: nil, headers: [:]),
                expectations: [.httpStatus(200)], location: SourceLocation(file: "bench", line: 1, column: 1))
        ], location: SourceLocation(file: "bench", line: 1, column: 1))

    func load(
        _ baseURL: String, plan: LoadPlan,
        progress: @escaping @Sendable (LoadSnapshot, Double) -> Void = { _, _ in }
    ) async -> (LoadResult, Double) {
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: baseURL))
        let context = SessionContext(client: client, engine: "-", variables: Variables(), ledger: SandboxLedger(), runID: "bench")
        let recorder = LoadRecorder(start: .now)
        let runner = LoadRunner(scenario: Self.healthz, file: "bench", plan: plan, context: context, recorder: recorder)
        let (secs, aborted) = await runner.run(progress: progress)
        return (
            LoadResult(
                scenario: "healthz", file: "bench", target: baseURL, plan: plan, startedAt: 0, seconds: secs,
                recorder: recorder, aborted: aborted, leaks: []), secs
        )
    }

    func run() async throws {
        let locustPython = ExternalTools.locustPython { output.note($0) }
        let rates = RequestRateBench(harness: self, locustPython: locustPython)
        if let nginx = try NginxServer.startIfInstalled() {
            defer { nginx.stop() }
            await rates.run(server: "Harness against nginx (one worker, return 200)", baseURL: nginx.baseURL)
        } else {
            output.heading(
                "Harness against nginx: not installed (apt-get install nginx-light), "
                    + "so no figures against a server that is not ours")
        }
        let child = try emulator.start(["--warm-python", "0", "--warm-javascript", "0"])
        defer { child.stop() }
        await rates.run(server: "Harness against the emulator's /healthz (child process)", baseURL: child.baseURL)

        output.heading("Harness memory and timing (emulator child processes)")
        // Memory across a million requests: RSS sampled as the run goes.
        let samples = Mutex<[(steps: Int, rss: Int)]>([])
        let perVU = max(1, requests / connections)
        let memoryPlan = LoadPlan(model: .closed(vus: connections, iterations: perVU, duration: nil, pacing: nil))
        let baseline = ProcessScan.residentBytes(of: "self")
        let (memoryRun, memorySecs) = await load(child.baseURL, plan: memoryPlan) { snapshot, _ in
            let rss = ProcessScan.residentBytes(of: "self")
            samples.withLock { $0.append((snapshot.counters.steps, rss)) }
        }
        let finalRSS = ProcessScan.residentBytes(of: "self")
        let steps = memoryRun.counters.steps
        let early = samples.withLock { all in all.first { $0.steps >= steps / 10 }?.rss } ?? baseline
        output.figure(
            "requests in the memory run", String(format: "%d in %.1f s (%.0f req/s)", steps, memorySecs, Double(steps) / memorySecs))
        output.figure(
            "RSS before / at 10% / after",
            String(format: "%.1f / %.1f / %.1f MB", Double(baseline) / 1e6, Double(early) / 1e6, Double(finalRSS) / 1e6),
            goal: "≤ 64 MB, flat", met: finalRSS <= 64_000_000 && Double(finalRSS) <= Double(early) * 1.1 + 2e6)

        // Timing error against a fixed injected latency: one connection (no queueing), measured by
        // sandbench and by wrk against the same server in the same run.
        let slow = try emulator.start(["--warm-python", "0", "--warm-javascript", "0", "--inject-latency", "20ms"])
        defer { slow.stop() }
        let timingPlan = LoadPlan(model: .closed(vus: 1, iterations: 600, duration: nil, pacing: nil))
        let (timing, _) = await load(slow.baseURL, plan: timingPlan)
        let request = timing.operations.first { $0.name == "request" } ?? timing.session
        let (p50, p99) = (request.p50, request.p99)
        output.figure("injected 20 ms, 1 conn: sandbench p50/p99", String(format: "%.3f / %.3f ms", p50 * 1000, p99 * 1000))
        if let wrk = ExternalTools.wrkLatency(url: slow.baseURL + "/healthz", seconds: 12) {
            output.figure("  wrk -c1 --latency p50/p99, same server", String(format: "%.3f / %.3f ms", wrk.p50 * 1000, wrk.p99 * 1000))
            output.figure(
                "  sandbench − wrk at p50/p99", String(format: "%+.3f / %+.3f ms", (p50 - wrk.p50) * 1000, (p99 - wrk.p99) * 1000),
                goal: "≤ 0.2 ms", met: abs(p50 - wrk.p50) <= 0.0002 && abs(p99 - wrk.p99) <= 0.0002)
        }
        output.figure(
            "  sandbench − nominal 20 ms at p50/p99",
            String(format: "%+.3f / %+.3f ms (server sleep overshoot, round trip)", (p50 - 0.02) * 1000, (p99 - 0.02) * 1000))
    }
}
