import SandboxAPI

/// A service-level objective over a load run, e.g. `execute.p99 < 250ms` or `errors.rate < 1%`.
public struct Threshold: Sendable, Hashable, CustomStringConvertible {
    /// Which statistic of a metric.
    public enum Statistic: Sendable, Hashable {
        case percentile(Double)
        case min, max, mean, count
        /// A ratio (errors.rate, checks.rate) or a per-second rate (execute.rate).
        case rate
    }

    /// How the measured value must compare with the limit.
    public enum Comparison: String, Sendable, Hashable {
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="

        func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .less: lhs < rhs
            case .lessOrEqual: lhs <= rhs
            case .greater: lhs > rhs
            case .greaterOrEqual: lhs >= rhs
            }
        }
    }

    /// The text as written.
    public var source: String
    /// Operation (`create`, `ready`, `execute`, …), a step name, `session`, `errors` (steps that
    /// errored), `failures` (steps whose expectation was not met), `checks` (steps that passed) or
    /// `dropped`.
    public var metric: String
    /// What is measured: a percentile, the mean, max, or a rate.
    public var statistic: Statistic
    /// The comparison the measured value must satisfy.
    public var comparison: Comparison
    /// Seconds for latency statistics, a fraction (0.01) for `%`, or a plain number.
    public var value: Double

    /// The threshold as written.
    public var description: String { source }

    /// Whether `actual` satisfies the objective.
    public func holds(_ actual: Double) -> Bool { comparison.holds(actual, value) }

    /// Parses `METRIC.STAT OP VALUE`; nil when malformed.
    public static func parse(_ text: String) -> Threshold? {
        let ops: [Comparison] = [.lessOrEqual, .greaterOrEqual, .less, .greater]
        guard let op = ops.first(where: { text.contains($0.rawValue) }), let range = text.range(of: op.rawValue) else { return nil }
        let lhs = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        let rhs = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
        guard let dot = lhs.firstIndex(of: ".") else { return nil }
        let metric = String(lhs[..<dot])
        let statText = String(lhs[lhs.index(after: dot)...]).lowercased()
        guard !metric.isEmpty else { return nil }
        let statistic: Statistic
        switch statText {
        case "min": statistic = .min
        case "max": statistic = .max
        case "mean", "avg": statistic = .mean
        case "count": statistic = .count
        case "rate": statistic = .rate
        case "med", "median": statistic = .percentile(50)
        default:
            guard statText.hasPrefix("p"), let p = Double(statText.dropFirst()), p > 0, p <= 100 else { return nil }
            statistic = .percentile(p)
        }
        let value: Double
        if rhs.hasSuffix("%"), let n = Double(rhs.dropLast()) {
            value = n / 100
        } else if let d = HumanDuration.parse(rhs) {
            value = d.seconds
        } else if let n = Double(rhs) {
            value = n
        } else {
            return nil
        }
        return Threshold(source: text, metric: metric, statistic: statistic, comparison: op, value: value)
    }
}
