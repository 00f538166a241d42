import Foundation
import HarnessCore
import HarnessReports
import Orchestration
import Synchronization
import Testing

/// What a command prints, captured.
final class CapturedOutput: Sendable {
    private let out = Mutex(""), err = Mutex("")

    var output: CommandOutput {
        CommandOutput(
            standardOutput: { text in self.out.withLock { $0 += text } },
            standardError: { text in self.err.withLock { $0 += text } })
    }
    var standardOutput: String { out.withLock { $0 } }
    var standardError: String { err.withLock { $0 } }
}

/// The runner the commands call, with its console: exit status, what is printed, leaks and failures.
@Suite struct ConsoleRunTests {
    static let console = ConsoleReporter(isTTY: false, environment: [:])

    @Test func aPassingRunPrintsEachScenarioAndTheSummary() async throws {
        let captured = CapturedOutput()
        let files = try scenarios(OrchestratorTests.oneSession)
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded), embedded: TestEmbeddedEmulator())
        let status = await orchestrator.runWithConsole(Self.console, output: captured.output) { orchestrator, events throws(RunFailure) in
            try await orchestrator.run(files, options: RunOptions(), reports: SuiteReports(), events: events)
        }
        #expect(status == .passed, "\(captured.standardOutput)\n\(captured.standardError)")
        #expect(captured.standardOutput.contains("PASS"))
        #expect(captured.standardOutput.contains("compute"))
        #expect(captured.standardOutput.contains("1 passed"))
        #expect(captured.standardError.isEmpty)
    }

    @Test func aLeakFailsTheRunAndIsNamedOnStandardError() async throws {
        try await withEmulator { base in
            var target = TargetConfiguration(kind: .url(base))
            target.wrapTransport = { MeddlingTransport(base: $0, failFirstSandboxDelete: true) }
            let captured = CapturedOutput()
            let files = try scenarios(OrchestratorTests.oneSession)
            let orchestrator = Orchestrator(target: target)
            let status = await orchestrator.runWithConsole(Self.console, output: captured.output) { o, events throws(RunFailure) in
                try await o.run(files, options: RunOptions(), reports: SuiteReports(), events: events)
            }
            #expect(status == .failed)
            #expect(captured.standardError.contains("leaked sandboxes"), "\(captured.standardError)")
            #expect(captured.standardError.contains("/sandboxEnvironments/"))
        }
    }

    @Test func aRunThatCannotStartExitsTwoWithTheReason() async throws {
        let captured = CapturedOutput()
        let files = try scenarios(OrchestratorTests.oneSession)
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded)) // no embedded server supplied
        let status = await orchestrator.runWithConsole(Self.console, output: captured.output) { orchestrator, events throws(RunFailure) in
            try await orchestrator.run(files, options: RunOptions(), reports: SuiteReports(), events: events)
        }
        #expect(status == .usage)
        #expect(captured.standardError.contains("supplies none"), "\(captured.standardError)")
        #expect(captured.standardOutput.isEmpty)
    }

    @Test func aFailedScenarioExitsOne() async throws {
        let yaml = OrchestratorTests.oneSession.replacingOccurrences(of: "42", with: "41")
        let captured = CapturedOutput()
        let files = try scenarios(yaml)
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded), embedded: TestEmbeddedEmulator())
        let status = await orchestrator.runWithConsole(Self.console, output: captured.output) { orchestrator, events throws(RunFailure) in
            try await orchestrator.run(files, options: RunOptions(), reports: SuiteReports(), events: events)
        }
        #expect(status == .failed)
        #expect(captured.standardOutput.contains("FAIL"))
        #expect(captured.standardOutput.contains("41"))
    }

    @Test func loadWithConsolePrintsTheTableAndHonoursThresholds() async throws {
        try await withEmulator { base in
            let file = try scenarios(OrchestratorTests.oneSession)[0]
            var overrides = LoadOverrides()
            overrides.vus = 1
            overrides.iterations = 2
            overrides.thresholds = ["errors.rate < 1%"]
            var request = LoadRequest(
                scenario: file.scenarios[0], file: file.path, plan: try overrides.apply(to: nil),
                variables: Variables())
            let captured = CapturedOutput()
            let orchestrator = Orchestrator(target: TargetConfiguration(kind: .url(base)))
            let events = LoadEvents.console(isTTY: false, color: false, output: captured.output)
            let passed = await orchestrator.loadWithConsole(request, reports: LoadReports(), events: events, output: captured.output)
            #expect(passed == .passed, "\(captured.standardOutput)\n\(captured.standardError)")
            #expect(captured.standardOutput.contains("execute"), "the table lists the operations")
            #expect(!captured.standardOutput.contains("\u{1B}"), "no progress line and no colour off a terminal")

            // A threshold no run can meet fails the run (exit 1), with the table still printed.
            request.plan.thresholds = ["execute.p99 < 1us"]
            let breached = CapturedOutput()
            let status = await orchestrator.loadWithConsole(
                request, reports: LoadReports(),
                events: .console(isTTY: false, color: false, output: breached.output),
                output: breached.output)
            #expect(status == .failed)
            #expect(breached.standardOutput.contains("execute.p99"))
        }
    }
}

