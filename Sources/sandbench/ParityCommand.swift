import ArgumentParser
import Foundation
import HarnessCore
import HarnessParity
import HarnessReplay
import HarnessReports
import HarnessScenarios
import Orchestration

/// `sandbench parity`: run the same scenarios against a reference and a candidate (or compare the
/// candidate with a recorded reference) and report every difference by JSON path.
struct ParityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Compare a candidate with a reference step by step, by JSON path, with known gaps "
            + "(exit 0 no unexplained difference, 1 some, 2 usage/config errors)."
    )

    @Argument(help: "Scenario files, directories or cassettes (default: scenarios/, or the reference cassette).")
    var paths: [String] = []

    @Option(help: "The reference: emulator, a URL, vertex, a cassette, or a snapshot folder written by --update-snapshots.")
    var reference: String

    @Option(help: "The candidate: emulator, a URL or vertex (may be left out with --update-snapshots).")
    var candidate: String?

    @Option(help: "Known gaps (parity-gaps.yaml): differences reported as skipped with their reason; see docs/parity.md.")
    var gaps: String?

    @Option(help: "Write the live reference's normalised answers to this folder, one JSON file per scenario.")
    var updateSnapshots: String?

    @Option(help: "Fail when a candidate/reference ratio of p50 or p99 of an operation is above this (default: report only).")
    var latencyRatio: Double?

    @Option(name: .customLong("tag"), help: "Compare only scenarios with this tag (repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("var"), help: "Variable for ${NAME} in scenarios, as NAME=VALUE (repeatable).")
    var variables: [String] = []

    @Option(help: "JUnit XML report path: one case per scenario × step.")
    var junit: String = "reports/parity-junit.xml"

    @Option(help: "JSON report path (none if not given).")
    var json: String?

    @Option(help: "HTML report path, diffs side by side.")
    var html: String = "reports/parity.html"

    @Option(help: "Reuse this agent engine on live sides instead of creating and deleting one.")
    var engine: String?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        for v in variables where !v.contains("=") { throw ValidationError("--var needs NAME=VALUE, got \"\(v)\"") }
        if let ratio = latencyRatio, !(ratio.isFinite && ratio > 0 && ratio <= 1e6) {
            throw ValidationError("--latency-ratio must be a number above 0 (e.g. 2 for twice as slow)")
        }
        if Self.isFolder(reference) || Self.isFile(reference) {
            if updateSnapshots != nil { throw ValidationError("--update-snapshots needs a live --reference (emulator, a URL or vertex)") }
            if Self.isFile(reference), !ScenarioSources.isCassette(reference) {
                throw ValidationError("--reference \(reference) is a file but not a cassette (format: sandbench-cassette/1)")
            }
        } else {
            try connection.validate(target: ConnectionOptions.targetName(reference, flag: "--reference"), flag: "--reference")
        }
        if let candidate {
            guard !Self.isFolder(candidate), !Self.isFile(candidate) else {
                throw ValidationError("--candidate must be emulator, a URL or vertex: a recorded side can only be the reference")
            }
            try connection.validate(target: ConnectionOptions.targetName(candidate, flag: "--candidate"), flag: "--candidate")
        } else if updateSnapshots == nil {
            throw ValidationError("--candidate is required (only --update-snapshots may record the reference alone)")
        }
    }

    static func isFolder(_ text: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func isFile(_ text: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    func source(_ text: String, flag: String, plan: ReplayPlan?) throws -> ParitySource {
        if let plan { return .cassette(plan) }
        if Self.isFolder(text) { return .snapshots(text) }
        var configuration = try connection.configuration(target: ConnectionOptions.targetName(text, flag: flag), flag: flag)
        configuration.engine = engine
        return .live(Orchestrator(target: configuration, embedded: try connection.embeddedEmulator(), interruption: .signals))
    }

    func run() async throws {
        var files: [ScenarioFile] = []
        var gapsFile = ParityGaps()
        var plan: ReplayPlan?
        do {
            if Self.isFile(reference) {
                do { plan = try ReplayPlan.load(path: reference) } catch {
                    throw ScenarioErrors([ScenarioError(error.location, error.message)])
                }
            }
            if let plan, paths.isEmpty {
                files = [plan.scenarioFile]
            } else {
                files = try ScenarioSources.load(paths: paths.isEmpty ? ["scenarios"] : paths)
            }
            if let gaps { gapsFile = try ParityGaps.load(path: gaps) }
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        guard files.contains(where: { !$0.scenarios.isEmpty }) else {
            FileHandle.standardError.write(Data("no scenarios found\n".utf8))
            throw ExitCode(2)
        }
        // A cassette's expectations are its recording: the comparison judges the candidate against it.
        let recorded = files.filter { ScenarioSources.isCassette($0.path) }.count
        guard recorded == 0 || recorded == files.count else {
            let message = "give either cassettes or scenario files, not both: cassettes are compared without their own expectations\n"
            FileHandle.standardError.write(Data(message.utf8))
            throw ExitCode(2)
        }
        let request = ParityRequest(
            files: files, reference: try source(reference, flag: "--reference", plan: plan),
            candidate: try candidate.map { try source($0, flag: "--candidate", plan: nil) }, gaps: gapsFile,
            latencyBound: latencyRatio, updateSnapshots: updateSnapshots, tags: tags,
            variables: commandLineVariables(variables), judgesExpectations: recorded == 0)
        let console = ParityConsole(isTTY: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
        let events = ParityEvents(
            sideStarted: { FileHandle.standardOutput.write(Data("running the \($0)\n".utf8)) },
            snapshotsWritten: { files in
                FileHandle.standardOutput.write(Data("wrote \(files.count) snapshot file(s) to \(updateSnapshots ?? "")\n".utf8))
            },
            finished: { FileHandle.standardOutput.write(Data(console.render($0).utf8)) }
        )
        let outcome: ParityOutcome
        do {
            outcome = try await Orchestrator.parity(
                request, interruption: .signals,
                reports: ParityReports(junit: junit, json: json, html: html), events: events)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(error.exitStatus.rawValue)
        }
        if outcome.result == nil {
            let failed = outcome.reference.scenarios.filter { $0.outcome == .failed || $0.outcome == .error }.map(\.name)
            if !failed.isEmpty {
                FileHandle.standardError.write(Data("the reference did not pass: \(failed.joined(separator: ", "))\n".utf8))
            }
        }
        if !outcome.passed { throw ExitCode(1) }
    }
}
