public import Histogram

/// An HDR histogram of latencies in microseconds, 1 µs to 1 h at 3 significant digits.
public struct LatencyHistogram: Sendable {
    /// The underlying HDR histogram, in microseconds.
    public private(set) var histogram: Histogram<UInt64>

    /// Largest latency tracked, in microseconds (one hour); larger values are clamped.
    public static let highest: UInt64 = 3_600_000_000

    /// An empty histogram.
    public init() {
        histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: Self.highest, numberOfSignificantValueDigits: .three)
    }

    /// Records one latency.
    public mutating func record(_ d: Duration) {
        _ = histogram.record(Swift.min(Self.highest, Swift.max(1, Self.micros(d))))
    }

    /// Records `count` occurrences of a value in microseconds (used when merging encoded runs).
    public mutating func record(micros: UInt64, count: UInt64) {
        _ = histogram.record(Swift.min(Self.highest, Swift.max(1, micros)), count: count)
    }

    /// Adds every value of `other`.
    public mutating func merge(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    /// How many latencies were recorded.
    public var count: UInt64 { histogram.totalCount }

    /// The value at percentile `p` (0–100) in seconds.
    public func percentile(_ p: Double) -> Double { count == 0 ? 0 : Double(histogram.valueAtPercentile(p)) / 1e6 }
    /// The smallest recorded latency in seconds (0 when empty).
    public var min: Double { count == 0 ? 0 : Double(histogram.min) / 1e6 }
    /// The largest recorded latency in seconds (0 when empty).
    public var max: Double { count == 0 ? 0 : Double(histogram.max) / 1e6 }
    /// The mean in seconds (0 when empty).
    public var mean: Double { count == 0 ? 0 : histogram.mean / 1e6 }

    /// Sparse `[[micros, count], …]` pairs at the histogram's own resolution: enough to rebuild and merge it.
    public var encoded: [[UInt64]] {
        histogram.recordedValues().map { [$0.value, UInt64($0.count)] }
    }

    /// Rebuilds a histogram from ``encoded``.
    public init(encoded: [[UInt64]]) {
        self.init()
        for pair in encoded where pair.count == 2 { record(micros: pair[0], count: pair[1]) }
    }

    /// The smallest recorded value exactly, in microseconds (0 when empty). ``encoded`` keeps each
    /// value's bucket; the exact smallest and largest values, which percentiles are clamped to, are kept apart.
    public var exactMinMicros: UInt64 { count == 0 ? 0 : histogram.min }
    /// The largest recorded value exactly, in microseconds (0 when empty).
    public var exactMaxMicros: UInt64 { count == 0 ? 0 : histogram.maxRecorded }

    /// Rebuilds a histogram from ``encoded``, ``exactMinMicros`` and ``exactMaxMicros``: the same
    /// buckets, count, minimum and maximum, so every percentile, the mean and the extremes are those
    /// of the histogram they came from. An extreme outside the lowest (highest) bucket is ignored,
    /// which the caller sees by comparing the rebuilt histogram's extremes with the ones it gave.
    public init(encoded: [[UInt64]], exactMinMicros: UInt64, exactMaxMicros: UInt64) {
        self.init()
        var buckets: [(value: UInt64, count: UInt64)] = []
        for pair in encoded where pair.count == 2 {
            buckets.append((Swift.min(Self.highest, Swift.max(1, pair[0])), pair[1]))
        }
        let h = histogram
        let lowest = buckets.map(\.value).min().map(h.lowestEquivalentForValue)
        let highest = buckets.map(\.value).max().map(h.lowestEquivalentForValue)
        let minimum = exactMinMicros >= 1 && h.lowestEquivalentForValue(exactMinMicros) == lowest ? exactMinMicros : nil
        let maximum = exactMaxMicros >= 1 && h.lowestEquivalentForValue(exactMaxMicros) == highest ? exactMaxMicros : nil
        // Each bucket's count is recorded at a value inside it: the exact extreme for the extreme
        // buckets (the histogram keeps the raw smallest and largest value it was given), else the pair's.
        for bucket in buckets {
            let at = h.lowestEquivalentForValue(bucket.value)
            let value = at == lowest ? (minimum ?? bucket.value) : at == highest ? (maximum ?? bucket.value) : bucket.value
            record(micros: value, count: bucket.count)
        }
        // One bucket holds both extremes: the maximum is raised to its exact value by a count of 0.
        if let maximum, lowest == highest { record(micros: maximum, count: 0) }
    }

    /// Whole microseconds, 0 for negative durations and `UInt64.max` beyond what fits (then the
    /// histogram clamps it to ``highest``).
    static func micros(_ d: Duration) -> UInt64 {
        let (s, atto) = d.components
        let (scaled, overflow) = s.multipliedReportingOverflow(by: 1_000_000)
        let (us, carry) = scaled.addingReportingOverflow(atto / 1_000_000_000_000)
        guard !overflow, !carry else { return s < 0 ? 0 : UInt64.max }
        return us < 0 ? 0 : UInt64(us)
    }
}

