/// Why shard results cannot be merged into one.
public struct LoadMergeError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// No result was given.
        public static let empty = Code("empty")
        /// A result is of another scenario than the first.
        public static let differentScenario = Code("differentScenario")
        /// A result ran another plan than the first.
        public static let differentPlan = Code("differentPlan")
        /// A result cut the plan into another number of shards than the first.
        public static let differentShardCount = Code("differentShardCount")
        /// Two results are of the same shard.
        public static let duplicateShard = Code("duplicateShard")
        /// Some shard of the plan has no result.
        public static let missingShard = Code("missingShard")
        /// A sum does not fit a count.
        public static let overflow = Code("overflow")
        public var description: String { name }
    }

    /// The kind of problem.
    public var code: Code
    /// The position of the offending result in the list given, when one result is at fault.
    public var part: Int?
    /// What is wrong and what to do, for the user.
    public var message: String

    init(_ code: Code, part: Int?, _ message: String) {
        self.code = code
        self.part = part
        self.message = message
    }

    public var description: String { message }
}

extension TimelinePoint {
    /// An empty point covering `width` seconds from `second`.
    package init(at second: Double, width: Double) {
        self.second = second
        self.width = width
    }
}

extension LoadResult {
    /// A result from measurements read back from a report (or merged); thresholds are evaluated here.
    ///
    /// `operations` are put in report order; `steps` keep the order given.
    public init(
        scenario: String, file: String, target: String, plan: LoadPlan, startedAt: Double, seconds: Double,
        operations: [(name: String, stats: MetricStats)], steps: [(name: String, stats: MetricStats)], session: MetricStats,
        timeline: [TimelinePoint], counters: LoadRecorder.Counters, aborted: String?, leaks: [String], shard: LoadShard?
    ) {
        self.scenario = scenario
        self.file = file
        self.target = target
        self.plan = plan
        self.startedAt = startedAt
        self.seconds = seconds
        let byName = Dictionary(operations.map { ($0.name, $0.stats) }, uniquingKeysWith: { first, _ in first })
        self.operations = Self.inOperationOrder(byName).map { MetricSummary(name: $0.key, stats: $0.value, seconds: seconds) }
        self.steps = steps.map { MetricSummary(name: $0.name, stats: $0.stats, seconds: seconds) }
        self.session = MetricSummary(name: "session", stats: session, seconds: seconds)
        self.timeline = timeline
        self.counters = counters
        self.aborted = aborted
        self.leaks = leaks
        self.shard = shard
        thresholds = []
        thresholds = plan.thresholds.compactMap(Threshold.parse).map(evaluate)
    }

    /// The result of the whole plan from the results of its shards, as if one machine had run it.
    ///
    /// Histograms are added bucket by bucket (so percentiles are those of all the shards' samples at
    /// the histograms' precision), counters summed, and the per-second timelines aligned by wall-clock
    /// time: each shard's point goes to the merged slice holding its midpoint, the origin being the
    /// earliest shard's start. Thresholds are evaluated on the merged result. A result without a
    /// shard counts as the whole plan (`0/1`), so a merged result merges again on its own.
    ///
    /// - Throws: ``LoadMergeError`` when the results are of different scenarios or plans, a shard is
    ///   missing or given twice, or a sum overflows; `part` names the offending result.
    public init(merging parts: [LoadResult]) throws(LoadMergeError) {
        guard let first = parts.first else { throw LoadMergeError(.empty, part: nil, "no results to merge") }
        let count = (first.shard ?? .whole).count
        var seen: [Int: Int] = [:]
        for (position, part) in parts.enumerated() {
            let shard = part.shard ?? .whole
            guard part.scenario == first.scenario else {
                throw LoadMergeError(
                    .differentScenario, part: position,
                    "is of scenario \"\(part.scenario)\", the first result of \"\(first.scenario)\": merge the shards of one run")
            }
            guard part.plan == first.plan else {
                throw LoadMergeError(.differentPlan, part: position, "ran another plan than the first result: merge the shards of one run")
            }
            guard shard.count == count else {
                throw LoadMergeError(
                    .differentShardCount, part: position, "is shard \(shard) but the first result is shard \(first.shard ?? .whole)")
            }
            if let earlier = seen[shard.index] {
                throw LoadMergeError(.duplicateShard, part: position, "is shard \(shard) again (as result \(earlier + 1))")
            }
            seen[shard.index] = position
        }
        let missing = (0..<count).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            let list = missing.prefix(10).map { "\($0)/\(count)" }.joined(separator: ", ")
            throw LoadMergeError(
                .missingShard, part: nil, "shard\(missing.count == 1 ? "" : "s") \(list)\(missing.count > 10 ? ", …" : "") missing")
        }

