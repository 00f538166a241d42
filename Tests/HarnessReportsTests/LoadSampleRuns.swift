import HarnessCore

/// Load results built by feeding a real `LoadRecorder` synthetic steps with known latencies.
enum LoadSampleRuns {
    static let thresholds = [
        "execute.p99 < 250ms", // breached: execute p99 is 990 ms
        "execute.p50 < 1s",
        "errors.rate < 5%",
        "execute.p50 < 1s", // a duplicate: its JUnit case name must be made unique
        "session.p99 <= 3s"
    ]

    static func plan(thresholds: [String] = thresholds) -> LoadPlan {
        LoadPlan(model: .open(rate: 100, duration: .seconds(10), maxInFlight: 50), thresholds: thresholds, seed: 42)
    }

    /// `sessions` sessions over 10 s; session i runs create (phases create 2 ms + ready 8 ms), then
    /// `run hello` (execute) taking `executeBase + i` ms, every 100th failing (i = 99, 199, …) and
    /// every 100th erroring (i = 49, 149, …), then delete (1 ms).
    /// With the defaults execute latencies are 1…1000 ms: p50 = 500 ms, p99 = 990 ms.
    static func recorder(sessions: Int = 1000, executeBase: Int = 1, lagMs: Int = 0) -> LoadRecorder {
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        let lag = Duration.milliseconds(lagMs)
        for i in 0..<sessions {
            let at = start + .milliseconds(i * 10_000 / max(1, sessions))
            recorder.sessionStarted(at: at)
            var create = StepResult(name: "create sandbox", operation: "create", outcome: .passed, duration: .milliseconds(10))
            create.phases = [(name: "create", duration: .milliseconds(2)), (name: "ready", duration: .milliseconds(8))]
            recorder.record(step: create, lag: lag, endedAt: at)
            let executeMs = executeBase + i
            let outcome: Outcome = i % 100 == 99 ? .failed : i % 100 == 49 ? .error : .passed
            let execute = StepResult(name: "run hello", operation: "execute", outcome: outcome, duration: .milliseconds(executeMs))
            recorder.record(step: execute, lag: lag, endedAt: at)
            recorder.record(
                step: StepResult(name: "delete", operation: "delete", outcome: .passed, duration: .milliseconds(1)),
                lag: lag, endedAt: at)
            let total = Duration.milliseconds(11 + executeMs)
            recorder.sessionFinished(outcome: outcome, service: total, corrected: total + lag, at: at)
        }
        return recorder
    }

    static func result(
        sessions: Int = 1000, executeBase: Int = 1, thresholds: [String] = thresholds,
        aborted: String? = nil, leaks: [String] = []
    ) -> LoadResult {
        LoadResult(
            scenario: "hello <world> & \"friends\"", file: "scenarios/hello.yaml", target: "emulator (in-process)",
            plan: plan(thresholds: thresholds), startedAt: 1_795_000_000.25, seconds: 10,
            recorder: recorder(sessions: sessions, executeBase: executeBase), aborted: aborted, leaks: leaks)
    }

    /// A run in which nothing happened: no timeline, no counts.
    static func empty() -> LoadResult {
        LoadResult(
            scenario: "idle", file: "scenarios/idle.yaml", target: "emulator", plan: plan(thresholds: ["execute.p99 < 1s"]),
            startedAt: 0, seconds: 0, recorder: LoadRecorder(start: .now), aborted: "interrupted", leaks: [])
    }
}
