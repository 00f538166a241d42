import Foundation
package import HarnessCore
package import HarnessParity
package import HarnessReplay
import HarnessReports
import SandboxAPI

/// Where one side of a parity comparison comes from.
package enum ParitySource: Sendable {
    /// A target run live: the scenarios run against it with its own engine, ledger, clean-up and sweep.
    case live(Orchestrator)
    /// A snapshot folder written by `--update-snapshots` (reference only): compared offline.
    case snapshots(String)
    /// A cassette (reference only): its recorded answers, compared offline with the scenario that replays it.
    case cassette(ReplayPlan)

    /// Whether the side needs no server.
    package var isRecorded: Bool {
        if case .live = self { return false }
        return true
    }
}

/// What `sandbench parity` compares and how.
package struct ParityRequest: Sendable {
    /// The scenarios both sides run (a recorded reference holds their earlier answers).
    package var files: [ScenarioFile]
    package var reference: ParitySource
    /// Nil with ``updateSnapshots``: record the reference only.
    package var candidate: ParitySource?
    /// Known gaps and the normalisers they add.
    package var gaps: ParityGaps
    /// `--latency-ratio`.
    package var latencyBound: Double?
    /// `--update-snapshots DIR`: write the live reference's normalised answers there.
    package var updateSnapshots: String?
    /// Run only scenarios carrying one of these tags (empty: all).
    package var tags: [String]
    /// `--var` and environment variables.
    package var variables: Variables
    /// Whether live steps check their own expectations; false when the scenarios replay cassettes,
    /// whose expectations are the recording the comparison already holds against the candidate.
    package var judgesExpectations: Bool

    package init(
        files: [ScenarioFile], reference: ParitySource, candidate: ParitySource?, gaps: ParityGaps = ParityGaps(),
        latencyBound: Double? = nil, updateSnapshots: String? = nil, tags: [String] = [], variables: Variables = Variables(),
        judgesExpectations: Bool = true
    ) {
        self.files = files
        self.reference = reference
        self.candidate = candidate
        self.gaps = gaps
        self.latencyBound = latencyBound
        self.updateSnapshots = updateSnapshots
        self.tags = tags
        self.variables = variables
        self.judgesExpectations = judgesExpectations
    }
}

/// Where a parity run writes its reports (nil: not written).
package struct ParityReports: Sendable {
    package var junit: String?
    package var json: String?
    package var html: String?

    package init(junit: String? = nil, json: String? = nil, html: String? = nil) {
        self.junit = junit
        self.json = json
        self.html = html
    }
}

/// What a parity run tells its command while it goes on.
package struct ParityEvents: Sendable {
    /// A side starts: `reference` or `candidate`, and what it is.
    package var sideStarted: @Sendable (String) -> Void = { _ in }
    /// Snapshot files were written.
    package var snapshotsWritten: @Sendable ([String]) -> Void = { _ in }
    /// The comparison, before the reports are written.
    package var finished: @Sendable (ParityResult) -> Void = { _ in }

    package init(
        sideStarted: @escaping @Sendable (String) -> Void = { _ in },
        snapshotsWritten: @escaping @Sendable ([String]) -> Void = { _ in },
        finished: @escaping @Sendable (ParityResult) -> Void = { _ in }
    ) {
        self.sideStarted = sideStarted
        self.snapshotsWritten = snapshotsWritten
        self.finished = finished
    }
}

/// The end of a parity run: the comparison (nil when only the reference was recorded) and the reference side.
package struct ParityOutcome: Sendable {
    package var result: ParityResult?
    package var reference: ParitySide
    /// Snapshot files written by `--update-snapshots`.
    package var snapshotFiles: [String]

    /// Exit 0: no unexplained difference (or, recording only, a clean reference run).
    package var passed: Bool {
        if let result { return result.passed }
        return reference.leaks.isEmpty && reference.problems.isEmpty
            && reference.scenarios.allSatisfy { $0.outcome == .passed || $0.outcome == .skipped }
    }
}

