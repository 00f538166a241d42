/// A workload for `sandbench load`: how many whole-scenario sessions run, and when.
public struct LoadPlan: Sendable, Hashable {
    /// Most virtual users (or sessions in flight) one run may ask for; each is a task and a sandbox.
    public static let maxVirtualUsers = 100_000
    /// Highest arrival rate (sessions per second) one run may ask for.
    public static let maxRate: Double = 1_000_000

    /// Closed: a fixed number of virtual users loop the scenario. Open: sessions arrive at a rate.
    public enum Model: Sendable, Hashable {
        /// `pacing` gives each VU an iteration cadence: iterations are intended at start + k·pacing,
        /// so a stalled server shows up in latencies measured from the intended start.
        case closed(vus: Int, iterations: Int?, duration: Duration?, pacing: Duration?)
        case open(rate: Double, duration: Duration, maxInFlight: Int)
    }

    /// One ramp segment: move linearly to `target` (VUs or sessions/s) over `duration`.
    public struct Stage: Sendable, Hashable {
        /// How long the segment lasts.
        public var duration: Duration
        /// The level reached at its end (VUs, or sessions per second).
        public var target: Double

        /// A segment to `target` over `duration`.
        public init(duration: Duration, target: Double) {
            self.duration = duration
            self.target = target
        }
    }

    /// Open or closed, and its constant level.
    public var model: Model
    /// When present, stages replace the model's constant level (the model says open or closed).
    public var stages: [Stage]
    /// SLO expressions such as `execute.p99 < 250ms`.
    public var thresholds: [String]
    /// Seed for Poisson arrivals (nil: 1), so a plan repeats exactly.
    public var seed: UInt64?
    /// Open model: arrivals evenly spaced (`uniform`) or a seeded Poisson process (`poisson`).
    public var poissonArrivals: Bool = false
    /// Stop the run as soon as a threshold is breached.
    public var abortOnFail: Bool

    /// A plan; stages, thresholds and seed are optional.
    public init(model: Model, stages: [Stage] = [], thresholds: [String] = [], seed: UInt64? = nil, abortOnFail: Bool = false) {
        self.model = model
        self.stages = stages
        self.thresholds = thresholds
        self.seed = seed
        self.abortOnFail = abortOnFail
    }
}
