import Foundation
import HarnessCore
import HarnessScenarios
import SandboxAPI

/// Sandbox start figures (issue 11 §2): create→RUNNING under a sustained stream of creates with the
/// warm pool drained, whole sessions per second at 4 virtual users, and the memory of many idle
/// Python sandboxes (PSS and RSS of every sandbox process and the zygote).
struct SandboxStartBench {
    let transport: any HTTPTransport
    let emulator: ChildEmulator.Launcher
    let seconds: Int
    let sandboxes: Int
    let output: BenchOutput

    /// Creates per second in the sustained figure, and how long it runs (3 × `--seconds`, 30 s by default).
    static let createRate = 50
    static let session = "scenarios/load/execute-session.yaml"

    func run() async throws {
        let createSeconds = 3 * seconds
        output.heading(
            "Sandbox starts (emulator child process, default warm pool and zygote): \(Self.createRate) creates/s for \(createSeconds) s, "
                + "each deleted once RUNNING; \(Self.session) at 4 VUs for \(seconds) s; \(sandboxes) idle sandboxes")
        try await coldStarts()
        try await sustainedCreates(seconds: createSeconds)
        try await sessions()
        try await idleMemory()
    }

    /// create→RUNNING with no warm pool at all (every create starts its worker), forked by the zygote
    /// and through the exec chain (`--no-zygote`): what a start itself costs. One create at a time.
    private func coldStarts() async throws {
        for (label, flags) in [("zygote", [String]()), ("exec chain, --no-zygote", ["--no-zygote"])] {
            let child = try emulator.start(["--warm-javascript", "0", "--warm-python", "0", "--warm-python-max", "0"] + flags)
            defer { child.stop() }
            let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
            let engine = try await client.createEngine(displayName: "bench-cold")
            let body = SandboxClient.createBody(SandboxTemplate(language: .python)).serialized()
            let clock = ContinuousClock()
            var creates = LatencyHistogram()
            for _ in 0..<30 {
                let t0 = clock.now
                guard let r = try? await client.call("POST", "\(engine)/sandboxEnvironments", body: body), let json = r.json,
                    let op = try? await client.waitForOperation(try LongRunningOperation(json: json)),
                    let name = op.response?["name"]?.stringValue
                else { throw BenchError("a cold create failed (\(label))") }
                creates.record(clock.now - t0)
                _ = try? await client.call("DELETE", name)
            }
            _ = try? await client.call("DELETE", "\(engine)?force=true")
            output.figure(
                "cold create→RUNNING p50 / p99, \(label) (no warm pool)",
                "\(ms(creates.percentile(50))) / \(ms(creates.percentile(99)))")
        }
    }

