import HarnessCore
import SandboxAPI

/// What one side of a comparison produced: its records, and what went wrong outside them.
package struct ParitySide: Sendable {
    /// How reports name the side: `emulator (http://127.0.0.1:PORT)`, a URL, `snapshots in DIR`, a cassette.
    package var description: String
    /// One record per scenario it ran (or recorded).
    package var scenarios: [ScenarioRecord]
    /// Sandboxes of this side still alive after clean-up.
    package var leaks: [String]
    /// Problems of the side as a whole (an engine that could not be created, an interruption).
    package var problems: [String]

    package init(description: String, scenarios: [ScenarioRecord], leaks: [String] = [], problems: [String] = []) {
        self.description = description
        self.scenarios = scenarios
        self.leaks = leaks
        self.problems = problems
    }
}

/// How one step compared.
package struct StepComparison: Sendable {
    /// The verdict of a step, from best to worst.
    package enum Verdict: String, Sendable, Hashable {
        /// Both sides answered the same (after normalising).
        case same
        /// Every difference is a known gap.
        case explained
        /// At least one difference no gap explains.
        case different
        /// A side could not answer or did not pass its own expectations: nothing sound to compare.
        case error

        /// Worse verdicts rank higher.
        var rank: Int {
            switch self {
            case .same: 0
            case .explained: 1
            case .different: 2
            case .error: 3
            }
        }
    }

    /// Position in the scenario, from 0.
    package var index: Int
    package var name: String
    package var operation: String
    package var verdict: Verdict
    /// Every difference (each with its gap, if one covers it), in path order.
    package var differences: [Difference]
    /// Differences beyond ``JSONDiff/maxDifferences``, counted only.
    package var moreDifferences: Int
    /// Errors of the comparison, prefixed with the side (`reference: …`, `candidate: …`).
    package var problems: [String]
    /// The normalised step of each side (nil when that side did not run it).
    package var reference: StepRecord?
    package var candidate: StepRecord?

    /// The unexplained differences.
    package var unexplained: [Difference] { differences.filter { $0.gap == nil } }

    /// HTTP status, google.rpc status and message class of each side, when either answered an error.
    package var errorShape: ErrorShape? {
        let left = reference?.response.map(ErrorShape.Shape.init)
        let right = candidate?.response.map(ErrorShape.Shape.init)
        guard left?.isError == true || right?.isError == true else { return nil }
        return ErrorShape(reference: left, candidate: right)
    }
}

/// Error-shape parity of a step: whether both sides failed the same way.
package struct ErrorShape: Sendable, Hashable {
    /// The parts of an error answer that are compared.
    package struct Shape: Sendable, Hashable, CustomStringConvertible {
        package var httpStatus: Int?
        /// `error.status` of the Google error body (`NOT_FOUND`).
        package var rpcStatus: String?
        /// The message's class (see ``Normaliser/messageClass(_:)``).
        package var messageClass: String?

        init(_ response: JSONValue) {
            httpStatus = response["@status"]?.numberValue.flatMap { Int(exactly: $0) }
            rpcStatus = response["error"]?["status"]?.stringValue
            messageClass = response["error"]?["message"]?.stringValue
        }

        var isError: Bool { httpStatus != 200 }

        package var description: String {
            "HTTP \(httpStatus.map(String.init) ?? "-") \(rpcStatus ?? "-") “\(messageClass ?? "")”"
        }
    }

    package var reference: Shape?
    package var candidate: Shape?

    /// Same HTTP status, same google.rpc status, same message class.
    package var matches: Bool { reference == candidate }
}

/// How one scenario compared.
package struct ScenarioComparison: Sendable {
    package var name: String
    package var file: String
    package var steps: [StepComparison]
    /// Errors of the comparison outside the steps (no reference record, clean-up problems).
    package var problems: [String]
    /// Why it was not compared, when both sides skipped it.
    package var skipReason: String?

    /// The worst step verdict, or error for scenario-level problems.
    package var verdict: StepComparison.Verdict {
        if !problems.isEmpty { return .error }
        return steps.map(\.verdict).max { $0.rank < $1.rank } ?? .same
    }
}

/// Latency parity of one operation: candidate / reference of p50 and p99.
package struct OperationLatency: Sendable, Hashable {
    package var operation: String
    /// Samples on each side.
    package var referenceCount: Int
    package var candidateCount: Int
    /// Percentiles in seconds.
    package var referenceP50: Double
    package var referenceP99: Double
    package var candidateP50: Double
    package var candidateP99: Double
    /// The `--latency-ratio` bound in force, if any.
    package var bound: Double?

    /// Candidate p50 / reference p50 (nil when the reference's is zero).
    package var ratioP50: Double? { referenceP50 > 0 ? candidateP50 / referenceP50 : nil }
    /// Candidate p99 / reference p99.
    package var ratioP99: Double? { referenceP99 > 0 ? candidateP99 / referenceP99 : nil }

    /// Whether a ratio is over the bound.
    package var exceeded: Bool {
        guard let bound else { return false }
        return [ratioP50, ratioP99].contains { ($0 ?? 0) > bound }
    }
}

/// A gap that explained nothing in this run.
package struct StaleGap: Sendable, Hashable {
    package var gap: KnownGap
    /// `no longer differs`, or that no compared step matched it.
    package var why: String
}

/// The outcome of `sandbench parity`: every scenario and step compared, the gaps that explained
/// differences and those that are stale, and latency per operation.
package struct ParityResult: Sendable {
    /// How reports name the two sides.
    package var reference: String
    package var candidate: String
    /// The gaps file, when one was given.
    package var gapsFile: String?
    /// Wall-clock start, seconds since the Unix epoch.
    package var startedAt: Double
    package var duration: Duration
    package var scenarios: [ScenarioComparison]
    package var staleGaps: [StaleGap]
    package var latency: [OperationLatency]
    /// The `--latency-ratio` bound (nil: latency is reported only).
    package var latencyBound: Double?
    /// Problems of either side as a whole, prefixed with the side; leaks among them.
    package var problems: [String]

    package init(
        reference: String, candidate: String, gapsFile: String?, startedAt: Double, duration: Duration,
        scenarios: [ScenarioComparison], staleGaps: [StaleGap], latency: [OperationLatency], latencyBound: Double?,
        problems: [String]
    ) {
        self.reference = reference
        self.candidate = candidate
        self.gapsFile = gapsFile
        self.startedAt = startedAt
        self.duration = duration
        self.scenarios = scenarios
        self.staleGaps = staleGaps
        self.latency = latency
        self.latencyBound = latencyBound
        self.problems = problems
    }

    /// Every compared step.
    package var steps: [StepComparison] { scenarios.flatMap(\.steps) }

    /// No unexplained difference, no error of the comparison, no latency over the bound: exit 0.
    package var passed: Bool {
        problems.isEmpty && !latency.contains { $0.exceeded }
            && scenarios.allSatisfy { $0.skipReason != nil || $0.verdict == .same || $0.verdict == .explained }
    }

    /// Steps per verdict.
    package func count(_ verdict: StepComparison.Verdict) -> Int { steps.count { $0.verdict == verdict } }
}
