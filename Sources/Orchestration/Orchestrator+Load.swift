import Foundation
package import HarnessCore
import HarnessReports

/// One scenario to drive under a load plan.
package struct LoadRequest: Sendable {
    package var scenario: Scenario
    /// The scenario's file, as reports name it.
    package var file: String
    package var plan: LoadPlan
    /// `--var` and environment variables.
    package var variables: Variables
    /// How long in-flight sessions may run after the plan ends before they are cancelled.
    package var grace: Duration
    /// The slice of the plan to run (`--shard`); the result records it unless it is the whole plan.
    package var shard: LoadShard
    /// When the first session is due, in Unix seconds (`--start-at`), so shards on several machines
    /// start together; nil starts as soon as the engine is ready.
    package var startAt: Double?

    package init(
        scenario: Scenario, file: String, plan: LoadPlan, variables: Variables, grace: Duration = .seconds(30), shard: LoadShard = .whole
    ) {
        self.scenario = scenario
        self.file = file
        self.plan = plan
        self.variables = variables
        self.grace = grace
        self.shard = shard
    }
}

/// Where a `load` run writes its reports (nil: not written).
package struct LoadReports: Sendable {
    package var json: String?
    package var junit: String?
    package var html: String?

    package init(json: String? = nil, junit: String? = nil, html: String? = nil) {
        self.json = json
        self.junit = junit
        self.html = html
    }

    /// Writes each report that has a path, from `result`.
    /// - Throws: ``RunFailure`` `.report` when a report cannot be written.
    package func write(_ result: LoadResult) throws(RunFailure) {
        do {
            if let json { try LoadJSONReport.write(result, to: json) }
            if let junit { try LoadJUnitReport.write(result, to: junit) }
            if let html { try LoadHTMLReport.write(result, to: html) }
        } catch {
            throw RunFailure(.report, "cannot write a report: \(error)")
        }
    }
}

/// What a load run tells its command while it goes on.
package struct LoadEvents: Sendable {
    /// About once a second: live numbers and seconds elapsed, with the plan's length (nil: unbounded).
    package var progress: @Sendable (LoadSnapshot, Double, Double?) -> Void = { _, _, _ in }
    /// The sessions have stopped; the sweep follows.
    package var sessionsEnded: @Sendable () -> Void = {}
    /// Something the user should know that is not in the result, e.g. why the engine could not be made.
    package var warning: @Sendable (String) -> Void = { _ in }
    /// The whole run, before the reports are written.
    package var finished: @Sendable (LoadResult) -> Void = { _ in }

    package init(
        progress: @escaping @Sendable (LoadSnapshot, Double, Double?) -> Void = { _, _, _ in },
        sessionsEnded: @escaping @Sendable () -> Void = {},
        warning: @escaping @Sendable (String) -> Void = { _ in },
        finished: @escaping @Sendable (LoadResult) -> Void = { _ in }
    ) {
        self.progress = progress
        self.sessionsEnded = sessionsEnded
        self.warning = warning
        self.finished = finished
    }
}

extension Orchestrator {
    /// Drives `request.scenario` as concurrent sessions under its plan, then sweeps for leaks and
    /// writes `reports`.
    ///
    /// When the engine cannot be created the result is aborted with the reason (exit 1).
    /// - Throws: ``RunFailure`` when the target cannot be opened or a report cannot be written.
    package func load(
        _ request: LoadRequest, reports: LoadReports,
        events: LoadEvents = LoadEvents()
    ) async throws(RunFailure) -> LoadResult {
        let ledger = SandboxLedger()
        let reuse = target.engine
        var result = try await withCancellableRun(ledger: ledger) { connection in
            let runID = Self.newRunID()
            let client = connection.client
            let engine: RunEngine
            let context: SessionContext
            do {
                (engine, context) = try await Self.sessionContext(
                    client, reusing: reuse, runID: runID, label: "load", scenario: request.scenario.name,
                    variables: request.variables, ledger: ledger)
            } catch {
                events.warning("could not create the run's agent engine: \(error)")
                return LoadResult(
                    scenario: request.scenario.name, file: request.file, target: connection.description, plan: request.plan,
                    startedAt: Date().timeIntervalSince1970, seconds: 0, recorder: LoadRecorder(start: .now),
                    aborted: "could not create the agent engine: \(error)", leaks: [])
            }
            if let startAt = request.startAt, let reason = await Self.wait(until: startAt, events: events) {
                return LoadResult(
                    scenario: request.scenario.name, file: request.file, target: connection.description, plan: request.plan,
                    startedAt: Date().timeIntervalSince1970, seconds: 0, recorder: LoadRecorder(start: .now), aborted: reason,
                    leaks: [])
            }
            // The wall-clock time of the recorder's start: the origin of `seconds` and of the timeline,
            // by which `sandbench merge` aligns the timelines of shards started apart.
            let startedAt = Date().timeIntervalSince1970
            let recorder = LoadRecorder(start: ContinuousClock.now)
            var runner = LoadRunner(
                scenario: request.scenario, file: request.file, plan: request.plan, context: context,
                recorder: recorder, grace: request.grace)
            runner.shard = request.shard
            let total = runner.planDuration
            let (seconds, aborted) = await runner.run { snapshot, elapsed in events.progress(snapshot, elapsed, total) }
            events.sessionsEnded()
            let leaks = await LeakSweep(client: client, ledger: ledger, runID: runID).run(engine)
            return LoadResult(
                scenario: request.scenario.name, file: request.file, target: connection.description, plan: request.plan,
                startedAt: startedAt, seconds: seconds, recorder: recorder, aborted: aborted, leaks: leaks)
        }
        if !request.shard.isWhole { result.shard = request.shard }
        events.finished(result)
        try reports.write(result)
        return result
    }
}

extension Orchestrator {
    /// Sleeps until the wall-clock time `startAt` (Unix seconds), saying so; a time already past
    /// is only warned about. Returns why the run must not start (it was interrupted), or nil.
    static func wait(until startAt: Double, events: LoadEvents) async -> String? {
        let now = Date().timeIntervalSince1970
        let seconds = startAt - now
        guard seconds.isFinite, seconds > 0 else {
            events.warning(String(format: "--start-at was %.3f s ago; starting now", max(0, -seconds)))
            return nil
        }
        events.warning(String(format: "waiting %.1f s for --start-at", seconds))
        // Until the wall clock says so, whatever the monotonic clock's sleep made of it; at most a
        // day away (the flag is checked), so the milliseconds fit.
        var left = seconds
        while left > 0 {
            let milliseconds = Int64((min(left, 86_400) * 1000).rounded(.up))
            do { try await Task.sleep(for: .milliseconds(milliseconds)) } catch {
                return "interrupted while waiting for --start-at"
            }
            left = startAt - Date().timeIntervalSince1970
        }
        return nil
    }

    /// The engine a run of many sessions (load, capacity) works on — `reusing` it, or a new one
    /// labelled `RUNID-label` — and the context its sessions share: the run's variables plus
    /// `engine`, `scenario` and `run_id`.
    static func sessionContext(
        _ client: SandboxClient, reusing: String?, runID: String, label: String, scenario: String, variables: Variables,
        ledger: SandboxLedger
    ) async throws(APIFailure) -> (RunEngine, SessionContext) {
        let engine = try await RunEngine.acquire(client, reusing: reusing, displayName: "\(runID)-\(label)")
        var shared = variables
        shared["engine"] = engine.name
        shared["scenario"] = scenario
        shared["run_id"] = runID
        return (engine, SessionContext(client: client, engine: engine.name, variables: shared, ledger: ledger, runID: runID))
    }
}
