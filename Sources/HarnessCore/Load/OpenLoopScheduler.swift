/// The open-model scheduler as a pure state machine: given the time and how many sessions are in
/// flight, it says what to do next. Arrivals fire at their planned times; an arrival that finds
/// `maxInFlight` sessions running is dropped and counted, never delayed.
///
/// A shard's scheduler walks the whole schedule and keeps the arrivals whose number is the shard's
/// (``LoadShard/owns(_:)``), so the shards' arrivals together are exactly the whole schedule.
///
/// ```swift
/// var scheduler = OpenLoopScheduler(schedule: schedule, maxInFlight: 64)
/// switch scheduler.poll(now: elapsedSeconds, inFlight: running) { … }
/// ```
package struct OpenLoopScheduler: Sendable {
    package enum Action: Sendable, Equatable {
        /// Start a session now; `intended` is its planned start (seconds from the run's start).
        case start(intended: Double)
        /// The arrival planned at `intended` found the in-flight limit reached.
        case drop(intended: Double)
        /// Nothing due before `until`.
        case sleep(until: Double)
        /// No arrivals remain.
        case finished
    }

    private var schedule: ArrivalSchedule
    package let maxInFlight: Int
    package let shard: LoadShard
    /// How many arrivals of the whole schedule have been drawn, the shard's and the others'.
    private var drawn = 0
    private var pending: Double?
    private var exhausted = false
    package private(set) var started = 0
    package private(set) var dropped = 0

    package init(schedule: ArrivalSchedule, maxInFlight: Int, shard: LoadShard = .whole) {
        self.schedule = schedule
        self.maxInFlight = maxInFlight
        self.shard = shard
    }

    /// The next arrival of this shard, skipping the other shards'; nil past the plan's end.
    private mutating func nextOwnArrival() -> Double? {
        while let due = schedule.next(), due <= schedule.duration {
            defer { drawn += 1 }
            if shard.owns(drawn) { return due }
        }
        return nil
    }

    /// The next action at time `now` (seconds since start) with `inFlight` sessions running.
    package mutating func poll(now: Double, inFlight: Int) -> Action {
        if pending == nil, !exhausted {
            pending = nextOwnArrival()
            if pending == nil { exhausted = true }
        }
        guard let due = pending else { return .finished }
        guard due <= now else { return .sleep(until: due) }
        pending = nil
        if inFlight >= maxInFlight {
            dropped += 1
            return .drop(intended: due)
        }
        started += 1
        return .start(intended: due)
    }
}

/// Closed-model ramps: how many virtual users should be active at a time.
package struct VirtualUserPlan: Sendable {
    let start: Int
    let stages: [(duration: Double, target: Double)]

    package init(vus: Int, stages: [(duration: Double, target: Double)]) {
        self.start = vus
        self.stages = stages
    }

    /// Total duration of the stages in seconds (0 without stages).
    package var duration: Double { stages.reduce(0) { $0 + $1.duration } }

    /// Target VUs at `t` seconds: linear between stage targets, rounded to the nearest user.
    package func target(at t: Double) -> Int {
        guard !stages.isEmpty else { return start }
        var from = Double(start)
        var elapsed = 0.0
        for stage in stages {
            if t < elapsed + stage.duration {
                let fraction = stage.duration > 0 ? (t - elapsed) / stage.duration : 1
                return Int((from + (stage.target - from) * fraction).rounded())
            }
            elapsed += stage.duration
            from = stage.target
        }
        return Int(from.rounded())
    }

    /// The most VUs ever wanted.
    package var peak: Int { max(start, Int((stages.map(\.target).max() ?? 0).rounded())) }
}
