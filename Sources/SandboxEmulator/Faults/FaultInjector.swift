import Synchronization

/// The live fault plan of one emulator: decides each request's faults from a seeded generator in
/// request-arrival order, counts what fired per rule, and can take a new plan while serving.
///
/// Decisions are drawn under a lock, so for a given seed and order of requests the faults are the
/// same in every run. An emulator started with ``EmulatorConfiguration/faults`` exposes its
/// injector as ``EmulatorInfo/faults``.
public final class FaultInjector: Sendable {
    struct State {
        var plan: FaultPlan
        var random: SplitMix64
        var report: FaultReport
    }

    private let state: Mutex<State>

    /// An injector applying `plan` from its seed.
    public init(plan: FaultPlan) {
        state = Mutex(State(plan: plan, random: SplitMix64(seed: plan.seed), report: FaultReport(plan: plan)))
    }

    /// Counters of the plan in force since it was installed.
    public var report: FaultReport { state.withLock { $0.report } }

    /// Installs `plan`: the generator restarts from its seed and the counters from zero.
    ///
    /// - Returns: the report of the plan it replaced.
    @discardableResult
    public func replace(with plan: FaultPlan) -> FaultReport {
        state.withLock { state in
            let previous = state.report
            state = State(plan: plan, random: SplitMix64(seed: plan.seed), report: FaultReport(plan: plan))
            state.report.reloads = previous.reloads + 1
            return previous
        }
    }

    /// Reads the fault file at `path` again and installs it; on any problem the current plan stays.
    ///
    /// - Returns: the report of the plan it replaced.
    /// - Throws: ``FaultPlanError`` with every problem in the file.
    @discardableResult
    public func reload(fromFile path: String) throws(FaultPlanError) -> FaultReport {
        replace(with: try FaultPlan.load(path: path))
    }

    /// Rolls the rules for one API request (`path` after the version segment, without the query).
    func decide(method: String, path: Substring) -> FaultDecision {
        state.withLock { state in
            state.report.requests += 1
            var decision = FaultDecision()
            for (index, rule) in state.plan.rules.enumerated() where rule.match.matches(method: method, path: path) {
                state.report.rules[index].matched += 1
                switch rule.action {
                case .latency(let latency, let jitter):
                    decision.delay += latency
                    let spread = FaultDecision.nanoseconds(jitter)
                    if spread > 0 {
                        // The high word of a 64×64-bit product is uniform in [0, spread) and never overflows.
                        let draw = state.random.next().multipliedFullWidth(by: UInt64(spread)).high
                        decision.delay += .nanoseconds(Int64(clamping: draw))
                    }
                    state.report.rules[index].fired += 1
                default:
                    guard decision.outcome == nil else { continue }
                    guard state.random.nextUnit() < rule.action.rate else { continue }
                    decision.outcome = rule.action
                    state.report.rules[index].fired += 1
                }
            }
            return decision
        }
    }
}

/// What happens to one request: a delay first, then at most one of error, reset, slow body or truncation.
struct FaultDecision: Sendable {
    var delay: Duration = .zero
    var outcome: FaultAction?

    /// `d` in nanoseconds, clamped to 0...2^62 (plan durations are at most an hour).
    static func nanoseconds(_ d: Duration) -> Int64 {
        max(0, d.nanoseconds(saturatingAt: 1 << 62))
    }
}

/// Sebastiano Vigna's SplitMix64: small, fast, and the same sequence on every platform for a seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1) with 53 bits of precision.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}
