import Foundation
import HarnessCore
import SandboxAPI
import Synchronization

/// Harness figures: request rate against /healthz vs wrk and Locust, memory over a million
/// requests, and timing error against a known injected latency.
struct LoadGeneratorBench {
    let transport: any HTTPTransport
    let emulator: ChildEmulator.Launcher
    let seconds: Int
    let connections: Int
    let requests: Int
    let output: BenchOutput

    /// A scenario of one raw GET /healthz: one session is one request.
    static let healthz = Scenario(name: "healthz", steps: [
        Step(name: "healthz", action: .request(method: "GET", path: "/healthz", body: nil, headers: [:]),
             expectations: [.httpStatus(200)], location: SourceLocation(file: "bench", line: 1, column: 1)),
    ], location: SourceLocation(file: "bench", line: 1, column: 1))

    func load(_ baseURL: String, plan: LoadPlan,
              progress: @escaping @Sendable (LoadSnapshot, Double) -> Void = { _, _ in }) async -> (LoadResult, Double) {
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: baseURL))
        let context = SessionContext(client: client, engine: "-", variables: Variables(), ledger: SandboxLedger(), runID: "bench")
        let recorder = LoadRecorder(start: .now)
        let runner = LoadRunner(scenario: Self.healthz, file: "bench", plan: plan, context: context, recorder: recorder)
        let (secs, aborted) = await runner.run(progress: progress)
        return (LoadResult(scenario: "healthz", file: "bench", target: baseURL, plan: plan, startedAt: 0, seconds: secs,
                           recorder: recorder, aborted: aborted, leaks: []), secs)
    }

    func run() async throws {
        output.heading("Harness (emulator child process serving GET /healthz; \(connections) connections; \(seconds) s per tool)")
        let child = try emulator.start(["--warm-python", "0", "--warm-javascript", "0"])
        defer { child.stop() }
        let url = child.baseURL + "/healthz"

        // sandbench: closed model, one request per session.
        let plan = LoadPlan(model: .closed(vus: connections, iterations: nil, duration: .seconds(seconds), pacing: nil))
        let (ours, secs) = await load(child.baseURL, plan: plan)
        let ourRate = Double(ours.counters.steps) / secs
        let errors = ours.counters.stepErrors + ours.counters.stepFailures
        output.figure("sandbench GET /healthz", String(format: "%.0f req/s (%d errors)", ourRate, errors))

        if let wrkRate = ExternalTools.wrk(url: url, connections: connections, seconds: seconds) {
            output.figure("wrk -t2 -c\(connections) GET /healthz", String(format: "%.0f req/s", wrkRate))
            output.figure("  ratio sandbench / wrk", String(format: "%.2f×", ourRate / wrkRate), goal: "≥ 0.8×", met: ourRate / wrkRate >= 0.8)
        } else {
            output.figure("wrk", "not installed (apt-get install wrk)")
        }
        if let locustRate = ExternalTools.locust(base: child.baseURL, users: connections, seconds: seconds) {
            output.figure("Locust (HttpUser, \(connections) users, 1 process)", String(format: "%.0f req/s", locustRate))
            output.figure("  ratio sandbench / Locust", String(format: "%.1f×", ourRate / locustRate), goal: "≥ 10×",
                          met: ourRate / locustRate >= 10)
        } else {
            output.figure("Locust", "not installed (pip install locust)")
        }

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
        output.figure("requests in the memory run", String(format: "%d in %.1f s (%.0f req/s)", steps, memorySecs, Double(steps) / memorySecs))
        output.figure("RSS before / at 10% / after",
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
            output.figure("  sandbench − wrk at p50/p99", String(format: "%+.3f / %+.3f ms", (p50 - wrk.p50) * 1000, (p99 - wrk.p99) * 1000),
                          goal: "≤ 0.2 ms", met: abs(p50 - wrk.p50) <= 0.0002 && abs(p99 - wrk.p99) <= 0.0002)
        }
        output.figure("  sandbench − nominal 20 ms at p50/p99",
                      String(format: "%+.3f / %+.3f ms (server sleep overshoot, round trip)", (p50 - 0.02) * 1000, (p99 - 0.02) * 1000))
    }
}
