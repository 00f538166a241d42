import ArgumentParser
import Foundation
import HarnessCore
import HarnessHTTP
import SandboxAPI

/// `sandbench bench`: measured figures with ratios against baselines taken in the same run, all on loopback.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the emulator and the load harness on loopback (figures, goals and ratios against wrk and Locust measured in the same run)."
    )

    @Option(help: "Which part: all, emulator, harness, record or replay; or soak (not in all: --sandboxes live sandboxes busy for --seconds).")
    var suite: String = "all"

    @Option(help: "Seconds each throughput measurement runs.")
    var seconds: Int = 10

    @Option(help: "Concurrent connections / virtual users for the request-rate comparison.")
    var connections: Int = 64

    @Option(help: "Requests for the memory measurement.")
    var requests: Int = 1_000_000

    @Option(help: "Live sandboxes in the soak.")
    var sandboxes: Int = 200

    @Option(help: "Sessions each way in the replay comparison (run from the repository root: it reads scenarios/).")
    var sessions: Int = 50

    func validate() throws {
        guard ["all", "emulator", "harness", "record", "replay", "soak"].contains(suite) else {
            throw ValidationError("--suite must be all, emulator, harness, record, replay or soak")
        }
        guard (1...1000).contains(sandboxes) else { throw ValidationError("--sandboxes must be 1...1000") }
        guard (1...10_000).contains(sessions) else { throw ValidationError("--sessions must be 1...10000") }
        guard (1...3600).contains(seconds), (1...10_000).contains(connections), (1000...1_000_000_000).contains(requests) else {
            throw ValidationError("--seconds must be 1...3600, --connections 1...10000, --requests 1000...1000000000")
        }
    }

    func run() async throws {
        print("sandbench bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, all traffic on 127.0.0.1")
        try await withCurlTransport(configuration: CurlTransport.Configuration()) { transport in
            if suite == "all" || suite == "emulator" { try await EmulatorBench(transport: transport, seconds: seconds).run() }
            if suite == "all" || suite == "harness" {
                try await HarnessBench(transport: transport, seconds: seconds, connections: connections, requests: requests).run()
            }
            if suite == "all" || suite == "record" { try await ProxyBench(transport: transport, exchanges: 2000).run() }
            if suite == "all" || suite == "replay" { try await ReplayBench(transport: transport, sessions: sessions).run() }
            if suite == "soak" { try await SoakBench(transport: transport, sandboxes: sandboxes, seconds: seconds).run() }
        }
    }
}

/// Prints one figure with its goal and whether it is met.
func report(_ label: String, _ value: String, goal: String? = nil, met: Bool? = nil) {
    var line = "  " + label.padding(toLength: 46, withPad: " ", startingAt: 0) + value
    if let goal { line += String(repeating: " ", count: max(2, 70 - line.count)) + "goal \(goal)" }
    if let met { line += met ? "  ✓" : "  ✗" }
    print(line)
}

func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }

/// Percentiles of a list of durations in seconds.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))   // nearest-rank, 1-based
    return sorted[min(sorted.count, max(1, rank)) - 1]
}


/// Emulator figures: create→RUNNING, execute latency, executes/s, memory per idle sandbox.
struct EmulatorBench {
    let transport: any HTTPTransport
    let seconds: Int

    func run() async throws {
        print("\nEmulator (sandbench emulator as a child process, default isolation)")
        let child = try ChildEmulator(arguments: ["--warm-python", "4", "--warm-javascript", "0"])
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "bench")
        let createBody = SandboxClient.createBody(SandboxTemplate(language: .python)).serialized()
        try await Task.sleep(for: .milliseconds(800))  // let the warm pool fill

        // create → RUNNING, from a warm pool: one create per refill interval.
        var creates: [Double] = []
        var made: [String] = []
        for _ in 0..<30 {
            let clock = ContinuousClock()
            let t0 = clock.now
            let r = try await client.call("POST", "\(engine)/sandboxEnvironments", body: createBody)
            guard let json = r.json else { throw ChildEmulator.ChildError(message: "create failed: HTTP \(r.status)") }
            let op = try await client.waitForOperation(try LongRunningOperation(json: json))
            creates.append(HarnessBenchTools.elapsed(since: t0))
            if let name = op.response?["name"]?.stringValue { made.append(name) }
            try await Task.sleep(for: .milliseconds(120))
        }
        report("create→RUNNING p50 (warm pool)", ms(percentile(creates, 50)), goal: "≤ 5 ms", met: percentile(creates, 50) <= 0.005)
        report("create→RUNNING p99 (warm pool)", ms(percentile(creates, 99)))

        // execute print(1) over HTTP on one sandbox.
        let sandbox = made[0]
        let exec = ExecuteRequest(code: "print(1)").json.serialized()
        var executes: [Double] = []
        for _ in 0..<2000 {
            let r = try await client.call("POST", "\(sandbox):execute", body: exec)
            guard r.status == 200 else { throw ChildEmulator.ChildError(message: "execute failed: HTTP \(r.status)") }
            executes.append(r.elapsed.seconds)
        }
        report("execute print(1) p50", ms(percentile(executes, 50)), goal: "≤ 1 ms", met: percentile(executes, 50) <= 0.001)
        report("execute print(1) p99", ms(percentile(executes, 99)))

        // Throughput with 2 and 16 sandboxes busy.
        for busy in [2, 16] {
            while made.count < busy {
                let r = try await client.call("POST", "\(engine)/sandboxEnvironments", body: createBody)
                let op = try await client.waitForOperation(try LongRunningOperation(json: r.json ?? [:]))
                if let name = op.response?["name"]?.stringValue { made.append(name) }
            }
            let targets = Array(made.prefix(busy))
            let clock = ContinuousClock()
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
            report("executes/s with \(busy) sandboxes busy", String(format: "%.0f /s", rate), goal: "≥ 1,000 /s", met: rate >= 1000)
        }

        // Memory of idle Python sandboxes: every process under the sandbox uids.
        while made.count < 20 {
            let r = try await client.call("POST", "\(engine)/sandboxEnvironments", body: createBody)
            let op = try await client.waitForOperation(try LongRunningOperation(json: r.json ?? [:]))
            if let name = op.response?["name"]?.stringValue { made.append(name) }
        }
        try await Task.sleep(for: .milliseconds(500))
        let rss = ResidentMemory.ofDescendants(of: child.pid)
        if rss.uids.isEmpty {
            report("RSS per idle Python sandbox", "n/a (no per-sandbox uids: not root)")
        } else {
            let per = Double(rss.bytes) / Double(rss.uids.count)
            report("RSS per idle Python sandbox", String(format: "%.1f MB (%d idle sandboxes incl. warm pool, %d processes)", per / 1e6, rss.uids.count, rss.processes),
                   goal: "≤ 16 MB", met: per <= 16e6)
        }
        _ = try? await client.call("DELETE", "\(engine)?force=true")
    }
}

enum HarnessBenchTools {
    static func elapsed(since t0: ContinuousClock.Instant) -> Double { (ContinuousClock.now - t0).seconds }
}
