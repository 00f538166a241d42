import Foundation
import HarnessCore
import SandboxAPI

/// The soak: many live sandboxes with executes running all the time, then a count of what is left.
///
/// Prints errors, the emulator's RSS at the start, middle and end, and after shutdown the processes,
/// cgroups and state directories that outlived it (all must be 0). Not part of `--suite all`.
struct SoakBench {
    let transport: any HTTPTransport
    let emulator: ChildEmulator.Launcher
    let sandboxes: Int
    let seconds: Int
    let output: BenchOutput
    /// Executes in flight at once.
    let concurrency = 16

    func run() async throws {
        output.heading("Soak: \(sandboxes) live Python sandboxes, executes for \(seconds) s with \(concurrency) in flight")
        let child = try emulator.start(["--warm-python", "8", "--warm-javascript", "0"])
        let pid = child.pid
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "soak")
        let createBody = SandboxClient.createBody(SandboxTemplate(language: .python)).serialized()
        var names: [String] = []
        var createErrors = 0
        for _ in 0..<sandboxes {
            guard let r = try? await client.call("POST", "\(engine)/sandboxEnvironments", body: createBody), let json = r.json,
                let op = try? await client.waitForOperation(try LongRunningOperation(json: json)),
                let name = op.response?["name"]?.stringValue
            else {
                createErrors += 1
                continue
            }
            names.append(name)
        }
        output.figure("sandboxes created", "\(names.count) of \(sandboxes)", goal: "all", met: createErrors == 0)
        guard !names.isEmpty else { return }
        let start = ProcessScan.residentBytes(of: String(pid))
        let exec = ExecuteRequest(code: "n = globals().get('n', 0) + 1\nprint(n)").json.serialized()
        let clock = ContinuousClock()
        let begin = clock.now
        let deadline = begin + .seconds(seconds)
        let middleAt = begin + .seconds(seconds) / 2
        let targets = names
        let concurrency = self.concurrency
        let counts = await withTaskGroup(of: (ok: Int, errors: Int, middle: Int?).self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    var ok = 0
                    var errors = 0
                    var i = lane
                    var middle: Int?
                    while clock.now < deadline {
                        let name = targets[i % targets.count]
                        i += concurrency
                        if let r = try? await client.call("POST", "\(name):execute", body: exec), r.status == 200 {
                            ok += 1
                        } else {
                            errors += 1
                        }
                        if lane == 0, middle == nil, clock.now >= middleAt { middle = ProcessScan.residentBytes(of: String(pid)) }
                    }
                    return (ok, errors, middle)
                }
            }
            var total = (ok: 0, errors: 0, middle: nil as Int?)
            for await part in group {
                total.ok += part.ok
                total.errors += part.errors
                total.middle = total.middle ?? part.middle
            }
            return total
        }
        let end = ProcessScan.residentBytes(of: String(pid))
        output.figure("executes (errors)", "\(counts.ok) (\(counts.errors) errors)", goal: "0 errors", met: counts.errors == 0)
        let middle = counts.middle ?? end
        output.figure(
            "emulator RSS start / middle / end",
            String(format: "%.1f / %.1f / %.1f MB", Double(start) / 1e6, Double(middle) / 1e6, Double(end) / 1e6),
            goal: "flat (end ≤ middle × 1.1 + 4 MB)", met: Double(end) <= Double(middle) * 1.1 + 4e6)
        let before = ProcessScan.residentBytes(ofDescendantsOf: pid)
        let descendants = ProcessScan.descendants(of: pid)
        _ = try? await client.call("DELETE", "\(engine)?force=true")
        child.stop()
        // What outlived the emulator: its sandbox processes, cgroups and state directory.
        // Inner sandbox processes die by parent-death signal just after the emulator reaps their
        // chains: give them up to 5 s, then count the live (non-zombie) ones.
        var left = descendants.filter(ProcessScan.isAlive)
        for _ in 0..<100 where !left.isEmpty {
            try? await Task.sleep(for: .milliseconds(50))
            left = left.filter(ProcessScan.isAlive)
        }
        let processes = left.count
        let cgroups = ["memory", "pids", "cpu"].flatMap { controller in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/\(controller)")) ?? [])
                .filter { $0.hasPrefix("sandbench-\(pid)-") }
        }
        let states = ((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
            .filter { $0.hasPrefix("sandbench-emulator-\(pid)-") }
        output.figure("sandbox processes before shutdown", "\(before.processes) (\(before.uids.count) uids)")
        output.figure(
            "left after: processes, cgroups, state dirs", "\(processes), \(cgroups.count), \(states.count)",
            goal: "0, 0, 0", met: processes == 0 && cgroups.isEmpty && states.isEmpty)
    }
}
