import ArgumentParser
import Foundation
import Orchestration

/// `sandbench merge`: join the JSON results of a plan's shards into one result and judge it.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract:
            "Merge the JSON results of `load --shard i/n` runs into the whole plan's result: histograms added, "
            + "counters summed, timelines aligned by wall-clock time, thresholds judged on the merged result."
    )

    @Argument(help: "The JSON result (`load --json`) of every shard of one plan, in any order.")
    var results: [String] = []

    @Option(
        name: .customLong("threshold"),
        help: "SLO such as 'execute.p99 < 250ms' (repeatable; judged on the merged result with the plan's own).")
    var thresholds: [String] = []

    @Option(help: "JSON result path (mergeable again).")
    var json: String?

    @Option(help: "JUnit XML path (one case per threshold).")
    var junit: String?

    @Option(help: "HTML report path (default: reports/NAME.html).")
    var html: String?

    func validate() throws {
        if results.isEmpty { throw ValidationError("give the JSON result of every shard (sandbench merge s0.json s1.json …)") }
        var overrides = LoadOverrides()
        overrides.thresholds = thresholds
        do { try overrides.validate() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let color = isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let reports = LoadReports(json: json, junit: junit, html: html)
        let status = LoadMerge.mergeWithConsole(
            paths: results, thresholds: thresholds, reports: reports, color: color, output: .process)
        if status != .passed { throw ExitCode(status.rawValue) }
    }
}
