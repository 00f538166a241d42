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
        abstract: "Drive a scenario as concurrent sessions (open or closed model), measure latency without coordinated omission, judge SLO thresholds."
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
    var duration: String?

    @Option(help: "Closed model: iterations per virtual user.")
    var iterations: Int?

    @Option(help: "Closed model: start each VU's iterations this far apart (measures from the intended start).")
    var pacing: String?

    @Option(help: "Open model: most sessions in flight; arrivals beyond it are dropped and counted.")
    var maxInFlight: Int?

    @Option(help: "Seed for Poisson arrivals and anything random in the plan.")
    var seed: UInt64?

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

    @Option(help: "Seconds in-flight sessions may run after the plan ends before they are cancelled.")
    var grace: String = "30s"

    @OptionGroup var target: TargetOptions

    func validate() throws {
        try target.validate()
        if let rate, !(rate > 0 && rate <= LoadPlan.maxRate) { throw ValidationError("--rate must be positive and at most \(Int(LoadPlan.maxRate))") }
        if let vus, !(1...LoadPlan.maxVirtualUsers).contains(vus) { throw ValidationError("--vus must be 1...\(LoadPlan.maxVirtualUsers)") }
        if let iterations, iterations < 1 { throw ValidationError("--iterations must be at least 1") }
        if let maxInFlight, !(1...LoadPlan.maxVirtualUsers).contains(maxInFlight) {
            throw ValidationError("--max-in-flight must be 1...\(LoadPlan.maxVirtualUsers)")
        }
        if let duration { _ = try EmulatorOptions.duration(duration, flag: "--duration") }
        if let pacing { _ = try EmulatorOptions.duration(pacing, flag: "--pacing") }
        _ = try EmulatorOptions.duration(grace, flag: "--grace")
        for t in thresholds where Threshold.parse(t) == nil {
            throw ValidationError("--threshold \"\(t)\" is not of the form METRIC.STAT < VALUE (e.g. execute.p99 < 250ms, errors.rate < 1%)")
        }
        for v in variables where !v.contains("=") { throw ValidationError("--var needs NAME=VALUE, got \"\(v)\"") }
    }

    /// The file's plan with the command line's overrides applied.
    func plan(for scenario: Scenario) throws -> LoadPlan {
        var plan = scenario.load ?? LoadPlan(model: .closed(vus: 1, iterations: 1, duration: nil, pacing: nil))
        let d = try duration.map { try EmulatorOptions.duration($0, flag: "--duration") }
        let p = try pacing.map { try EmulatorOptions.duration($0, flag: "--pacing") }
        if let rate {
            var maxIn = maxInFlight ?? 1000
            var total = d
            if case .open(_, let fileDuration, let fileMax) = plan.model { total = total ?? fileDuration; maxIn = maxInFlight ?? fileMax }
            guard let total else { throw ValidationError("--rate needs --duration (or a duration in the file)") }
            plan.model = .open(rate: rate, duration: total, maxInFlight: maxIn)
            if vus != nil { throw ValidationError("give --rate (open model) or --vus (closed model), not both") }
        } else if vus != nil || iterations != nil || d != nil || p != nil || maxInFlight != nil {
            switch plan.model {
            case .closed(let fileVUs, let fileIterations, let fileDuration, let filePacing):
                let newIterations = d != nil && iterations == nil ? nil : (iterations ?? fileIterations)
                plan.model = .closed(vus: vus ?? fileVUs, iterations: newIterations, duration: d ?? (iterations != nil ? nil : fileDuration),
                                     pacing: p ?? filePacing)
            case .open(let r, let fileDuration, let fileMax):
                if let vus { plan.model = .closed(vus: vus, iterations: iterations, duration: d, pacing: p) } else {
                    plan.model = .open(rate: r, duration: d ?? fileDuration, maxInFlight: maxInFlight ?? fileMax)
                }
            }
        }
        if let seed { plan.seed = seed }
        plan.thresholds += thresholds
        if abortOnFail { plan.abortOnFail = true }
        return plan
    }

    func run() async throws {
        let file: ScenarioFile
        // A cassette is replayed as the scenario; concurrent sessions share the engine, so lists are not counted.
        do { file = try ScenarioSources.load(path: scenarioFile, options: ReplayOptions(listCounts: false)) } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        let chosen: Scenario
        if let name = scenario {
            guard let s = file.scenarios.first(where: { $0.name == name }) else {
                FileHandle.standardError.write(Data("\(scenarioFile): no scenario named \"\(name)\" (have: \(file.scenarios.map(\.name).joined(separator: ", ")))\n".utf8))
                throw ExitCode(2)
            }
            chosen = s
        } else {
            chosen = file.scenarios.first { $0.load != nil } ?? file.scenarios[0]
        }
        let plan: LoadPlan
        do { plan = try self.plan(for: chosen) } catch let error as ValidationError {
            FileHandle.standardError.write(Data("\(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let isTTY = isatty(STDOUT_FILENO) == 1
        let color = isTTY && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let request = LoadRequest(scenario: chosen, file: file.path, plan: plan, variables: commandLineVariables(variables),
                                  grace: try EmulatorOptions.duration(grace, flag: "--grace"))
        let htmlPath = html ?? "reports/\(Self.slug(chosen.name)).html"
        let events = LoadEvents(
            progress: { snapshot, elapsed, total in
                guard isTTY else { return }
                FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + LoadProgress.line(snapshot, elapsed: elapsed, total: total)).utf8))
            },
            sessionsEnded: { if isTTY { FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8)) } },
            warning: { FileHandle.standardError.write(Data("\($0)\n".utf8)) },
            finished: { print(LoadTable.render($0, color: color)) }
        )
        let orchestrator = try target.orchestrator()
        let result: LoadResult
        do {
            result = try await orchestrator.load(request, reports: LoadReports(json: json, junit: junit, html: htmlPath), events: events)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(error.exitCode)
        }
        print("HTML report: \(htmlPath)")
        if !result.passed || result.aborted != nil { throw ExitCode(1) }
    }

    static func slug(_ name: String) -> String {
        let allowed = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return String(allowed).split(separator: "-").joined(separator: "-")
    }
}