        var counters = LoadRecorder.Counters()
        var operations: [String: MetricStats] = [:]
        var stepNames: [String] = []
        var steps: [String: MetricStats] = [:]
        var session = MetricStats()
        for (position, part) in parts.enumerated() {
            let c = part.counters
            try Self.add(&counters.sessionsStarted, c.sessionsStarted, part: position)
            try Self.add(&counters.sessionsFinished, c.sessionsFinished, part: position)
            try Self.add(&counters.sessionsFailed, c.sessionsFailed, part: position)
            try Self.add(&counters.sessionsErrored, c.sessionsErrored, part: position)
            try Self.add(&counters.dropped, c.dropped, part: position)
            try Self.add(&counters.steps, c.steps, part: position)
            try Self.add(&counters.stepErrors, c.stepErrors, part: position)
            try Self.add(&counters.stepFailures, c.stepFailures, part: position)
            for metric in part.operations { try Self.merge(&operations[metric.name, default: MetricStats()], metric.stats, part: position) }
            for metric in part.steps {
                if steps[metric.name] == nil { stepNames.append(metric.name) }
                try Self.merge(&steps[metric.name, default: MetricStats()], metric.stats, part: position)
            }
            try Self.merge(&session, part.session.stats, part: position)
        }

        let origin = parts.map(\.startedAt).min() ?? first.startedAt
        let seconds = parts.map { $0.startedAt - origin + $0.seconds }.max() ?? 0
        let span = parts.map { $0.startedAt - origin + ($0.timeline.last.map { $0.second + $0.width } ?? 0) }.max() ?? 0
        let timeline = try Self.alignedTimeline(parts, origin: origin, span: span)

        let targets = parts.map(\.target).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let aborted = parts.compactMap { part in part.aborted.map { "shard \(part.shard ?? .whole): \($0)" } }
        self.init(
            scenario: first.scenario, file: first.file, target: targets.joined(separator: ", "), plan: first.plan,
            startedAt: origin, seconds: seconds, operations: operations.map { ($0.key, $0.value) },
            steps: stepNames.compactMap { name in steps[name].map { (name, $0) } }, session: session, timeline: timeline,
            counters: counters, aborted: aborted.isEmpty ? nil : aborted.joined(separator: "; "), leaks: parts.flatMap(\.leaks),
            shard: nil)
    }

    /// The shards' timelines on one wall-clock axis from `origin`, in slices of the widest point's
    /// width, doubled until at most ``LoadRecorder/maxTimelinePoints`` slices cover `span` seconds
    /// (where the last point of any shard ends); each point goes to the slice holding its middle.
    static func alignedTimeline(_ parts: [LoadResult], origin: Double, span: Double) throws(LoadMergeError) -> [TimelinePoint] {
        guard span.isFinite, span >= 0 else { return [] }
        var width = max(1, parts.flatMap { $0.timeline.map(\.width) }.filter(\.isFinite).max() ?? 1)
        let limit = Double(LoadRecorder.maxTimelinePoints)
        while span / width > limit { width *= 2 }
        func slice(_ point: TimelinePoint, of part: LoadResult) -> Int {
            let index = ((part.startedAt - origin + point.second + point.width / 2) / width).rounded(.down)
            return index.isFinite ? Int(min(max(index, 0), limit)) : 0
        }
        let slices = parts.flatMap { part in part.timeline.map { slice($0, of: part) + 1 } }.max() ?? 0
        var merged = (0..<slices).map { TimelinePoint(at: Double($0) * width, width: width) }
        for (position, part) in parts.enumerated() {
            for point in part.timeline {
                let i = slice(point, of: part)
                try add(&merged[i].sessionsStarted, point.sessionsStarted, part: position)
                try add(&merged[i].sessionsFinished, point.sessionsFinished, part: position)
                try add(&merged[i].dropped, point.dropped, part: position)
                try add(&merged[i].requests, point.requests, part: position)
                try add(&merged[i].errors, point.errors, part: position)
                try add(&merged[i].failures, point.failures, part: position)
                merged[i].latency.merge(point.latency)
            }
        }
        return merged
    }

    /// Largest merged count: 2^53, what a JSON number holds exactly and far below where sums of a few
    /// counts (as thresholds take them) could overflow.
    static let maxCount = 1 << 53

    private static func add(_ total: inout Int, _ value: Int, part: Int) throws(LoadMergeError) {
        let (sum, overflow) = total.addingReportingOverflow(value)
        guard !overflow, value >= 0, sum <= maxCount else {
            throw LoadMergeError(.overflow, part: part, "has a count that takes the total past 2^53 (\(value))")
        }
        total = sum
    }

    /// `stats` added into `total`, refusing a histogram whose total would pass 2^53.
    private static func merge(_ total: inout MetricStats, _ stats: MetricStats, part: Int) throws(LoadMergeError) {
        try add(&total.errors, stats.errors, part: part)
        try add(&total.failures, stats.failures, part: part)
        for (sum, more) in [(total.service.count, stats.service.count), (total.corrected.count, stats.corrected.count)] {
            let (n, overflow) = sum.addingReportingOverflow(more)
            guard !overflow, n <= UInt64(maxCount) else {
                throw LoadMergeError(.overflow, part: part, "has a histogram whose count takes the total past 2^53 (\(more))")
            }
        }
        total.service.merge(stats.service)
        total.corrected.merge(stats.corrected)
    }
}
