import SandboxAPI

/// Summary statistics of one metric, in seconds.
public struct MetricSummary: Sendable {
    /// The operation, step or `session`.
    public var name: String
    /// How many were measured.
    public var count: Int
    /// Per second over the run.
    public var rate: Double
    /// Fastest, in seconds (corrected latency, as every figure below).
    public var min: Double
    /// Median, in seconds.
    public var p50: Double
    /// 90th percentile, in seconds.
    public var p90: Double
    /// 99th percentile, in seconds.
    public var p99: Double
    /// 99.9th percentile, in seconds.
    public var p999: Double
    /// Slowest, in seconds.
    public var max: Double
    /// Mean, in seconds.
    public var mean: Double
    /// How many ended in an error.
    public var errors: Int
    /// How many missed an expectation.
    public var failures: Int
    /// The full histograms the figures come from.
    public var stats: MetricStats

    /// Summarises `stats` (corrected latencies) over `seconds` of run time.
    public init(name: String, stats: MetricStats, seconds: Double) {
        let h = stats.corrected
        self.name = name
        count = Int(h.count)
        rate = seconds > 0 ? Double(h.count) / seconds : 0
        min = h.min
        p50 = h.percentile(50)
        p90 = h.percentile(90)
        p99 = h.percentile(99)
        p999 = h.percentile(99.9)
        max = h.max
        mean = h.mean
        errors = stats.errors
        failures = stats.failures
        self.stats = stats
    }
}

/// How one threshold came out.
public struct ThresholdResult: Sendable {
    /// The threshold as parsed.
    public var threshold: Threshold
    /// The measured value (seconds, a fraction, or a count), nil when the metric does not exist.
    public var actual: Double?
    /// Whether the run met it.
    public var passed: Bool

    /// `execute.p99 < 250ms: 12.3ms` style text.
    public var summary: String {
        guard let actual else { return "\(threshold.source): no such metric in this run" }
        return "\(threshold.source): \(Self.format(actual, for: threshold))"
    }

    /// `value` in the unit the threshold is written in (`250ms`, `1.00%`).
    public static func format(_ value: Double, for t: Threshold) -> String {
        switch t.statistic {
        case .count: return String(Int(value))
        case .rate where ["errors", "failures", "checks", "dropped"].contains(t.metric): return String(format: "%.2f%%", value * 100)
        case .rate: return String(format: "%.1f/s", value)
        default: return HumanDuration.format(.nanoseconds(Int64(value * 1e9)))
        }
    }
}

/// Everything a load run produced.
public struct LoadResult: Sendable {
    /// The scenario's name.
    public var scenario: String
    /// The scenario's file.
    public var file: String
    /// How reports name the target.
    public var target: String
    /// The plan that ran.
    public var plan: LoadPlan
    /// Wall-clock start, seconds since the Unix epoch.
    public var startedAt: Double
    /// Seconds from the first arrival to the last session's end.
    public var seconds: Double
    /// Per operation (create, ready, execute, …), in a fixed order.
    public var operations: [MetricSummary]
    /// Per step of the scenario, in scenario order.
    public var steps: [MetricSummary]
    /// Whole sessions.
    public var session: MetricSummary
    /// Per-second counts and latencies.
    public var timeline: [TimelinePoint]
    /// Running totals at the end.
    public var counters: LoadRecorder.Counters
    /// Every threshold with its measured value.
    public var thresholds: [ThresholdResult]
    /// Why the run stopped early, if it did.
    public var aborted: String?
    /// Sandboxes of this run still alive after clean-up.
    public var leaks: [String]
    /// The slice of the plan that ran (`--shard`); nil for the whole plan.
    public var shard: LoadShard?

    /// Whether every threshold held and no sandbox leaked.
    public var passed: Bool { thresholds.allSatisfy(\.passed) && leaks.isEmpty }

    /// Builds the result from a recorder and evaluates the thresholds.
    public init(
        scenario: String, file: String, target: String, plan: LoadPlan, startedAt: Double, seconds: Double,
        recorder: LoadRecorder, aborted: String?, leaks: [String]
    ) {
        let m = recorder.metrics()
        self.init(
            scenario: scenario, file: file, target: target, plan: plan, startedAt: startedAt, seconds: seconds,
            operations: m.operations.map { ($0.key, $0.value) }, steps: m.steps.map { ($0.0, $0.1) }, session: m.session,
            timeline: m.timeline, counters: m.counters, aborted: aborted, leaks: leaks, shard: nil)
    }

    /// Operations in the order reports list them: the lifecycle first, then others by name.
    static func inOperationOrder(_ operations: [String: MetricStats]) -> [(key: String, value: MetricStats)] {
        let order = ["create", "ready", "execute", "get", "list", "delete", "wait", "request"]
        return operations.sorted { (order.firstIndex(of: $0.key) ?? 99, $0.key) < (order.firstIndex(of: $1.key) ?? 99, $1.key) }
    }

    /// Adds `extra` thresholds (``Threshold/parse(_:)`` syntax; others are ignored) to the plan,
    /// each not already in it, and judges the plan's thresholds again.
    public mutating func addThresholds(_ extra: [String]) {
        for text in extra where !plan.thresholds.contains(text) { plan.thresholds.append(text) }
        thresholds = plan.thresholds.compactMap(Threshold.parse).map(evaluate)
    }

    /// Measures `threshold` against this run.
    public func evaluate(_ threshold: Threshold) -> ThresholdResult {
        let actual = value(threshold)
        return ThresholdResult(threshold: threshold, actual: actual, passed: actual.map(threshold.holds) ?? false)
    }

    func value(_ t: Threshold) -> Double? {
        let c = counters
        switch t.metric {
        case "errors", "failures":
            let bad = Double(t.metric == "errors" ? c.stepErrors : c.stepFailures)
            return t.statistic == .count ? bad : (c.steps == 0 ? 0 : bad / Double(c.steps))
        case "checks":
            let good = Double(c.steps - c.stepErrors - c.stepFailures)
            return t.statistic == .count ? good : (c.steps == 0 ? 1 : good / Double(c.steps))
        case "dropped":
            let arrivals = c.sessionsStarted + c.dropped
            return t.statistic == .count ? Double(c.dropped) : (arrivals == 0 ? 0 : Double(c.dropped) / Double(arrivals))
        default: break
        }
        let metric = t.metric == "session" ? session : (operations.first { $0.name == t.metric } ?? steps.first { $0.name == t.metric })
        guard let metric else { return nil }
        // A latency objective over no samples is not met: nothing was measured.
        if metric.count == 0, t.statistic != .count, t.statistic != .rate { return nil }
        switch t.statistic {
        case .percentile(let p): return metric.stats.corrected.percentile(p)
        case .min: return metric.min
        case .max: return metric.max
        case .mean: return metric.mean
        case .count: return Double(metric.count)
        case .rate: return metric.rate
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
