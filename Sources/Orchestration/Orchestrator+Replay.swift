package import HarnessCore
package import HarnessReplay

extension Orchestrator {
    /// Replays cassettes: each plan's scenario runs as `run` runs scenarios — on the run's engine,
    /// every step asserted, every sandbox deleted, the leak sweep, the reports — but one cassette at
    /// a time, so that a recorded list sees only its own cassette's sandboxes.
    /// - Throws: ``RunFailure`` when the target cannot be opened or a report cannot be written.
    package func replay(
        _ plans: [ReplayPlan], options: RunOptions, reports: SuiteReports,
        events: SuiteEvents = SuiteEvents()
    ) async throws(RunFailure) -> RunResult {
        var sequential = options
        sequential.concurrency = 1
        sequential.tags = []
        return try await run(plans.map(\.scenarioFile), options: sequential, reports: reports, events: events)
    }
}
