import SandboxAPI
import Synchronization

/// Runs whole-scenario sessions under a ``LoadPlan`` and measures them.
///
/// Open model: one scheduler fires arrivals at their planned times (dropped when `max_in_flight`
/// sessions run). Closed model: virtual users loop the scenario, optionally paced. Each session's
/// latency is recorded from its actual and from its intended start.
public struct LoadRunner: Sendable {
    /// The scenario each session runs.
    public var scenario: Scenario
    /// The scenario's file, as reports name it.
    public var file: String
    /// The workload: open or closed model, stages, thresholds.
    public var plan: LoadPlan
    /// The client, engine, variables and ledger sessions share.
    public var context: SessionContext
    /// Where every step and session is recorded.
    public var recorder: LoadRecorder
    /// How long in-flight sessions may run after the plan ends before they are cancelled (and cleaned up).
    public var grace: Duration
    /// The slice of the plan this process runs (``LoadShard/whole`` by default): its stripe of the
    /// virtual users, or of the arrivals with its share of `max_in_flight` (at least one).
    public var shard = LoadShard.whole
    /// Open model: sessions intended to start in the plan's first `settle.period` are recorded in
    /// `settle.recorder` instead of ``recorder``, so they are not judged (capacity steps warm up this way).
    public var settle: (period: Duration, recorder: LoadRecorder)?

    /// A runner of `plan`; sessions still running `grace` after the plan ends are cancelled.
    public init(
        scenario: Scenario, file: String, plan: LoadPlan, context: SessionContext, recorder: LoadRecorder, grace: Duration = .seconds(30)
    ) {
        self.scenario = scenario
        self.file = file
        self.plan = plan
        self.context = context
        self.recorder = recorder
        self.grace = grace
    }

    /// Shared stop flag: set by abort-on-fail or cancellation.
    final class Stop: Sendable {
        let reason = Mutex<String?>(nil)
        var isSet: Bool { reason.withLock { $0 != nil } }
        func set(_ why: String) { reason.withLock { if $0 == nil { $0 = why } } }
    }

