/// One step of a capacity search: a constant arrival rate held for the step's duration, judged on the
/// sessions intended after its settle period.
package struct CapacityStep: Sendable {
    /// 1 for the first step.
    package var index: Int
    /// Arrivals per second.
    package var rate: Double
    /// 1 for the first run at this rate; a failing run is run again (rechecked) up to the search's limit.
    package var attempt: Int
    /// The judged part of the step (sessions intended after the settle period), with every objective evaluated.
    package var result: LoadResult
    /// Sessions started and dropped during the settle period (not judged).
    package var settled: LoadRecorder.Counters

    package init(index: Int, rate: Double, attempt: Int = 1, result: LoadResult, settled: LoadRecorder.Counters) {
        self.index = index
        self.rate = rate
        self.attempt = attempt
        self.result = result
        self.settled = settled
    }

    /// Whether every objective held and the step ran to its end.
    package var passed: Bool { result.aborted == nil && result.thresholds.allSatisfy(\.passed) }

    /// The objectives that did not hold, with their measured values.
    package var breaches: [ThresholdResult] { result.thresholds.filter { !$0.passed } }
}

/// Everything a capacity search produced: each step, and the highest rate at which every objective held.
package struct CapacityResult: Sendable {
    /// The scenario's name.
    package var scenario: String
    /// The scenario's file.
    package var file: String
    /// How reports name the target.
    package var target: String
    /// Wall-clock start, seconds since the Unix epoch.
    package var startedAt: Double
    /// Seconds the whole search took.
    package var seconds: Double
    /// How the search moved.
    package var search: CapacitySearch.Configuration
    /// How long each step holds its rate.
    package var stepDuration: Duration
    /// The start of each step that is not judged.
    package var settle: Duration
    /// Most sessions in flight; arrivals beyond it are dropped (and fail the step).
    package var maxInFlight: Int
    /// The objectives each step is judged by, the implicit ones included.
    package var objectives: [String]
    /// The steps in the order they ran.
    package var steps: [CapacityStep]
    /// Why the search ended; nil when it was aborted.
    package var stop: CapacitySearch.Stop?
    /// Why the search stopped early (interrupted, no engine), if it did.
    package var aborted: String?
    /// Sandboxes still alive after clean-up.
    package var leaks: [String]

    package init(
        scenario: String, file: String, target: String, startedAt: Double, seconds: Double,
        search: CapacitySearch.Configuration, stepDuration: Duration, settle: Duration, maxInFlight: Int,
        objectives: [String], steps: [CapacityStep], stop: CapacitySearch.Stop?, aborted: String?, leaks: [String]
    ) {
        self.scenario = scenario
        self.file = file
        self.target = target
        self.startedAt = startedAt
        self.seconds = seconds
        self.search = search
        self.stepDuration = stepDuration
        self.settle = settle
        self.maxInFlight = maxInFlight
        self.objectives = objectives
        self.steps = steps
        self.stop = stop
        self.aborted = aborted
        self.leaks = leaks
    }

    /// The highest rate that passed (the capacity found), nil when none did. A rate passes when any of
    /// its runs did: a failure that a recheck does not repeat was noise.
    package var capacity: Double? { steps.filter(\.passed).map(\.rate).max() }

    /// The lowest rate above ``capacity`` that failed (nil when none did: the capacity is at least `max`).
    package var firstFailure: Double? {
        let floor = capacity ?? 0
        return steps.filter { !$0.passed && $0.rate > floor }.map(\.rate).min()
    }

    /// Runs of a failing rate made again before the search believes it.
    package var rechecks: Int = 0

    /// Whether a capacity was found cleanly: some rate passed, nothing aborted, nothing leaked.
    package var found: Bool { capacity != nil && aborted == nil && leaks.isEmpty }
}
