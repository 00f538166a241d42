import ArgumentParser
import Foundation
import HarnessCore
import HarnessReplay
import HarnessReports
import HarnessScenarios
import Orchestration
import SandboxAPI

/// `sandbench load`: run one scenario as concurrent sessions under an open or closed workload.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract:
            "Drive a scenario as concurrent sessions (open or closed model), "
            + "measure latency without coordinated omission, judge SLO thresholds."
    )

    @Argument(help: "Scenario file holding the scenario to load-test, or a cassette to replay as load.")
    var scenarioFile: String

    @Option(help: "Scenario name (default: the first one with a load: block, else the first).")
    var scenario: String?

    @Option(help: "Open model: sessions per second (overrides the file).")
    var rate: Double?

    @Option(help: "Closed model: virtual users (overrides the file).")
    var vus: Int?

    @Option(help: "Run time, e.g. 30s.")
    var duration: FlagDuration?

    @Option(help: "Closed model: iterations per virtual user.")
    var iterations: Int?

    @Option(help: "Closed model: start each VU's iterations this far apart (measures from the intended start).")
    var pacing: FlagDuration?

    @Option(help: "Open model: most sessions in flight; arrivals beyond it are dropped and counted.")
    var maxInFlight: Int?

    @Option(help: "Seed for Poisson arrivals and anything random in the plan.")
    var seed: UInt64?

    @Option(
        help: ArgumentHelp(
            "Run slice I of N of the plan (0 <= I < N): every N-th VU or arrival; `sandbench merge` joins the N results.",
            valueName: "I/N"),
        transform: { text in
            do { return try LoadShard.parse(text) } catch { throw ValidationError("\(error)") }
        })
    var shard: LoadShard?

    @Option(
        help: """
            Start the first session at this wall-clock time — RFC 3339 (2026-12-01T09:30:00Z) or Unix seconds, \
            at most 24 h ahead — so shards on several machines start together (after their engines are ready).
            """)
    var startAt: String?

    @Option(name: .customLong("threshold"), help: "SLO such as 'execute.p99 < 250ms' (repeatable; added to the file's).")
    var thresholds: [String] = []

    @Flag(help: "Stop as soon as a threshold is breached.")
    var abortOnFail = false

    @Option(name: .customLong("var"), help: "Variable for ${NAME}, as NAME=VALUE (repeatable).")
    var variables: [String] = []

    @Option(help: "JSON summary path (histograms included, mergeable).")
    var json: String?

    @Option(help: "JUnit XML path (one case per threshold).")
    var junit: String?

    @Option(help: "HTML report path (default: reports/NAME.html).")
    var html: String?

    @Option(help: "How long in-flight sessions may run after the plan ends before they are cancelled.")
    var grace = FlagDuration(.seconds(30), text: "30s")

    @OptionGroup var target: TargetOptions

    func validate() throws {
        try target.validate()
        do { try overrides.validate() } catch { throw ValidationError(error.message) }
        if let startAt, StartTime(argument: startAt) == nil {
            throw ValidationError(
                "--start-at must be an RFC 3339 time such as 2026-12-01T09:30:00Z, or Unix seconds, at most 24 h from now; "
                    + "got \"\(startAt.prefix(100))\"")
        }
        for v in variables where !v.contains("=") { throw ValidationError("--var needs NAME=VALUE, got \"\(v)\"") }
    }

    /// The command line's changes to the file's plan.
    var overrides: LoadOverrides {
        var overrides = LoadOverrides()
        overrides.rate = rate
        overrides.vus = vus
        overrides.duration = duration?.duration
        overrides.iterations = iterations
        overrides.pacing = pacing?.duration
        overrides.maxInFlight = maxInFlight
        overrides.seed = seed
        overrides.thresholds = thresholds
        overrides.abortOnFail = abortOnFail
        return overrides
    }

    func run() async throws {
        var request: LoadRequest
        do {
            // A cassette is replayed as the scenario; concurrent sessions share the engine, so lists are not counted.
            let file = try ScenarioSources.load(path: scenarioFile, options: ReplayOptions(listCounts: false))
            let chosen = try LoadRequest.scenario(named: scenario, in: file)
            request = LoadRequest(
                scenario: chosen, file: file.path, plan: try overrides.apply(to: chosen.load),
                variables: commandLineVariables(variables), grace: grace.duration, shard: shard ?? .whole)
            request.startAt = startAt.flatMap { StartTime(argument: $0)?.unixSeconds }
        } catch let error as ScenarioErrors {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        } catch let failure as RunFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(failure.exitStatus.rawValue)
        }
        let isTTY = isatty(STDOUT_FILENO) == 1
        let color = isTTY && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let reports = LoadReports(json: json, junit: junit, html: html ?? LoadReports.defaultHTMLPath(scenario: request.scenario.name))
        let orchestrator = try target.orchestrator()
        let status = await orchestrator.loadWithConsole(
            request, reports: reports,
            events: .console(isTTY: isTTY, color: color, output: .process), output: .process)
        if status != .passed { throw ExitCode(status.rawValue) }
    }
}
