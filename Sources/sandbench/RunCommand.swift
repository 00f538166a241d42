import ArgumentParser
import Foundation
import HarnessCore
import HarnessReplay
import HarnessReports
import HarnessScenarios
import Orchestration

/// `sandbench run`: run scenario files against a target, assert every step, write JUnit and JSON.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenario files against a target and report JUnit XML (exit 0 all passed, 1 failures, 2 usage/config errors)."
    )

    @Argument(help: "Scenario files or directories (default: scenarios/); a cassette named here is replayed.")
    var paths: [String] = []

    @Option(help: "Scenarios run at once.")
    var concurrency: Int = 4

    @Option(name: .customLong("tag"), help: "Run only scenarios with this tag (repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("var"), help: "Variable for ${NAME} in scenarios, as NAME=VALUE (repeatable).")
    var variables: [String] = []

    @Option(help: "JUnit XML report path.")
    var junit: String = "reports/junit.xml"

    @Option(help: "JSON results path (none if not given).")
    var json: String?

    @OptionGroup var target: TargetOptions

    func validate() throws {
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1...10000") }
        for v in variables where !v.contains("=") { throw ValidationError("--var needs NAME=VALUE, got \"\(v)\"") }
        try target.validate()
    }

    func run() async throws {
        let files: [ScenarioFile]
        do {
            // A cassette named on its own is replayed; scenarios run side by side, so lists are not counted.
            files = try ScenarioSources.load(paths: paths.isEmpty ? ["scenarios"] : paths, options: ReplayOptions(listCounts: false))
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        var options = RunOptions()
        options.concurrency = concurrency
        options.tags = tags
        options.runID = Orchestrator.newRunID()
        options.variables = commandLineVariables(variables)
        let selectedCount = files.reduce(0) { $0 + $1.scenarios.count }
        guard selectedCount > 0 else {
            FileHandle.standardError.write(Data("no scenarios found\n".utf8))
            throw ExitCode(2)
        }
        let reports = SuiteReports(junit: junit, json: json)
        try await runSuite(target) { orchestrator, events throws(RunFailure) in
            try await orchestrator.run(files, options: options, reports: reports, events: events)
        }
    }
}

/// `sandbench validate`: check scenario files without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files: unknown keys, wrong types, missing fields, bad durations (exit 2 on any problem)."
    )

    @Argument(help: "Scenario files or directories (default: scenarios/).")
    var paths: [String] = []

    func run() throws {
        do {
            let files = try ScenarioSources.load(paths: paths.isEmpty ? ["scenarios"] : paths)
            let count = files.reduce(0) { $0 + $1.scenarios.count }
            print("\(files.count) file(s), \(count) scenario(s): OK")
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            FileHandle.standardError.write(Data("\(error.errors.count) problem(s) found\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// Runs a suite (`run`, `replay`) through the target's orchestrator with console output; exits 1
/// when the run did not pass, and with the failure's status when it could not run.
func runSuite(
    _ target: TargetOptions,
    _ body: (Orchestrator, SuiteEvents) async throws(RunFailure) -> RunResult
) async throws {
    let console = ConsoleReporter(isTTY: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
    let orchestrator = try target.orchestrator()
    let status = await orchestrator.runWithConsole(console, output: .process, body)
    if status != .passed { throw ExitCode(status.rawValue) }
}
