import Foundation
import HarnessCore
import Orchestration
import SandboxAPI
import Testing

/// The orchestrator over real HTTP against an in-process emulator: engine, ledger, sweep,
/// cancellation and reports.
@Suite struct OrchestratorTests {
    static let oneSession = """
        scenarios:
          - name: compute
            steps:
              - create: {}
              - execute: print(6 * 7)
                expect: {stdout: "42\\n"}
        """

    @Test func embeddedTargetRunsAScenario() async throws {
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded), embedded: TestEmbeddedEmulator())
        let result = try await orchestrator.run(try scenarios(Self.oneSession), options: RunOptions(), reports: SuiteReports())
        #expect(result.passed, "\(result.scenarios.map { $0.failingStep?.summary ?? "" })")
        #expect(result.scenarios.count == 1)
        #expect(result.target.hasPrefix("emulator (http://127.0.0.1:"))
    }

    @Test func embeddedTargetWithoutAServerIsAConfigurationFailure() async throws {
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded))
        await #expect(throws: RunFailure.self) {
            _ = try await orchestrator.run(try scenarios(Self.oneSession), options: RunOptions(), reports: SuiteReports())
        }
    }

    @Test func aRunDeletesTheEngineItCreated() async throws {
        try await withEmulator { base in
            let orchestrator = Orchestrator(target: TargetConfiguration(kind: .url(base)))
            let result = try await orchestrator.run(try scenarios(Self.oneSession), options: RunOptions(), reports: SuiteReports())
            #expect(result.passed)
            let engines = try await withInspector(base) { try await $0.engineNames() }
            #expect(engines.isEmpty, "engines left: \(engines)")
        }
    }

    @Test func aReusedEngineIsKeptAndLeftEmpty() async throws {
        try await withEmulator { base in
            let engine = try await withInspector(base) { try await $0.createEngine(displayName: "kept") }
            var target = TargetConfiguration(kind: .url(base))
            target.engine = engine
            let files = try scenarios(Self.oneSession)
            let result = try await Orchestrator(target: target).run(files, options: RunOptions(), reports: SuiteReports())
            #expect(result.passed)
            let (engines, sandboxes) = try await withInspector(base) { client in
                (try await client.engineNames(), try await client.sandboxNames(engine))
            }
            #expect(engines == [engine])
            #expect(sandboxes.isEmpty)
        }
    }

    @Test func aSandboxTheSessionCouldNotDeleteIsSweptAsALeak() async throws {
        try await withEmulator { base in
            let engine = try await withInspector(base) { try await $0.createEngine(displayName: "swept") }
            var target = TargetConfiguration(kind: .url(base))
            target.engine = engine
            target.wrapTransport = { MeddlingTransport(base: $0, failFirstSandboxDelete: true) }
            let files = try scenarios(Self.oneSession)
            let result = try await Orchestrator(target: target).run(files, options: RunOptions(), reports: SuiteReports())
            #expect(!result.passed)
            #expect(result.leaks.count == 1)
            #expect(result.scenarios.first?.cleanupProblems.count == 1)
            let left = try await withInspector(base) { try await $0.sandboxNames(engine) }
            #expect(left.isEmpty, "the sweep did not delete \(left)")
        }
    }

    /// A create the server acted on but whose answer the run never read (Ctrl-C mid-POST) leaves a
    /// sandbox the ledger cannot know; the sweep finds it by the run's label in its display name.
    @Test func theSweepDeletesSandboxesLabelledWithTheRunIDOnly() async throws {
        try await withEmulator { base in
            try await withInspector(base) { client in
                let engine = try await client.createEngine(displayName: "label")
                func create(_ displayName: String) async throws -> String {
                    let (json, _) = try await client.callOK(
                        "POST", "\(engine)/sandboxEnvironments",
                        json: SandboxClient.createBody(SandboxTemplate(displayName: displayName)))
                    let op = try await client.waitForOperation(try LongRunningOperation(json: json))
                    return try #require(op.response?["name"]?.stringValue)
                }
                let ours = try await create("sb-abc-cut off")
                let other = try await create("sb-abcd-someone else")
                let leaks = await LeakSweep(client: client, ledger: SandboxLedger(), runID: "sb-abc").run(
                    RunEngine(name: engine, owned: false))
                #expect(leaks.isEmpty, "a sandbox deleted by the sweep is not left behind")
                #expect(try await client.sandboxNames(engine) == [other], "deleted \(ours) only")
            }
        }
    }

    @Test func createOperationsNameTheirSandbox() {
        let engine = "projects/p/locations/l/reasoningEngines/1"
        #expect(
            SandboxClient.sandboxOf(operation: "\(engine)/sandboxEnvironments/22/operations/3", engine: engine)
                == "\(engine)/sandboxEnvironments/22")
        for odd in [
            "\(engine)/operations/3", "\(engine)/sandboxEnvironments//operations/3", "\(engine)/sandboxEnvironments/22/x/3",
            "\(engine)/sandboxEnvironments/22/operations/3/4", "projects/q/sandboxEnvironments/22/operations/3",
            "\(engine)/sandboxEnvironments/2 2/operations/3"
        ] {
            #expect(SandboxClient.sandboxOf(operation: odd, engine: engine) == nil, "\(odd)")
        }
    }

    @Test func anEngineThatCannotBeCreatedErrorsEveryScenario() async throws {
        var target = TargetConfiguration(kind: .url("http://127.0.0.1:1"))
        target.requestTimeout = .seconds(5)
        let files = try scenarios(Self.oneSession + "\n  - name: second\n    steps:\n      - create: {}\n")
        let result = try await Orchestrator(target: target).run(files, options: RunOptions(), reports: SuiteReports())
        #expect(!result.passed)
        #expect(result.scenarios.count == 2)
        for scenario in result.scenarios {
            #expect(scenario.outcome == .error)
            #expect(scenario.steps.first?.name == "setup: create agent engine")
        }
    }

    @Test(.timeLimit(.minutes(2))) func cancellingARunStillDeletesItsSandboxes() async throws {
        try await withEmulator { base in
            let engine = try await withInspector(base) { try await $0.createEngine(displayName: "cancelled") }
            let (executes, executeSent) = AsyncStream.makeStream(of: String.self)
            var target = TargetConfiguration(kind: .url(base))
            target.engine = engine
            target.wrapTransport = { MeddlingTransport(base: $0, executeSent: executeSent) }
            let files = try scenarios(
                """
                scenarios:
                  - name: slow
                    steps:
                      - create: {}
                      - execute: import time; time.sleep(120)
                """)
            let run = Task { try await Orchestrator(target: target).run(files, options: RunOptions(), reports: SuiteReports()) }
            var iterator = executes.makeAsyncIterator()
            _ = await iterator.next() // the sleep is on its way: the sandbox exists
            #expect(try await withInspector(base) { try await $0.sandboxNames(engine) }.count == 1)
            run.cancel()
            let result = try await run.value
            #expect(result.scenarios.first?.outcome == .error)
            #expect(result.leaks.isEmpty)
            let left = try await withInspector(base) { try await $0.sandboxNames(engine) }
            #expect(left.isEmpty, "left alive after cancellation: \(left)")
        }
    }

    @Test func reportsAreWrittenAndAnUnwritablePathIsAReportFailure() async throws {
        let dir = NSTemporaryDirectory() + "sandbench-orch-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded), embedded: TestEmbeddedEmulator())
        let finished = AsyncStream.makeStream(of: Bool.self)
        let result = try await orchestrator.run(
            try scenarios(Self.oneSession), options: RunOptions(),
            reports: SuiteReports(junit: dir + "/j.xml", json: dir + "/r.json"),
            events: SuiteEvents(finished: { finished.continuation.yield($0.passed) }))
        #expect(result.passed)
        var seen = finished.stream.makeAsyncIterator()
        #expect(await seen.next() == true)
        #expect(try String(contentsOfFile: dir + "/j.xml", encoding: .utf8).contains("<testsuites"))
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8).contains("\"compute\""))
        let files = try scenarios(Self.oneSession)
        do {
            _ = try await orchestrator.run(
                files, options: RunOptions(),
                reports: SuiteReports(junit: "/dev/null/cannot/j.xml"))
            Issue.record("an unwritable report path did not fail")
        } catch {
            #expect(error.code == .report)
        }
    }

    @Test func loadRunsThePlanAndCleansUp() async throws {
        try await withEmulator { base in
            let file = try scenarios(Self.oneSession)[0]
            let request = LoadRequest(
                scenario: file.scenarios[0], file: file.path,
                plan: LoadPlan(model: .closed(vus: 1, iterations: 2, duration: nil, pacing: nil)),
                variables: Variables())
            let result = try await Orchestrator(target: TargetConfiguration(kind: .url(base))).load(request, reports: LoadReports())
            #expect(result.aborted == nil)
            #expect(result.session.count == 2)
            #expect(result.leaks.isEmpty)
            #expect(try await withInspector(base) { try await $0.engineNames() }.isEmpty)
        }
    }

    @Test func loadWithoutAnEngineIsAborted() async throws {
        var target = TargetConfiguration(kind: .url("http://127.0.0.1:1"))
        target.requestTimeout = .seconds(5)
        let file = try scenarios(Self.oneSession)[0]
        let warnings = AsyncStream.makeStream(of: String.self)
        let request = LoadRequest(
            scenario: file.scenarios[0], file: file.path,
            plan: LoadPlan(model: .closed(vus: 1, iterations: 1, duration: nil, pacing: nil)), variables: Variables())
        let result = try await Orchestrator(target: target).load(
            request, reports: LoadReports(),
            events: LoadEvents(warning: { warnings.continuation.yield($0) }))
        #expect(result.aborted?.contains("could not create the agent engine") == true)
        var iterator = warnings.stream.makeAsyncIterator()
        #expect(await iterator.next()?.contains("could not create the run's agent engine") == true)
    }
}
