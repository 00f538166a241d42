import ArgumentParser
import Foundation
import HarnessCore
import HarnessReports
import HarnessScenarios

/// `sandbench run`: run scenario files against a target, assert every step, write JUnit and JSON.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenario files against a target and report JUnit XML (exit 0 all passed, 1 failures, 2 usage/config errors)."
    )

    @Argument(help: "Scenario files or directories (default: scenarios/).")
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
            files = try ScenarioLoader.load(paths: paths.isEmpty ? ["scenarios"] : paths)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        var options = RunOptions()
        options.concurrency = concurrency
        options.tags = tags
        options.engine = target.engine
        options.runID = "sb-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        options.variables = commandLineVariables(variables)
        let selectedCount = files.reduce(0) { $0 + $1.scenarios.count }
        guard selectedCount > 0 else {
            FileHandle.standardError.write(Data("no scenarios found\n".utf8))
            throw ExitCode(2)
        }
        let console = ConsoleReporter(isTTY: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
        let ledger = SandboxLedger()
        let interrupts = Interrupts()
        let startedAt = Date().timeIntervalSince1970
        let opts = options
        let result = try await target.withClient { client, description in
            let runner = SuiteRunner(client: client, options: opts, ledger: ledger, onScenarioFinished: { scenario in
                FileHandle.standardOutput.write(Data(console.render(scenario).utf8))
            })
            let task = Task { await runner.run(files, target: description, startedAt: startedAt) }
            interrupts.arm(cancel: { task.cancel() }, ledger: ledger)
            return await task.value
        }
        FileHandle.standardOutput.write(Data(console.renderSummary(result).utf8))
        do {
            try JUnitReport.write(result, to: junit)
            if let json { try JSONReport.write(result, to: json) }
        } catch {
            FileHandle.standardError.write(Data("cannot write a report: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if !result.leaks.isEmpty {
            FileHandle.standardError.write(Data("leaked sandboxes (still alive after clean-up; now deleted):\n\(result.leaks.joined(separator: "\n"))\n".utf8))
        }
        if !result.passed { throw ExitCode(1) }
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
            let files = try ScenarioLoader.load(paths: paths.isEmpty ? ["scenarios"] : paths)
            let count = files.reduce(0) { $0 + $1.scenarios.count }
            print("\(files.count) file(s), \(count) scenario(s): OK")
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            FileHandle.standardError.write(Data("\(error.errors.count) problem(s) found\n".utf8))
            throw ExitCode(2)
        }
    }
}
