import ArgumentParser
import Foundation
import HarnessCore
import HarnessReplay
import HarnessReports
import HarnessScenarios
import Orchestration

/// `sandbench capacity`: the highest arrival rate at which a scenario meets its SLOs.
struct CapacityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Find the highest arrival rate at which every SLO holds: rates doubling from --start, then a binary search.",
        discussion: """
            Each step holds one arrival rate (open model) for --step-duration; sessions intended in its first --settle \
            are not judged. A step fails when an SLO is missed, an arrival is dropped (--max-in-flight reached), or a \
            step errors or misses an expectation (unless an SLO on errors, failures or checks allows some). \
            Exit 0 when a capacity was found, 1 when even --start fails, 2 for usage errors.
            """
    )

    @Argument(help: "Scenario file holding the scenario to drive, or a cassette to replay as load.")
    var scenarioFile: String

    @Option(help: "Scenario name (default: the first one with a load: block, else the first).")
    var scenario: String?

    @Option(name: .customLong("slo"), help: "Objective such as 'session.p99 < 1s' (repeatable; added to the file's thresholds).")
    var slos: [String] = []

    @Option(help: "First arrival rate tried, sessions per second.")
    var start: Double = 1

    @Option(help: "Highest arrival rate tried.")
    var max: Double = 10_000

    @Option(help: "How long each step holds its rate.")
    var stepDuration = FlagDuration(.seconds(20), text: "20s")

    @Option(help: "The start of each step whose sessions are not judged.")
    var settle = FlagDuration(.seconds(5), text: "5s")

    @Option(help: "Stop when the failing rate is within this much of the passing one, e.g. 5%.")
    var resolution = "5%"

    @Option(help: "Most steps run.")
    var maxSteps: Int = 20

    @Option(help: "Run a failing step again up to this many times (0...3); its rate fails only if every run fails.")
    var rechecks: Int = 1

    @Option(help: "Most sessions in flight; an arrival beyond it is dropped and fails the step.")
    var maxInFlight: Int = 1000

    @Option(help: "Seed for Poisson arrivals (when the file's load block asks for them).")
    var seed: UInt64?

    @Option(name: .customLong("var"), help: "Variable for ${NAME}, as NAME=VALUE (repeatable).")
    var variables: [String] = []

    @Option(help: "JSON report path (default: reports/NAME-capacity.json).")
    var json: String?

    @Option(help: "JUnit XML path, one case per step and the result (default: reports/NAME-capacity.xml).")
    var junit: String?

    @Option(help: "HTML report path (default: reports/NAME-capacity.html).")
    var html: String?

    @OptionGroup var target: TargetOptions

    func validate() throws {
        try target.validate()
        guard resolutionFraction != nil else {
            throw ValidationError("--resolution must be a percentage such as 5%, not \"\(resolution)\"")
        }
        do {
            try CapacityRequest.validate(
                slos: slos, search: search, stepDuration: stepDuration.duration, settle: settle.duration, maxInFlight: maxInFlight,
                rechecks: rechecks)
        } catch {
            throw ValidationError(error.message)
        }
        for v in variables where !v.contains("=") { throw ValidationError("--var needs NAME=VALUE, got \"\(v)\"") }
    }

    /// `--resolution` as a fraction (`5%` → 0.05); nil when it is not a finite percentage.
    var resolutionFraction: Double? {
        let text = resolution.hasSuffix("%") ? String(resolution.dropLast()) : resolution
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        return value / 100
    }

    var search: CapacitySearch.Configuration {
        CapacitySearch.Configuration(start: start, max: max, resolution: resolutionFraction ?? 0.05, maxSteps: maxSteps)
    }

    func run() async throws {
        var request: CapacityRequest
        do {
            let file = try ScenarioSources.load(path: scenarioFile, options: ReplayOptions(listCounts: false))
            let chosen = try LoadRequest.scenario(named: scenario, in: file)
            let slos = (chosen.load?.thresholds ?? []) + self.slos
            try CapacityRequest.validate(
                slos: slos, search: search, stepDuration: stepDuration.duration, settle: settle.duration, maxInFlight: maxInFlight,
                rechecks: rechecks)
            request = CapacityRequest(
                scenario: chosen, file: file.path, slos: slos, search: search, stepDuration: stepDuration.duration,
                settle: settle.duration, maxInFlight: maxInFlight, seed: seed ?? chosen.load?.seed,
                poissonArrivals: chosen.load?.poissonArrivals ?? false, variables: commandLineVariables(variables))
            request.rechecks = rechecks
        } catch let error as ScenarioErrors {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        } catch let failure as RunFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(failure.exitStatus.rawValue)
        }
        let base = String(LoadReports.defaultHTMLPath(scenario: request.scenario.name).dropLast(".html".count)) + "-capacity"
        let reports = CapacityReports(json: json ?? base + ".json", junit: junit ?? base + ".xml", html: html ?? base + ".html")
        let orchestrator = try target.orchestrator()
        let status = await orchestrator.capacityWithConsole(
            request, reports: reports, events: .console(isTTY: isatty(STDOUT_FILENO) == 1, output: .process), output: .process)
        if status != .passed { throw ExitCode(status.rawValue) }
    }
}