extension Orchestrator {
    /// Runs `request`: the reference side (live, or read from snapshots), then the candidate, one
    /// scenario at a time on each so lists and latencies are not disturbed by the other scenarios;
    /// writes snapshots when asked, compares, and writes `reports`.
    ///
    /// Both live sides keep every step's response, clean up and sweep for leaks as `run` does. The
    /// first Ctrl-C (with `.signals`) stops the side that is running; the candidate is then not started
    /// and the comparison reports the interruption.
    /// - Throws: ``RunFailure`` `.configuration` for snapshots that cannot be read or written,
    ///   `.target` when a target cannot be opened, `.report` when a report cannot be written.
    package static func parity(
        _ request: ParityRequest, interruption: Interruption, reports: ParityReports,
        events: ParityEvents = ParityEvents()
    ) async throws(RunFailure) -> ParityOutcome {
        let interrupts = interruption == .signals ? Interrupts() : nil
        let clock = ContinuousClock()
        let start = clock.now
        let startedAt = Date().timeIntervalSince1970
        var labels: [String] = []

        func side(_ source: ParitySource, _ name: String) async throws(RunFailure) -> ParitySide {
            switch source {
            case .snapshots(let path):
                events.sideStarted("\(name): snapshots in \(path)")
                do {
                    let (description, scenarios) = try SnapshotFolder(path: path).read()
                    return ParitySide(description: description, scenarios: scenarios)
                } catch {
                    throw RunFailure(.configuration, "cannot read the \(name)'s snapshots: \(error)")
                }
            case .cassette(let plan):
                events.sideStarted("\(name): the cassette \(plan.path)")
                return ParitySide(
                    description: "cassette \(plan.path) (recorded from \(plan.cassette.upstream))",
                    scenarios: [ScenarioRecord(plan)])
            case .live(let orchestrator):
                var options = RunOptions()
                options.concurrency = 1
                options.tags = request.tags
                options.variables = request.variables
                options.runID = newRunID()
                options.keepsObservations = true
                options.judgesExpectations = request.judgesExpectations
                labels.append(options.runID)
                let what =
                    switch orchestrator.target.kind {
                    case .embedded: "the embedded emulator"
                    case .url(let url): url
                    case .vertex(let project): "vertex (project \(project))"
                    }
                events.sideStarted("\(name): \(what)")
                let run = try await orchestrator.suite(request.files, options: options, events: SuiteEvents(), interrupts: interrupts)
                var problems: [String] = []
                if interrupts?.interrupted == true || Task.isCancelled { problems.append("interrupted") }
                return ParitySide(
                    description: run.target, scenarios: run.scenarios.map(ScenarioRecord.init), leaks: run.leaks,
                    problems: problems)
            }
        }

        let reference = try await side(request.reference, "reference")
        var snapshotFiles: [String] = []
        if let directory = request.updateSnapshots {
            var normaliser = Normaliser()
            normaliser.runLabels = labels
            do {
                snapshotFiles = try SnapshotFolder(path: directory).write(
                    reference, recordedAt: ProtoTimestamp.format(startedAt),
                    normaliser: normaliser)
            } catch {
                throw RunFailure(.configuration, "cannot write the snapshots: \(error)")
            }
            events.snapshotsWritten(snapshotFiles)
        }
        guard let candidateSource = request.candidate else {
            return ParityOutcome(result: nil, reference: reference, snapshotFiles: snapshotFiles)
        }
        let candidate: ParitySide
        if !reference.problems.contains("interrupted") {
            candidate = try await side(candidateSource, "candidate")
        } else {
            candidate = ParitySide(description: "not run", scenarios: [], problems: ["not run: the reference side was interrupted"])
        }
        var comparison = ParityComparison(gaps: request.gaps, latencyBound: request.latencyBound)
        comparison.normaliser.runLabels = labels
        let result = comparison.compare(reference: reference, candidate: candidate, startedAt: startedAt, duration: clock.now - start)
        events.finished(result)
        do {
            if let junit = reports.junit { try ParityJUnitReport.write(result, to: junit) }
            if let json = reports.json { try ParityJSONReport.write(result, to: json) }
            if let html = reports.html { try ParityHTMLReport.write(result, to: html) }
        } catch {
            throw RunFailure(.report, "cannot write a report: \(error)")
        }
        return ParityOutcome(result: result, reference: reference, snapshotFiles: snapshotFiles)
    }
}