@Suite struct LoadOverridesTests {
    static let closedFile = LoadPlan(
        model: .closed(vus: 4, iterations: 10, duration: nil, pacing: .milliseconds(50)),
        thresholds: ["errors.rate < 1%"])
    static let openFile = LoadPlan(model: .open(rate: 20, duration: .seconds(30), maxInFlight: 7))

    @Test func noOverridesKeepTheFilesPlan() throws {
        #expect(try LoadOverrides().apply(to: Self.closedFile) == Self.closedFile)
        #expect(try LoadOverrides().apply(to: nil) == LoadPlan(model: .closed(vus: 1, iterations: 1, duration: nil, pacing: nil)))
    }

    @Test func rateMakesAnOpenPlanWithTheFilesDuration() throws {
        var overrides = LoadOverrides()
        overrides.rate = 50
        #expect(try overrides.apply(to: Self.openFile).model == .open(rate: 50, duration: .seconds(30), maxInFlight: 7))
        #expect(throws: RunFailure.self) { try overrides.apply(to: Self.closedFile) } // no duration anywhere
        overrides.duration = .seconds(5)
        #expect(try overrides.apply(to: Self.closedFile).model == .open(rate: 50, duration: .seconds(5), maxInFlight: 1000))
    }

    @Test func durationReplacesTheFilesIterationsAndTheOtherWayRound() throws {
        var byTime = LoadOverrides()
        byTime.duration = .seconds(3)
        #expect(
            try byTime.apply(to: Self.closedFile).model
                == .closed(vus: 4, iterations: nil, duration: .seconds(3), pacing: .milliseconds(50)))
        let timed = LoadPlan(model: .closed(vus: 2, iterations: nil, duration: .seconds(9), pacing: nil))
        var byCount = LoadOverrides()
        byCount.iterations = 3
        #expect(try byCount.apply(to: timed).model == .closed(vus: 2, iterations: 3, duration: nil, pacing: nil))
    }

    @Test func vusTurnAnOpenPlanClosed() throws {
        var overrides = LoadOverrides()
        overrides.vus = 3
        overrides.seed = 9
        overrides.thresholds = ["execute.p99 < 250ms"]
        overrides.abortOnFail = true
        let plan = try overrides.apply(to: Self.openFile)
        #expect(plan.model == .closed(vus: 3, iterations: nil, duration: nil, pacing: nil))
        #expect(plan.seed == 9)
        #expect(plan.abortOnFail)
        #expect(try overrides.apply(to: Self.closedFile).thresholds == ["errors.rate < 1%", "execute.p99 < 250ms"])
    }

    @Test(
        arguments: [
            { (o: inout LoadOverrides) in o.rate = 0 },
            { (o: inout LoadOverrides) in o.rate = .infinity },
            { (o: inout LoadOverrides) in o.rate = .nan },
            { (o: inout LoadOverrides) in o.vus = 0 },
            { (o: inout LoadOverrides) in o.vus = LoadPlan.maxVirtualUsers + 1 },
            { (o: inout LoadOverrides) in o.iterations = 0 },
            { (o: inout LoadOverrides) in o.maxInFlight = -1 },
            { (o: inout LoadOverrides) in
                o.rate = 1
                o.vus = 1
            },
            { (o: inout LoadOverrides) in o.thresholds = ["fast please"] }
        ] as [@Sendable (inout LoadOverrides) -> Void])
    func badValuesAreConfigurationFailures(_ change: @Sendable (inout LoadOverrides) -> Void) {
        var overrides = LoadOverrides()
        change(&overrides)
        #expect(throws: RunFailure.self) { try overrides.validate() }
    }

    @Test func theScenarioIsChosenByNameOrByItsLoadBlock() throws {
        let file = try scenarios(
            """
            scenarios:
              - name: plain
                steps: [{create: {}}]
              - name: loaded
                load: {vus: 2, iterations: 1}
                steps: [{create: {}}]
            """)[0]
        #expect(try LoadRequest.scenario(named: nil, in: file).name == "loaded")
        #expect(try LoadRequest.scenario(named: "plain", in: file).name == "plain")
        #expect(throws: RunFailure.self) { try LoadRequest.scenario(named: "missing", in: file) }
        #expect(LoadReports.defaultHTMLPath(scenario: "Hello, World!  v2") == "reports/hello-world-v2.html")
        #expect(LoadReports.defaultHTMLPath(scenario: "???") == "reports/load.html")
    }

    @Test(arguments: [("emulator", TargetName.emulator), ("vertex", .vertex), ("http://127.0.0.1:8080", .url("http://127.0.0.1:8080"))])
    func targetNames(_ text: String, _ name: TargetName) {
        #expect(TargetName(parsing: text) == name)
        #expect(name.description == text)
    }

    @Test(arguments: ["", "Emulator", "ftp://x", "http://", "127.0.0.1:8080"])
    func badTargetNames(_ text: String) {
        #expect(TargetName(parsing: text) == nil)
    }
}
