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
    let sessions: Int

    static let cassette = "scenarios/recorded/quickstart.yaml"
    static let handWritten = "scenarios/quickstart.yaml"

    func run() async throws {
        let plan: ReplayPlan
        let baseline: Scenario
        do {
            plan = try ReplayPlan.load(path: Self.cassette)
            guard let first = try ScenarioLoader.load(path: Self.handWritten).scenarios.first else {
                throw ChildEmulator.ChildError(message: "\(Self.handWritten) holds no scenario")
            }
            baseline = first
        } catch {
            print("\nReplay: n/a (\(error); run the bench from the repository root)")
            return
        }
        print("\nReplay (\(Self.cassette): \(plan.cassette.exchanges.count) exchanges → \(plan.scenario.steps.count) steps; "
            + "\(Self.handWritten) \"\(baseline.name)\": \(baseline.steps.count) steps; \(sessions) sessions each, interleaved, "
            + "against an emulator child process)")
        let child = try ChildEmulator(arguments: ["--warm-python", "4", "--warm-javascript", "2"])
        defer { child.stop() }
        let client = SandboxClient(transport: transport, endpoint: APIEndpoint(baseURL: child.baseURL))
        let engine = try await client.createEngine(displayName: "bench-replay")
        let context = SessionContext(client: client, engine: engine, variables: Variables(), ledger: SandboxLedger(), runID: "bench")
        try await Task.sleep(for: .milliseconds(800))  // let the warm pools fill

        var replayed: [Double] = [], handWritten: [Double] = []
        var replayedSteps: [String: [Double]] = [:], handWrittenSteps: [String: [Double]] = [:]
        var failures: [String] = []
        for _ in 0..<sessions {
            for (scenario, file) in [(plan.scenario, plan.path), (baseline, Self.handWritten)] {
                let result = await ScenarioSession(scenario: scenario, file: file, context: context).run()
                if result.outcome != .passed { failures.append("\(scenario.name): \(result.failingStep?.summary ?? "\(result.outcome)")") }
                let isReplay = file == plan.path
                if isReplay { replayed.append(result.duration.seconds) } else { handWritten.append(result.duration.seconds) }
                for step in result.steps {
                    if isReplay { replayedSteps[step.operation, default: []].append(step.duration.seconds) } else {
                        handWrittenSteps[step.operation, default: []].append(step.duration.seconds)
                    }
                }
            }
            // Not timed: the warm pools refill, so every create in either scenario finds a ready worker.
            try await Task.sleep(for: .milliseconds(300))
        }
        _ = try? await client.call("DELETE", "\(engine)?force=true")

        report("replayed session p50 / p99", "\(ms(percentile(replayed, 50))) / \(ms(percentile(replayed, 99)))")
        report("hand-written session p50 / p99", "\(ms(percentile(handWritten, 50))) / \(ms(percentile(handWritten, 99)))")
        // The same engine runs both; the replayed steps also include the JavaScript sandbox's.
        for operation in ["create", "get", "list", "execute", "delete"] {
            guard let ours = replayedSteps[operation], let theirs = handWrittenSteps[operation] else { continue }
            let ratio = percentile(ours, 50) / max(percentile(theirs, 50), 1e-9)
            report("\(operation) step p50, replayed / hand-written", "\(ms(percentile(ours, 50))) / \(ms(percentile(theirs, 50)))  (\(String(format: "%.2f×", ratio)))")
        }
        let exchanges = plan.cassette.exchanges
        if let first = exchanges.first, let last = exchanges.last {
            let recorded = (last.timing.sent + (last.timing.lastByte ?? 0) - first.timing.sent) / 1000
            report("the recorded client's session (as recorded)", ms(recorded))
            let ratio = percentile(replayed, 50) / recorded
            report("  ratio replayed p50 / recorded", String(format: "%.2f×", ratio), goal: "≤ 1× (as fast as the client)", met: ratio <= 1)
        }
        report("sessions that did not pass", "\(failures.count)", goal: "0", met: failures.isEmpty)
        for failure in failures.prefix(3) { print("    \(failure)") }
    }
}