    /// Runs the plan; `progress` is called about once a second with live numbers.
    public func run(progress: @escaping @Sendable (LoadSnapshot, Double) -> Void) async -> (seconds: Double, aborted: String?) {
        let clock = ContinuousClock()
        let start = recorder.start
        let stop = Stop()
        let thresholds = plan.thresholds.compactMap(Threshold.parse)
        let planSeconds = planDuration
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await drive(clock: clock, start: start, stop: stop)
                return true
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { break }
                    let elapsed = (clock.now - start).seconds
                    progress(recorder.snapshot(resetRecent: true), elapsed)
                    if plan.abortOnFail, !thresholds.isEmpty {
                        let interim = LoadResult(
                            scenario: scenario.name, file: file, target: "", plan: plan, startedAt: 0, seconds: elapsed,
                            recorder: recorder, aborted: nil, leaks: [])
                        if let breach = interim.thresholds.first(where: { !$0.passed && $0.actual != nil }) {
                            stop.set("threshold breached: \(breach.summary)")
                        }
                    }
                    if let planSeconds, elapsed > planSeconds + grace.seconds {
                        stop.set("sessions still running \(HumanDuration.format(grace)) after the plan ended were cancelled")
                        return false
                    }
                }
                return true
            }
            // The first child to finish decides: the driver (normal end) or the watchdog (grace exceeded).
            _ = await group.next()
            group.cancelAll()
        }
        if Task.isCancelled { stop.set("interrupted") }
        return ((clock.now - start).seconds, stop.reason.withLock { $0 })
    }

    /// Seconds the plan schedules work for (nil: bounded by iterations only).
    public var planDuration: Double? {
        switch plan.model {
        case .open(_, let duration, _): return duration.seconds
        case .closed(_, _, let duration, _):
            if let duration { return duration.seconds }
            return plan.stages.isEmpty ? nil : plan.stages.reduce(0) { $0 + $1.duration.seconds }
        }
    }

    private func drive(clock: ContinuousClock, start: ContinuousClock.Instant, stop: Stop) async {
        let stages = plan.stages.map { (duration: $0.duration.seconds, target: $0.target) }
        switch plan.model {
        case .open(let rate, let duration, let maxInFlight):
            let schedule = ArrivalSchedule(
                rate: rate, duration: duration.seconds, stages: stages,
                poissonSeed: plan.poissonArrivals ? (plan.seed ?? 1) : nil)
            var scheduler = OpenLoopScheduler(
                schedule: schedule, maxInFlight: max(1, shard.share(of: maxInFlight)), shard: shard)
            await withDiscardingTaskGroup { sessions in
                while !stop.isSet, !Task.isCancelled {
                    let now = (clock.now - start).seconds
                    let inFlight = recorder.counters.inFlight + (settle?.recorder.counters.inFlight ?? 0)
                    switch scheduler.poll(now: now, inFlight: inFlight) {
                    case .start(let intended):
                        let planned = start + .nanoseconds(Int64(intended * 1e9))
                        let into = recording(intended: intended)
                        into.sessionStarted(at: clock.now)
                        sessions.addTask { await session(intended: planned, clock: clock, into: into) }
                    case .drop(let intended):
                        recording(intended: intended).sessionDropped(at: clock.now)
                    case .sleep(let until):
                        let wake = min(start + .nanoseconds(Int64(until * 1e9)), clock.now + .milliseconds(100))
                        try? await clock.sleep(until: wake, tolerance: .zero)
                    case .finished:
                        return
                    }
                }
            }
        case .closed(let vus, let iterations, let duration, let pacing):
            let users = VirtualUserPlan(vus: vus, stages: stages)
            let end = duration.map(\.seconds) ?? (stages.isEmpty ? nil : users.duration)
            await withDiscardingTaskGroup { group in
                // VUs keep their numbers in the whole plan, so ramps start and stop the same users.
                for vu in shard.items(below: max(1, users.peak)) {
                    group.addTask {
                        let vuStart = clock.now
                        var k = 0
                        while !stop.isSet, !Task.isCancelled {
                            let t = (clock.now - start).seconds
                            if let end, t >= end { break }
                            if let iterations, k >= iterations { break }
                            if vu >= users.target(at: t) {
                                if end == nil || stages.isEmpty { break }
                                try? await clock.sleep(for: .milliseconds(50))
                                continue
                            }
                            var intended = clock.now
                            if let pacing {
                                intended = vuStart + pacing * k
                                if intended > clock.now { try? await clock.sleep(until: intended, tolerance: .zero) }
                            }
                            recorder.sessionStarted(at: clock.now)
                            await session(intended: intended, clock: clock)
                            k += 1
                        }
                    }
                }
            }
        }
    }

    /// Where a session intended at `intended` seconds into the plan is recorded: the settle recorder
    /// during the settle period, else ``recorder``.
    private func recording(intended: Double) -> LoadRecorder {
        guard let settle, intended < settle.period.seconds else { return recorder }
        return settle.recorder
    }

    /// One session: runs the scenario, then records its steps and its latency from the intended start.
    private func session(intended: ContinuousClock.Instant, clock: ContinuousClock, into recorder: LoadRecorder? = nil) async {
        let recorder = recorder ?? self.recorder
        let actual = clock.now
        let lag = max(.zero, actual - intended)
        let result = await ScenarioSession(scenario: scenario, file: file, context: context).run()
        let end = clock.now
        for (i, step) in result.steps.enumerated() {
            recorder.record(step: step, lag: i == 0 ? lag : .zero, endedAt: actual + step.startOffset + step.duration)
        }
        recorder.sessionFinished(outcome: result.outcome, service: end - actual, corrected: end - intended, at: end)
    }
}
