import ArgumentParser
import Foundation
import HarnessCore
import HarnessReplay
import HarnessReports
import Orchestration

/// `sandbench replay`: turn cassettes into scenarios and run them, or write them out with `--emit`.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract:
            "Replay recorded cassettes against a target, "
            + "asserting the recorded answers (exit 0 all passed, 1 failures, 2 usage/config errors).",
        discussion: "Each cassette becomes one scenario: the run's engine plays the recording's, names the target mints are "
            + "substituted into later requests, and status, error status, state, stdout/stderr (normalised) and returned files (sha256) "
            + "are expected as recorded. --emit writes the scenarios as YAML instead of running them. See docs/cassettes.md."
    )

    @Argument(help: "Cassette files, or directories searched for cassettes.")
    var cassettes: [String]

    @Option(help: "Write the scenarios as YAML to this file (one cassette) or directory, and run nothing.")
    var emit: String?

    @Option(name: .customLong("var"), help: "Variable for ${NAME}, as NAME=VALUE (repeatable).")
    var variables: [String] = []

    @Option(help: "JUnit XML report path.")
    var junit: String = "reports/replay.xml"

    @Option(help: "JSON results path (none if not given).")
    var json: String?

    @OptionGroup var target: TargetOptions

    func validate() throws {
        for v in variables where !v.contains("=") { throw ValidationError("--var needs NAME=VALUE, got \"\(v)\"") }
        try target.validate()
    }

    func run() async throws {
        let plans: [ReplayPlan]
        do {
            plans = try ScenarioSources.cassettes(cassettes)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        guard !plans.isEmpty else {
            FileHandle.standardError.write(Data("no cassettes found in \(cassettes.joined(separator: " "))\n".utf8))
            throw ExitCode(2)
        }
        if let emit {
            do {
                for (file, plan) in zip(try ReplayPlan.emit(plans, to: emit), plans) {
                    print("\(file): \(plan.scenario.steps.count) steps from \(plan.path)")
                }
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        for plan in plans { FileHandle.standardOutput.write(Data((Self.summary(plan) + "\n").utf8)) }
        var options = RunOptions()
        options.runID = Orchestrator.newRunID()
        options.variables = commandLineVariables(variables)
        let reports = SuiteReports(junit: junit, json: json)
        try await runSuite(target) { orchestrator, events throws(RunFailure) in
            try await orchestrator.replay(plans, options: options, reports: reports, events: events)
        }
    }

    /// `replaying PATH: 22 exchanges → 19 steps (1 operation poll absorbed; 4 not replayed)`.
    static func summary(_ plan: ReplayPlan) -> String {
        let absorbed = plan.origins.reduce(0) { $0 + $1.absorbed.count }
        var notes: [String] = []
        if absorbed > 0 { notes.append("\(absorbed) operation poll\(absorbed == 1 ? "" : "s") absorbed") }
        if !plan.skipped.isEmpty { notes.append("\(plan.skipped.count) not replayed, listed by --emit") }
        let tail = notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"
        return "replaying \(plan.path): \(plan.cassette.exchanges.count) exchanges → \(plan.scenario.steps.count) steps\(tail)"
    }
}
