import Foundation
import HarnessCore
import SandboxAPI

/// Emulator figures: create→RUNNING, execute latency, executes/s, memory per idle sandbox.
struct EmulatorBench {
    let transport: any HTTPTransport
    let emulator: ChildEmulator.Launcher
    let seconds: Int
    let output: BenchOutput

    func run() async throws {
        output.heading("Emulator (sandbench emulator as a child process, default isolation)")
        let child = try emulator.start(["--warm-python", "4", "--warm-javascript", "0"])
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "bench")
        let createBody = SandboxClient.createBody(SandboxTemplate(language: .python)).serialized()
        try await Task.sleep(for: .milliseconds(800)) // let the warm pool fill

        // create → RUNNING, from a warm pool: one create per refill interval.
        var creates = LatencyHistogram()
        var made: [String] = []
        let clock = ContinuousClock()
        for _ in 0..<30 {
            let t0 = clock.now
            let r = try await client.call("POST", "\(engine)/sandboxEnvironments", body: createBody)
            guard let json = r.json else { throw BenchError("create failed: HTTP \(r.status)") }
            let op = try await client.waitForOperation(try LongRunningOperation(json: json))
            creates.record(clock.now - t0)
            if let name = op.response?["name"]?.stringValue { made.append(name) }
            try await Task.sleep(for: .milliseconds(120))
        }
        output.figure(
            "create→RUNNING p50 (warm pool)", ms(creates.percentile(50)), goal: "≤ 5 ms", met: creates.percentile(50) <= 0.005)
        output.figure("create→RUNNING p99 (warm pool)", ms(creates.percentile(99)))
        guard let sandbox = made.first else { throw BenchError("no sandbox was created") }

        // execute print(1) over HTTP on one sandbox.
        let exec = ExecuteRequest(code: "print(1)").json.serialized()
        var executes = LatencyHistogram()
        for _ in 0..<2000 {
            let r = try await client.call("POST", "\(sandbox):execute", body: exec)
            guard r.status == 200 else { throw BenchError("execute failed: HTTP \(r.status)") }
            executes.record(r.elapsed)
        }
        output.figure("execute print(1) p50", ms(executes.percentile(50)), goal: "≤ 1 ms", met: executes.percentile(50) <= 0.001)
        output.figure("execute print(1) p99", ms(executes.percentile(99)))

        // Throughput with 2 and 16 sandboxes busy.
        for busy in [2, 16] {
            try await create(until: busy, into: &made, client: client, engine: engine, body: createBody)
            let targets = Array(made.prefix(busy))
            let deadline = clock.now + .seconds(seconds)
            let count = await withTaskGroup(of: Int.self) { group in
                for name in targets {
                    group.addTask {
                        var n = 0
                        while clock.now < deadline {
                            if let r = try? await client.call("POST", "\(name):execute", body: exec), r.status == 200 { n += 1 }
                        }
                        return n
                    }
                }
                return await group.reduce(0, +)
            }
            let rate = Double(count) / Double(seconds)
            output.figure(
                "executes/s with \(busy) sandboxes busy", String(format: "%.0f /s", rate), goal: "≥ 1,000 /s", met: rate >= 1000)
        }

        // Memory of idle Python sandboxes: every process under the emulator (the zygote's pages, shared
        // with every sandbox it forked, split between them by PSS; RSS counts them in every process).
        try await create(until: 20, into: &made, client: client, engine: engine, body: createBody)
        try await Task.sleep(for: .milliseconds(500))
        let memory = ProcessScan.memory(ofDescendantsOf: child.pid)
        if memory.uids.isEmpty {
            output.figure("PSS per idle Python sandbox", "n/a (no per-sandbox uids: not root)")
        } else {
            let sandboxes = Double(memory.uids.count)
            let pss = Double(memory.pss) / sandboxes
            output.figure(
                "PSS per idle Python sandbox",
                String(
                    format: "%.1f MB (RSS %.1f MB; %d idle sandboxes incl. warm pool, %d processes)", pss / 1e6,
                    Double(memory.rss) / sandboxes / 1e6, memory.uids.count, memory.processes),
                goal: "≤ 16 MB", met: pss <= 16e6)
        }
        _ = try? await client.call("DELETE", "\(engine)?force=true")
    }

    /// Creates sandboxes until `made` holds `count`.
    private func create(until count: Int, into made: inout [String], client: SandboxClient, engine: String, body: [UInt8]) async throws {
        while made.count < count {
            let r = try await client.call("POST", "\(engine)/sandboxEnvironments", body: body)
            let op = try await client.waitForOperation(try LongRunningOperation(json: r.json ?? [:]))
            guard let name = op.response?["name"]?.stringValue else { throw BenchError("create failed: HTTP \(r.status)") }
            made.append(name)
        }
    }
}
