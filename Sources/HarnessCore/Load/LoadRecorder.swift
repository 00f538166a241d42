import SandboxAPI
import Synchronization

/// Latency and counts of one metric (an operation, a step name, or whole sessions).
public struct MetricStats: Sendable {
    /// Measured from the actual send.
    public var service = LatencyHistogram()
    /// Measured from the intended start (coordinated-omission corrected).
    public var corrected = LatencyHistogram()
    /// How many ended in an error.
    public var errors = 0
    /// How many missed an expectation.
    public var failures = 0

    /// Empty statistics.
    public init() {}

    /// Adds every value of `other`.
    public mutating func merge(_ other: MetricStats) {
        service.merge(other.service)
        corrected.merge(other.corrected)
        errors += other.errors
        failures += other.failures
    }
}

/// One point of the per-second timeline.
public struct TimelinePoint: Sendable {
    /// Start of the point, seconds since the run began.
    public var second: Double
    /// Width of the point in seconds (1, or more after long runs are compacted).
    public var width: Double
    /// Sessions started in this point.
    public var sessionsStarted = 0
    /// Sessions finished in this point.
    public var sessionsFinished = 0
    /// Arrivals dropped in this point (in-flight limit reached).
    public var dropped = 0
    /// Requests sent in this point.
    public var requests = 0
    /// Steps that ended in an error (transport, protocol or server).
    public var errors = 0
    /// Steps whose expectation was not met.
    public var failures = 0
    /// Corrected step latencies that ended in this point.
    public var latency = CoarseHistogram()

    mutating func merge(_ other: TimelinePoint) {
        width += other.width
        sessionsStarted += other.sessionsStarted
        sessionsFinished += other.sessionsFinished
        dropped += other.dropped
        requests += other.requests
        errors += other.errors
        failures += other.failures
        latency.merge(other.latency)
    }
}

/// Collects everything a load run measures, from many sessions at once, in fixed memory.
public final class LoadRecorder: Sendable {
    /// Running totals. Failures (an expectation not met) and errors (transport, protocol or server
    /// errors) are counted apart throughout.
    public struct Counters: Sendable {
        /// Sessions started so far.
        public var sessionsStarted = 0
        /// Sessions finished so far.
        public var sessionsFinished = 0
        /// Sessions that ended with a failed expectation.
        public var sessionsFailed = 0
        /// Sessions that ended with an error.
        public var sessionsErrored = 0
        /// Arrivals dropped because the in-flight limit was reached.
        public var dropped = 0
        /// Steps finished.
        public var steps = 0
        /// Steps that ended in an error.
        public var stepErrors = 0
        /// Steps that missed an expectation.
        public var stepFailures = 0
        /// Sessions running now.
        public var inFlight = 0

        /// All zero.
        public init() {}
    }

    struct State {
        var counters = Counters()
        var operations: [String: MetricStats] = [:]
        var steps: [String: MetricStats] = [:]
        var stepOrder: [String] = []
        var session = MetricStats()
        var timeline: [TimelinePoint] = []
        var width = 1.0
        var recent = CoarseHistogram()
    }

    /// Most timeline points kept; beyond it neighbours are merged, so memory stays flat.
    public static let maxTimelinePoints = 1800

    private let state = Mutex(State())
    /// When the run began; every timestamp is measured from here.
    public let start: ContinuousClock.Instant

    /// A recorder for a run that begins at `start`.
    public init(start: ContinuousClock.Instant) { self.start = start }

    private func seconds(_ instant: ContinuousClock.Instant) -> Double { (instant - start).seconds }

    private static func point(_ s: inout State, at t: Double) -> Int {
        let index = max(0, Int(t / s.width))
        while s.timeline.count <= index {
            s.timeline.append(TimelinePoint(second: Double(s.timeline.count) * s.width, width: s.width))
        }
        if s.timeline.count > maxTimelinePoints {
            var merged: [TimelinePoint] = []
            for pair in stride(from: 0, to: s.timeline.count, by: 2) {
                var p = s.timeline[pair]
                if pair + 1 < s.timeline.count { p.merge(s.timeline[pair + 1]) }
                merged.append(p)
            }
            s.timeline = merged
            s.width *= 2
            return max(0, Int(t / s.width))
        }
        return index
    }

    /// Counts a session that started at `instant`.
    public func sessionStarted(at instant: ContinuousClock.Instant) {
        let t = seconds(instant)
        state.withLock { s in
            s.counters.sessionsStarted += 1
            s.counters.inFlight += 1
            s.timeline[Self.point(&s, at: t)].sessionsStarted += 1
        }
    }

