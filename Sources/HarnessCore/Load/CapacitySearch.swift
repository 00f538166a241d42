/// The search for the highest arrival rate at which every SLO holds, as a pure state machine:
/// exponential steps up from `start` (×`growth`, capped at `max`) until a step fails, then a binary
/// search between the last passing and the first failing rate until they are within `resolution`
/// of the passing rate or `maxSteps` steps have run.
///
/// ```swift
/// var search = CapacitySearch(CapacitySearch.Configuration(start: 10, max: 1000))
/// while case .run(let rate) = search.next() { search.record(rate: rate, passed: try await step(rate)) }
/// print(search.lastPass ?? 0)
/// ```
package struct CapacitySearch: Sendable {
    /// How the search moves; the defaults double from 1/s to at most 10,000/s and stop at 5 %.
    package struct Configuration: Sendable, Hashable {
        /// The first rate tried, sessions per second.
        package var start: Double
        /// The highest rate tried.
        package var max: Double
        /// Each step up multiplies the rate by this (> 1).
        package var growth: Double = 2
        /// The search ends when the failing rate is within this fraction of the passing one.
        package var resolution: Double = 0.05
        /// Most steps run, whatever the bracket.
        package var maxSteps: Int = 20

        package init(start: Double = 1, max: Double = 10_000, growth: Double = 2, resolution: Double = 0.05, maxSteps: Int = 20) {
            self.start = start
            self.max = max
            self.growth = growth
            self.resolution = resolution
            self.maxSteps = maxSteps
        }
    }

    /// Why the search ended.
    package enum Stop: String, Sendable, Hashable {
        /// The first rate already failed: no capacity at or above `start`.
        case startFailed = "start failed"
        /// `max` passed: the capacity is at least `max`.
        case reachedMax = "reached --max"
        /// The passing and failing rates are within the resolution.
        case resolved
        /// `maxSteps` steps ran before the bracket closed.
        case stepBudget = "step budget used"
    }

    /// What to do next.
    package enum Action: Sendable, Hashable {
        /// Run a step at this rate, then ``record(rate:passed:)`` how it went.
        case run(rate: Double)
        /// The search is over.
        case finished(Stop)
    }

    package let configuration: Configuration
    /// The highest rate that passed so far.
    package private(set) var lastPass: Double?
    /// The lowest rate that failed so far.
    package private(set) var firstFail: Double?
    /// Steps recorded so far.
    package private(set) var steps = 0

    package init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// The next step's rate, or why the search is over.
    package func next() -> Action {
        let c = configuration
        if firstFail != nil, lastPass == nil { return .finished(.startFailed) }
        if let lastPass, let firstFail, firstFail - lastPass <= c.resolution * lastPass { return .finished(.resolved) }
        if let lastPass, firstFail == nil, lastPass >= c.max { return .finished(.reachedMax) }
        if steps >= c.maxSteps { return .finished(.stepBudget) }
        guard let lastPass else { return .run(rate: c.start) }
        guard let firstFail else { return .run(rate: Swift.min(lastPass * c.growth, c.max)) }
        return .run(rate: (lastPass + firstFail) / 2)
    }

    /// Records how the step at `rate` came out.
    package mutating func record(rate: Double, passed: Bool) {
        steps += 1
        if passed {
            lastPass = Swift.max(lastPass ?? rate, rate)
        } else {
            firstFail = Swift.min(firstFail ?? rate, rate)
        }
    }

    /// The objectives a step is judged by: `slos`, plus no dropped arrivals, plus no step errors and
    /// no failed expectations unless an SLO already says how many are allowed (`errors`, `failures`
    /// or `checks`).
    package static func objectives(_ slos: [String]) -> [String] {
        let metrics = Set(slos.compactMap { Threshold.parse($0)?.metric })
        var all = slos
        all.append("dropped.count < 1")
        if metrics.isDisjoint(with: ["errors", "checks"]) { all.append("errors.count < 1") }
        if metrics.isDisjoint(with: ["failures", "checks"]) { all.append("failures.count < 1") }
        return all
    }
}
