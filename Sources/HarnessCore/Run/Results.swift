/// How a step, scenario or run ended.
public enum Outcome: String, Sendable, Hashable {
    case passed
    /// An expectation did not hold.
    case failed
    /// Transport failure, unexpected HTTP error, timeout or a broken sandbox.
    case error
    case skipped

    /// The worse of two outcomes (error > failed > passed > skipped).
    public func combined(with other: Outcome) -> Outcome {
        func rank(_ o: Outcome) -> Int {
            switch o {
            case .skipped: 0
            case .passed: 1
            case .failed: 2
            case .error: 3
            }
        }
        return rank(other) > rank(self) ? other : self
    }
}

/// One expectation that did not hold: what was expected and what came back.
public struct Mismatch: Sendable, Hashable, CustomStringConvertible {
    /// What was checked, such as `stdout` or `HTTP status`.
    public var what: String
    /// The expected value, as the scenario states it.
    public var expected: String
    /// What came back.
    public var actual: String

    /// A mismatch of `what`: `expected` wanted, `actual` seen.
    public init(what: String, expected: String, actual: String) {
        self.what = what
        self.expected = expected
        self.actual = actual
    }

    /// `what: expected E, got A`.
    public var description: String { "\(what): expected \(expected), got \(actual)" }
}

/// The result of one step.
public struct StepResult: Sendable {
    /// The step's name (given, or numbered from its operation).
    public var name: String
    /// `create`, `execute`, … (see ``StepAction/operation``).
    public var operation: String
    /// How the step ended.
    public var outcome: Outcome
    /// Wall time of the step on a monotonic clock.
    public var duration: Duration
    /// Offset of the step's start from the scenario's start.
    public var startOffset: Duration
    /// HTTP status of the step's main request, when there was one.
    public var httpStatus: Int?
    /// Every expectation the step missed (empty unless it failed).
    public var mismatches: [Mismatch]
    /// For errors: what went wrong.
    public var errorMessage: String?
    /// Where the step is in its scenario file.
    public var location: SourceLocation?
    /// Named parts of the step's time (a create step records `create`, the POST, and `ready`, create→RUNNING).
    public var phases: [(name: String, duration: Duration)] = []
    /// What the step's response held (status, body, error, output, files), when the run keeps
    /// observations (``RunOptions/keepsObservations``); nil otherwise and when no response came.
    public var observation: StepObservation?
    /// The end of stdout and stderr of a step that failed or errored after its code ran (nil otherwise).
    public var output: OutputTail?

    /// A step result; phases, observation and output tail are set afterwards when there are any.
    public init(
        name: String, operation: String, outcome: Outcome, duration: Duration, startOffset: Duration = .zero,
        httpStatus: Int? = nil, mismatches: [Mismatch] = [], errorMessage: String? = nil, location: SourceLocation? = nil
    ) {
        self.name = name
        self.operation = operation
        self.outcome = outcome
        self.duration = duration
        self.startOffset = startOffset
        self.httpStatus = httpStatus
        self.mismatches = mismatches
        self.errorMessage = errorMessage
        self.location = location
    }

    /// One line explaining a failure or error ("" when passed).
    public var summary: String {
        if let errorMessage { return errorMessage }
        return mismatches.map(\.description).joined(separator: "; ")
    }
}

/// The result of one scenario.
public struct ScenarioResult: Sendable {
    /// The scenario's name.
    public var name: String
    /// The scenario file it came from.
    public var file: String
    /// The scenario's tags, for `--tag`.
    public var tags: [String]
    /// The worst outcome of its steps and its clean-up.
    public var outcome: Outcome
    /// Every step that ran, in order.
    public var steps: [StepResult]
    /// Wall time of the whole scenario, clean-up included.
    public var duration: Duration
    /// Why it was skipped, when it was.
    public var skipReason: String?
    /// Problems met while cleaning up (a sandbox that could not be deleted).
    public var cleanupProblems: [String]

    /// A scenario result.
    public init(
        name: String, file: String, tags: [String] = [], outcome: Outcome, steps: [StepResult], duration: Duration,
        skipReason: String? = nil, cleanupProblems: [String] = []
    ) {
        self.name = name
        self.file = file
        self.tags = tags
        self.outcome = outcome
        self.steps = steps
        self.duration = duration
        self.skipReason = skipReason
        self.cleanupProblems = cleanupProblems
    }

    /// The first step that failed or errored.
    public var failingStep: StepResult? { steps.first { $0.outcome == .failed || $0.outcome == .error } }
}

/// The result of a whole run: scenario results grouped by file.
public struct RunResult: Sendable {
    /// Every scenario that was selected, in the order they finished.
    public var scenarios: [ScenarioResult]
    /// Target description (URL or "emulator").
    public var target: String
    /// Wall-clock start, seconds since the Unix epoch.
    public var startedAt: Double
    /// Wall time of the whole run.
    public var duration: Duration
    /// Sandboxes of this run still alive after clean-up (each one fails the run).
    public var leaks: [String]

    /// A run result.
    public init(scenarios: [ScenarioResult], target: String, startedAt: Double, duration: Duration, leaks: [String] = []) {
        self.scenarios = scenarios
        self.target = target
        self.startedAt = startedAt
        self.duration = duration
        self.leaks = leaks
    }

    /// Scenario files in first-seen order with their results.
    public var byFile: [(file: String, scenarios: [ScenarioResult])] {
        var order: [String] = []
        var groups: [String: [ScenarioResult]] = [:]
        for s in scenarios {
            if groups[s.file] == nil { order.append(s.file) }
            groups[s.file, default: []].append(s)
        }
        return order.map { ($0, groups[$0]!) }
    }

    /// Whether every scenario passed or was skipped and no sandbox leaked.
    public var passed: Bool { leaks.isEmpty && scenarios.allSatisfy { $0.outcome == .passed || $0.outcome == .skipped } }
}
