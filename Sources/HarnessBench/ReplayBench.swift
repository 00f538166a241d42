import Foundation
import HarnessCore
import HarnessReplay
import HarnessScenarios
import SandboxAPI

/// Replay figures: the recorded quickstart replayed session after session, against the
/// hand-written quickstart scenario run by the same engine in the same run (interleaved, so both
/// see the same server and load), and against the pace of the client that was recorded.
struct ReplayBench {
    let transport: any HTTPTransport
    let emulator: ChildEmulator.Launcher
    let sessions: Int
    let output: BenchOutput

    static let cassette = "scenarios/recorded/quickstart.yaml"
    static let handWritten = "scenarios/quickstart.yaml"

    func run() async throws {
        let plan: ReplayPlan
        let baseline: Scenario
        do {
            plan = try ReplayPlan.load(path: Self.cassette)
            guard let first = try ScenarioLoader.load(path: Self.handWritten).scenarios.first else {
                throw BenchError("\(Self.handWritten) holds no scenario")
            }
            baseline = first
        } catch {
            output.heading("Replay: n/a (\(error); run the bench from the repository root)")
            return
        }
        output.heading(
            "Replay (\(Self.cassette): \(plan.cassette.exchanges.count) exchanges → \(plan.scenario.steps.count) steps; "
                + "\(Self.handWritten) \"\(baseline.name)\": \(baseline.steps.count) steps; \(sessions) sessions each, interleaved, "
                + "against an emulator child process)")
        let child = try emulator.start(["--warm-python", "4", "--warm-javascript", "2"])
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "bench-replay")
        let context = SessionContext(client: client, engine: engine, variables: Variables(), ledger: SandboxLedger(), runID: "bench")
        try await Task.sleep(for: .milliseconds(800)) // let the warm pools fill

        var replayed = LatencyHistogram()
        var handWritten = LatencyHistogram()
        var replayedSteps: [String: LatencyHistogram] = [:]
        var handWrittenSteps: [String: LatencyHistogram] = [:]
        var failures: [String] = []
        for _ in 0..<sessions {
            for (scenario, file) in [(plan.scenario, plan.path), (baseline, Self.handWritten)] {
                let result = await ScenarioSession(scenario: scenario, file: file, context: context).run()
                if result.outcome != .passed { failures.append("\(scenario.name): \(result.failingStep?.summary ?? "\(result.outcome)")") }
                let isReplay = file == plan.path
                if isReplay { replayed.record(result.duration) } else { handWritten.record(result.duration) }
                for step in result.steps {
                    if isReplay {
                        replayedSteps[step.operation, default: LatencyHistogram()].record(step.duration)
                    } else {
                        handWrittenSteps[step.operation, default: LatencyHistogram()].record(step.duration)
                    }
                }
            }
            // Not timed: the warm pools refill, so every create in either scenario finds a ready worker.
            try await Task.sleep(for: .milliseconds(300))
        }
        _ = try? await client.call("DELETE", "\(engine)?force=true")

        output.figure("replayed session p50 / p99", "\(ms(replayed.percentile(50))) / \(ms(replayed.percentile(99)))")
        output.figure("hand-written session p50 / p99", "\(ms(handWritten.percentile(50))) / \(ms(handWritten.percentile(99)))")
        // The same engine runs both; the replayed steps also include the JavaScript sandbox's.
        for operation in ["create", "get", "list", "execute", "delete"] {
            guard let ours = replayedSteps[operation], let theirs = handWrittenSteps[operation] else { continue }
            let ratio = ours.percentile(50) / max(theirs.percentile(50), 1e-9)
            output.figure(
                "\(operation) step p50, replayed / hand-written",
                "\(ms(ours.percentile(50))) / \(ms(theirs.percentile(50)))  (\(String(format: "%.2f×", ratio)))")
        }
        let exchanges = plan.cassette.exchanges
        if let first = exchanges.first, let last = exchanges.last {
            let recorded = (last.timing.sent + (last.timing.lastByte ?? 0) - first.timing.sent) / 1000
            output.figure("the recorded client's session (as recorded)", ms(recorded))
            let ratio = replayed.percentile(50) / recorded
            output.figure(
                "  ratio replayed p50 / recorded", String(format: "%.2f×", ratio), goal: "≤ 1× (as fast as the client)",
                met: ratio <= 1)
        }
        output.figure("sessions that did not pass", "\(failures.count)", goal: "0", met: failures.isEmpty)
        for failure in failures.prefix(3) { output.note("    \(failure)") }
    }
}