    /// Counts an arrival dropped at `instant` because too many sessions were in flight.
    public func sessionDropped(at instant: ContinuousClock.Instant) {
        let t = seconds(instant)
        state.withLock { s in
            s.counters.dropped += 1
            s.timeline[Self.point(&s, at: t)].dropped += 1
        }
    }

    /// Records a finished step; `lag` is how late its intended start was (added to the corrected latency).
    public func record(step: StepResult, lag: Duration, endedAt instant: ContinuousClock.Instant) {
        let t = seconds(instant)
        let corrected = step.duration + lag
        let correctedSeconds = corrected.seconds
        state.withLock { s in
            s.counters.steps += 1
            // Histograms are large value types: mutate them in place in the dictionaries (never copy
            // one out and back, which would copy its whole counts array on every record).
            if s.steps[step.name] == nil {
                s.stepOrder.append(step.name)
                s.steps[step.name] = MetricStats()
            }
            for phase in step.phases where phase.name != step.operation {
                s.operations[phase.name, default: MetricStats()].service.record(phase.duration)
                s.operations[phase.name, default: MetricStats()].corrected.record(phase.duration + lag)
            }
            let opDuration = step.phases.first { $0.name == step.operation }?.duration ?? step.duration
            s.operations[step.operation, default: MetricStats()].service.record(opDuration)
            s.operations[step.operation, default: MetricStats()].corrected.record(opDuration + lag)
            s.steps[step.name]!.service.record(step.duration)
            s.steps[step.name]!.corrected.record(corrected)
            let index = Self.point(&s, at: t)
            s.timeline[index].requests += 1
            s.timeline[index].latency.record(correctedSeconds)
            s.recent.record(correctedSeconds)
            switch step.outcome {
            case .error:
                s.operations[step.operation]!.errors += 1
                s.steps[step.name]!.errors += 1
                s.counters.stepErrors += 1
                s.timeline[index].errors += 1
            case .failed:
                s.operations[step.operation]!.failures += 1
                s.steps[step.name]!.failures += 1
                s.counters.stepFailures += 1
                s.timeline[index].failures += 1
            default: break
            }
        }
    }

    /// Records a finished session: time from its actual and from its intended start.
    public func sessionFinished(outcome: Outcome, service: Duration, corrected: Duration, at instant: ContinuousClock.Instant) {
        let t = seconds(instant)
        state.withLock { s in
            s.counters.sessionsFinished += 1
            s.counters.inFlight -= 1
            switch outcome {
            case .failed:
                s.counters.sessionsFailed += 1
                s.session.failures += 1
            case .error:
                s.counters.sessionsErrored += 1
                s.session.errors += 1
            case .passed, .skipped:
                break
            }
            s.session.service.record(service)
            s.session.corrected.record(corrected)
            s.timeline[Self.point(&s, at: t)].sessionsFinished += 1
        }
    }

    /// The running totals now.
    public var counters: Counters { state.withLock { $0.counters } }

    /// A live view for progress lines; `resetRecent` starts a new window for the "recent" percentiles.
    public func snapshot(resetRecent: Bool) -> LoadSnapshot {
        state.withLock { s in
            let snap = LoadSnapshot(
                counters: s.counters, recentP50: s.recent.percentile(50), recentP99: s.recent.percentile(99),
                overallP50: s.session.corrected.percentile(50), overallP99: s.session.corrected.percentile(99))
            if resetRecent { s.recent = CoarseHistogram() }
            return snap
        }
    }

    /// Everything measured so far.
    public func metrics() -> (
        operations: [String: MetricStats], steps: [(String, MetricStats)], session: MetricStats, timeline: [TimelinePoint],
        counters: Counters
    ) {
        state.withLock { s in (s.operations, s.stepOrder.compactMap { n in s.steps[n].map { (n, $0) } }, s.session, s.timeline, s.counters)
        }
    }
}

/// Live numbers for the progress line.
public struct LoadSnapshot: Sendable {
    /// The running totals.
    public var counters: LoadRecorder.Counters
    /// Step latency percentiles since the previous snapshot (seconds).
    public var recentP50: Double
    /// Step p99 since the previous snapshot, in seconds.
    public var recentP99: Double
    /// Session latency percentiles over the whole run (seconds).
    public var overallP50: Double
    /// Session p99 over the whole run, in seconds.
    public var overallP99: Double
}
