import Foundation
import HarnessCore
import SandboxAPI

/// Harness figures: request rate against /healthz vs wrk and Locust, memory over a million
/// requests, and timing error against a known injected latency.
struct HarnessBench {
    let transport: any HTTPTransport
    let seconds: Int
    let connections: Int
    let requests: Int

    /// A scenario of one raw GET /healthz: one session is one request.
    static let healthz = Scenario(name: "healthz", steps: [
        Step(name: "healthz", action: .request(method: "GET", path: "/healthz", body: nil, headers: [:]),
             expectations: [.httpStatus(200)], location: SourceLocation(file: "bench", line: 1, column: 1)),
    ], location: SourceLocation(file: "bench", line: 1, column: 1))

    func load(_ baseURL: String, plan: LoadPlan, progress: @escaping @Sendable (LoadSnapshot, Double) -> Void = { _, _ in }) async -> (LoadResult, Double) {
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: baseURL))
        let context = SessionContext(client: client, engine: "-", variables: Variables(), ledger: SandboxLedger(), runID: "bench")
        let recorder = LoadRecorder(start: .now)
        let runner = LoadRunner(scenario: Self.healthz, file: "bench", plan: plan, context: context, recorder: recorder)
        let (secs, aborted) = await runner.run(progress: progress)
        return (LoadResult(scenario: "healthz", file: "bench", target: baseURL, plan: plan, startedAt: 0, seconds: secs,
                           recorder: recorder, aborted: aborted, leaks: []), secs)
    }

    func run() async throws {
        print("\nHarness (emulator child process serving GET /healthz; \(connections) connections; \(seconds) s per tool)")
        let child = try ChildEmulator(arguments: ["--warm-python", "0", "--warm-javascript", "0"])
        defer { child.stop() }
        let url = child.baseURL + "/healthz"

        // sandbench: closed model, one request per session.
        let plan = LoadPlan(model: .closed(vus: connections, iterations: nil, duration: .seconds(seconds), pacing: nil))
        let (ours, secs) = await load(child.baseURL, plan: plan)
        let ourRate = Double(ours.counters.steps) / secs
        let errors = ours.counters.stepErrors + ours.counters.stepFailures
        report("sandbench GET /healthz", String(format: "%.0f req/s (%d errors)", ourRate, errors))

        let wrkRate = Self.wrk(url: url, connections: connections, seconds: seconds)
        if let wrkRate {
            report("wrk -t2 -c\(connections) GET /healthz", String(format: "%.0f req/s", wrkRate))
            report("  ratio sandbench / wrk", String(format: "%.2f×", ourRate / wrkRate), goal: "≥ 0.8×", met: ourRate / wrkRate >= 0.8)
        } else {
            report("wrk", "not installed (apt-get install wrk)")
        }
        let locustRate = Self.locust(base: child.baseURL, users: connections, seconds: seconds)
        if let locustRate {
            report("Locust (HttpUser, \(connections) users, 1 process)", String(format: "%.0f req/s", locustRate))
            report("  ratio sandbench / Locust", String(format: "%.1f×", ourRate / locustRate), goal: "≥ 10×", met: ourRate / locustRate >= 10)
        } else {
            report("Locust", "not installed (pip install locust)")
        }

        // Memory across a million requests: RSS sampled as the run goes.
        let samples = SampleBox()
        let perVU = max(1, requests / connections)
        let memoryPlan = LoadPlan(model: .closed(vus: connections, iterations: perVU, duration: nil, pacing: nil))
        let baseline = ResidentMemory.of("self")
        let (memoryRun, memorySecs) = await load(child.baseURL, plan: memoryPlan) { snapshot, _ in
            samples.add(steps: snapshot.counters.steps, rss: ResidentMemory.of("self"))
        }
        let finalRSS = ResidentMemory.of("self")
        let all = samples.values + [(memoryRun.counters.steps, finalRSS)]
        let early = all.first { $0.0 >= memoryRun.counters.steps / 10 }?.1 ?? baseline
        report("requests in the memory run", String(format: "%d in %.1f s (%.0f req/s)", memoryRun.counters.steps, memorySecs, Double(memoryRun.counters.steps) / memorySecs))
        report("RSS before / at 10% / after", String(format: "%.1f / %.1f / %.1f MB", Double(baseline) / 1e6, Double(early) / 1e6, Double(finalRSS) / 1e6),
               goal: "≤ 64 MB, flat", met: finalRSS <= 64_000_000 && Double(finalRSS) <= Double(early) * 1.1 + 2e6)

        // Timing error against a fixed injected latency: one connection (no queueing), measured by
        // sandbench and by wrk against the same server in the same run.
        let slow = try ChildEmulator(arguments: ["--warm-python", "0", "--warm-javascript", "0", "--inject-latency", "20ms"])
        defer { slow.stop() }
        let timingPlan = LoadPlan(model: .closed(vus: 1, iterations: 600, duration: nil, pacing: nil))
        let (timing, _) = await load(slow.baseURL, plan: timingPlan)
        let request = timing.operations.first { $0.name == "request" } ?? timing.session
        let (p50, p99) = (request.p50, request.p99)
        report("injected 20 ms, 1 conn: sandbench p50/p99", String(format: "%.3f / %.3f ms", p50 * 1000, p99 * 1000))
        if let wrk = Self.wrkLatency(url: slow.baseURL + "/healthz", seconds: 12) {
            report("  wrk -c1 --latency p50/p99, same server", String(format: "%.3f / %.3f ms", wrk.p50 * 1000, wrk.p99 * 1000))
            report("  sandbench − wrk at p50/p99", String(format: "%+.3f / %+.3f ms", (p50 - wrk.p50) * 1000, (p99 - wrk.p99) * 1000),
                   goal: "≤ 0.2 ms", met: abs(p50 - wrk.p50) <= 0.0002 && abs(p99 - wrk.p99) <= 0.0002)
        }
        report("  sandbench − nominal 20 ms at p50/p99", String(format: "%+.3f / %+.3f ms (server sleep overshoot, round trip)", (p50 - 0.02) * 1000, (p99 - 0.02) * 1000))
    }

    /// wrk's p50 and p99 latency over one connection, in seconds.
    static func wrkLatency(url: String, seconds: Int) -> (p50: Double, p99: Double)? {
        guard let out = run("/usr/bin/wrk", ["-t1", "-c1", "-d\(seconds)s", "--latency", url]) else { return nil }
        func value(_ label: String) -> Double? {
            guard let line = out.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }),
                  let text = line.split(separator: " ").last else { return nil }
            let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1)]
            for (suffix, scale) in units where text.hasSuffix(suffix) {
                if let n = Double(text.dropLast(suffix.count)) { return n * scale }
            }
            return nil
        }
        guard let p50 = value("50%"), let p99 = value("99%") else { return nil }
        return (p50, p99)
    }

    /// wrk's Requests/sec, or nil when wrk is missing.
    static func wrk(url: String, connections: Int, seconds: Int) -> Double? {
        guard let out = run("/usr/bin/wrk", ["-t2", "-c\(connections)", "-d\(seconds)s", url]) else { return nil }
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }) else { return nil }
        return Double(line.split(separator: " ").last ?? "")
    }

    /// Locust's aggregated requests/s (headless, one process), or nil when Locust is missing.
    static func locust(base: String, users: Int, seconds: Int) -> Double? {
        let dir = NSTemporaryDirectory() + "sandbench-locust-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/locustfile.py"
        let source = """
        from locust import HttpUser, task
        class Health(HttpUser):
            @task
            def healthz(self):
                self.client.get("/healthz")

        """
        try? source.write(toFile: file, atomically: true, encoding: .utf8)
        // Locust exits non-zero for reasons unrelated to throughput (e.g. a slow shutdown); the CSV is what counts.
        _ = run("/usr/bin/env", ["python3", "-m", "locust", "-f", file, "--headless", "-u", "\(users)", "-r", "\(users)", "-t", "\(seconds)s",
                                 "--host", base, "--csv", dir + "/out", "--only-summary"], requireSuccess: false)
        guard let csv = try? String(contentsOfFile: dir + "/out_stats.csv", encoding: .utf8) else { return nil }
        let lines = csv.split(whereSeparator: \.isNewline)  // Python's csv writes \r\n, one Character in Swift
        guard let header = lines.first?.split(separator: ","), let index = header.firstIndex(of: "Requests/s"),
              let row = lines.first(where: { $0.contains("Aggregated") })?.split(separator: ",", omittingEmptySubsequences: false),
              index < row.count else { return nil }
        return Double(row[index])
    }

    static func run(_ tool: String, _ arguments: [String], requireSuccess: Bool = true) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 || !requireSuccess ? String(decoding: data, as: UTF8.self) : nil
    }
}

/// RSS samples taken from the progress callback.
final class SampleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [(Int, Int)] = []

    func add(steps: Int, rss: Int) {
        lock.lock()
        samples.append((steps, rss))
        lock.unlock()
    }

    var values: [(Int, Int)] {
        lock.lock()
        defer { lock.unlock() }
        return samples
    }
}