/// A coarse fixed-size histogram for per-second timeline points (≈2% resolution, 1 µs to 1 h).
public struct CoarseHistogram: Sendable {
    /// log-spaced buckets: value(b) = 1µs · 1.02^b.
    static let ratio = 1.02
    static let buckets = 1_110
    var counts: [UInt32]
    /// How many values were recorded.
    public private(set) var count: Int = 0

    /// An empty histogram.
    public init() { counts = [] }

    /// Records one latency in seconds; non-finite and out-of-range values are clamped.
    public mutating func record(_ seconds: Double) {
        if counts.isEmpty { counts = [UInt32](repeating: 0, count: Self.buckets) }
        // Clamped before the conversion to Int, which would trap on an infinite or NaN logarithm.
        let micros = seconds.isFinite ? Swift.min(Swift.max(1, seconds * 1e6), 1e12) : 1
        let b = Swift.min(Self.buckets - 1, Int((log(micros) / log(Self.ratio)).rounded(.down)))
        counts[Swift.max(0, b)] &+= 1
        count += 1
    }

    /// Sparse `[[bucket, count], …]` pairs, every bucket that holds a value: enough to rebuild it exactly.
    package var encoded: [[Int]] {
        counts.indices.compactMap { counts[$0] == 0 ? nil : [$0, Int(counts[$0])] }
    }

    /// The bucket numbers a histogram has (`0..<buckets`), for checking ``init(encoded:)``'s input.
    package static var bucketRange: Range<Int> { 0..<buckets }

    /// Rebuilds a histogram from ``encoded``; pairs with a bucket outside ``bucketRange`` or a count
    /// outside `UInt32` are skipped (the caller checks them first).
    package init(encoded: [[Int]]) {
        self.init()
        for pair in encoded where pair.count == 2 && Self.bucketRange.contains(pair[0]) {
            guard let c = UInt32(exactly: pair[1]), c > 0 else { continue }
            if counts.isEmpty { counts = [UInt32](repeating: 0, count: Self.buckets) }
            counts[pair[0]] &+= c
            count += Int(c)
        }
    }

    /// Adds every value of `other`.
    public mutating func merge(_ other: CoarseHistogram) {
        guard other.count > 0 else { return }
        if counts.isEmpty { counts = other.counts } else { for i in counts.indices { counts[i] &+= other.counts[i] } }
        count += other.count
    }

    /// Percentile `p` (0–100) in seconds.
    public func percentile(_ p: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, Int((p / 100 * Double(count)).rounded(.up)))
        var seen = 0
        for (b, c) in counts.enumerated() {
            seen += Int(c)
            if seen >= rank { return pow(Self.ratio, Double(b) + 0.5) / 1e6 }
        }
        return 0
    }
}

#if canImport(Glibc)
    import Glibc
#endif