    /// Open-loop creates at ``createRate`` per second: the initial pool is gone within the first
    /// tenth of a second, so from then on only the refill keeps creates fast.
    private func sustainedCreates(seconds: Int) async throws {
        let child = try emulator.start(["--warm-javascript", "0"])
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "bench-starts")
        let body = SandboxClient.createBody(SandboxTemplate(language: .python)).serialized()
        try await Task.sleep(for: .milliseconds(800)) // the initial (minimum) pool
        let clock = ContinuousClock()
        let start = clock.now
        let count = seconds * Self.createRate
        let interval = Duration.seconds(1) / Self.createRate
        let results = await withTaskGroup(of: Duration?.self) { group in
            for i in 0..<count {
                // Open loop: each create starts on its schedule, whether or not earlier ones are done.
                try? await clock.sleep(until: start + interval * i)
                group.addTask {
                    let t0 = clock.now
                    guard let r = try? await client.call("POST", "\(engine)/sandboxEnvironments", body: body), let json = r.json,
                        let op = try? await client.waitForOperation(try LongRunningOperation(json: json)),
                        let name = op.response?["name"]?.stringValue
                    else { return nil }
                    let elapsed = clock.now - t0
                    _ = try? await client.call("DELETE", name)
                    return elapsed
                }
            }
            var all: [Duration?] = []
            for await result in group { all.append(result) }
            return all
        }
        _ = try? await client.call("DELETE", "\(engine)?force=true")
        var creates = LatencyHistogram()
        for case let elapsed? in results { creates.record(elapsed) }
        let failed = results.count - Int(creates.count)
        let achieved = Double(creates.count) / max(1e-9, (clock.now - start).seconds)
        output.figure(
            "create→RUNNING p50 at \(Self.createRate) creates/s (pool drained)", ms(creates.percentile(50)), goal: "≤ 10 ms",
            met: creates.percentile(50) <= 0.010)
        output.figure(
            "create→RUNNING p99 at \(Self.createRate) creates/s (pool drained)", ms(creates.percentile(99)), goal: "≤ 50 ms",
            met: creates.percentile(99) <= 0.050)
        output.figure(
            "creates that failed", "\(failed) of \(results.count) (\(String(format: "%.1f", achieved)) RUNNING/s)", goal: "0",
            met: failed == 0)
    }

    /// `execute-session.yaml`'s first scenario (create, three executes, delete) as 4 closed-loop virtual users.
    private func sessions() async throws {
        let scenario: Scenario
        do {
            guard let first = try ScenarioLoader.load(path: Self.session).scenarios.first else { throw BenchError("no scenario") }
            scenario = first
        } catch {
            output.figure("sessions/s at 4 VUs", "n/a (\(error); run the bench from the repository root)")
            return
        }
        let child = try emulator.start(["--warm-javascript", "0"])
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "bench-sessions")
        let context = SessionContext(client: client, engine: engine, variables: Variables(), ledger: SandboxLedger(), runID: "bench")
        try await Task.sleep(for: .milliseconds(800))
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        let start = clock.now
        let file = Self.session
        let (passed, failed) = await withTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var passed = 0
                    var failed = 0
                    while clock.now < deadline {
                        let result = await ScenarioSession(scenario: scenario, file: file, context: context).run()
                        if result.outcome == .passed { passed += 1 } else { failed += 1 }
                    }
                    return (passed, failed)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        let rate = Double(passed) / max(1e-9, (clock.now - start).seconds)
        _ = try? await client.call("DELETE", "\(engine)?force=true")
        output.figure(
            "\(file) sessions/s at 4 VUs", String(format: "%.1f /s (%d failed)", rate, failed), goal: "≥ 150 /s",
            met: rate >= 150 && failed == 0)
    }

    /// `sandboxes` live idle Python sandboxes: PSS (shared pages split between the processes that
    /// map them, so the zygote's pages count once) and RSS, summed over every descendant of the emulator.
    private func idleMemory() async throws {
        let child = try emulator.start(["--warm-javascript", "0", "--warm-python", "0", "--warm-python-max", "0"])
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "bench-idle")
        let body = SandboxClient.createBody(SandboxTemplate(language: .python)).serialized()
        var made = 0
        for _ in 0..<sandboxes {
            guard let r = try? await client.call("POST", "\(engine)/sandboxEnvironments", body: body), let json = r.json,
                let op = try? await client.waitForOperation(try LongRunningOperation(json: json)), op.response?["name"] != nil
            else { break }
            made += 1
        }
        try await Task.sleep(for: .milliseconds(500))
        let memory = ProcessScan.memory(ofDescendantsOf: child.pid)
        _ = try? await client.call("DELETE", "\(engine)?force=true")
        guard made > 0, !memory.uids.isEmpty else {
            output.figure("PSS of idle Python sandboxes", "n/a (\(made) created; no per-sandbox uids: not root?)")
            return
        }
        let perSandbox = Double(memory.pss) / Double(made)
        let budget = 8.0 * Double(1 << 30)
        let fits = (budget / max(perSandbox, 1)).rounded(.down)
        let pss = Double(memory.pss) / 1_048_576
        output.figure(
            "PSS of \(made) idle Python sandboxes (all their processes + zygote)",
            String(format: "%.1f MiB total, %.2f MiB each → %.0f fit in 8 GiB", pss, perSandbox / 1_048_576, fits),
            goal: "≥ 500 in 8 GiB", met: made >= min(sandboxes, 500) && fits >= 500)
        let rss = Double(memory.rss) / 1_048_576
        output.figure(
            "RSS of the same (shared pages counted in every process)",
            String(format: "%.1f MiB total, %.2f MiB each, %d processes", rss, rss / Double(made), memory.processes))
    }
}
