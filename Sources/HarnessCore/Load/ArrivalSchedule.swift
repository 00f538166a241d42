/// The planned start times of an open workload: `rate` sessions per second, ramped by stages,
/// evenly spaced or as a seeded Poisson process. Pure and deterministic for a given plan and seed.
///
/// Arrival n is placed where the expected number of arrivals Λ(t) = ∫ rate reaches n (uniform) or
/// the n-th point of a unit-rate Poisson process (Poisson), so ramps are followed exactly.
package struct ArrivalSchedule: Sendable {
    /// One piece of the rate curve: linear from `fromRate` to `toRate` over `duration` seconds.
    struct Segment: Sendable {
        var start: Double
        var duration: Double
        var fromRate: Double
        var toRate: Double
        /// Expected arrivals before this segment.
        var before: Double

        var arrivals: Double { (fromRate + toRate) / 2 * duration }
    }

    let segments: [Segment]
    /// Total planned time in seconds.
    package let duration: Double
    private var expected: Double = 0
    private var random: SplitMix64?

    /// A constant `rate` for `duration`, or stages ramping from `rate` (each stage moves linearly to its target).
    package init(rate: Double, duration: Double, stages: [(duration: Double, target: Double)] = [], poissonSeed: UInt64? = nil) {
        var segments: [Segment] = []
        var start = 0.0
        var before = 0.0
        if stages.isEmpty {
            segments.append(Segment(start: 0, duration: duration, fromRate: rate, toRate: rate, before: 0))
            start = duration
        } else {
            var current = rate
            for stage in stages {
                let segment = Segment(start: start, duration: stage.duration, fromRate: current, toRate: stage.target, before: before)
                segments.append(segment)
                before += segment.arrivals
                start += stage.duration
                current = stage.target
            }
        }
        self.segments = segments
        self.duration = start
        self.random = poissonSeed.map(SplitMix64.init(seed:))
    }

    /// Expected number of arrivals in the whole plan.
    package var expectedTotal: Double { segments.last.map { $0.before + $0.arrivals } ?? 0 }

    /// The next arrival's offset in seconds from the start, or nil when the plan is over.
    package mutating func next() -> Double? {
        if var r = random {
            // Exponential(1) gaps in Λ-space give a Poisson process of the planned intensity.
            expected += -log1p(-r.nextDouble())
            random = r
        } else {
            expected += 1
        }
        return time(forExpected: expected - (random == nil ? 1 : 0))
    }

    /// Inverts Λ: the time at which `n` arrivals are expected.
    func time(forExpected n: Double) -> Double? {
        for s in segments where n < s.before + s.arrivals {
            let need = n - s.before
            let slope = (s.toRate - s.fromRate) / max(s.duration, 1e-12)
            if abs(slope) < 1e-12 {
                guard s.fromRate > 0 else { continue }
                return s.start + need / s.fromRate
            }
            // slope/2 · τ² + fromRate · τ − need = 0
            let disc = s.fromRate * s.fromRate + 2 * slope * need
            let tau = (-s.fromRate + disc.squareRoot()) / slope
            return s.start + min(max(tau, 0), s.duration)
        }
        return nil
    }
}

/// A small, fast, seedable generator (SplitMix64) so plans repeat exactly.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1).
    package mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

#if canImport(Glibc)
    import Glibc
#endif
