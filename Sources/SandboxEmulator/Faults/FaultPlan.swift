import SandboxAPI

/// A fault-injection plan: rules that make the emulator answer matching requests with errors,
/// delays, resets, slow or truncated bodies, drawn from a generator seeded with ``seed``.
///
/// ```swift
/// var configuration = EmulatorConfiguration()
/// configuration.faults = FaultPlan(seed: 7, rules: [
///     FaultRule(match: FaultMatch(method: "POST", path: "*:execute"), action: .error(status: 503, rate: 0.3)),
/// ])
/// ```
/// Files in the format of `docs/faults.md` load with ``load(path:)``.
public struct FaultPlan: Sendable, Hashable {
    /// Seeds the generator every probabilistic decision draws from, in request-arrival order.
    public var seed: UInt64
    /// The rules, tried in order for every API request.
    public var rules: [FaultRule]

    /// A plan with `rules` and `seed`.
    public init(seed: UInt64 = 0, rules: [FaultRule] = []) {
        self.seed = seed
        self.rules = rules
    }
}

/// One rule: which requests it applies to and what it does to them.
public struct FaultRule: Sendable, Hashable {
    /// The requests the rule applies to.
    public var match: FaultMatch
    /// What the rule does to a matching request.
    public var action: FaultAction
    /// Where the rule was written (`file:line`), for reports; nil for rules built in code.
    public var origin: String?

    /// A rule applying `action` to requests that `match` selects.
    public init(match: FaultMatch = FaultMatch(), action: FaultAction, origin: String? = nil) {
        self.match = match
        self.action = action
        self.origin = origin
    }
}

/// Selects requests by method and by a glob on the path after the version segment (`/v1beta1/` or `/v1/`).
public struct FaultMatch: Sendable, Hashable {
    /// The HTTP method in capitals; nil matches every method.
    public var method: String?
    /// A glob on the path after the version segment, without the query: `*` is any run of
    /// characters (including `/`), `?` exactly one character, everything else itself.
    public var path: String

    /// A match on `method` (any when nil) and the `path` glob.
    public init(method: String? = nil, path: String = "*") {
        self.method = method?.uppercased()
        self.path = path
    }

    /// Whether a request with `method` on `path` (after the version segment) is selected.
    func matches(method: String, path: some StringProtocol) -> Bool {
        if let wanted = self.method, wanted != method { return false }
        return Glob.matches(pattern: self.path.utf8, Array(path.utf8))
    }

    /// `POST *:execute`, for reports.
    var summary: String { "\(method ?? "*") \(path)" }
}

/// What a rule does to a request it matches.
public enum FaultAction: Sendable, Hashable {
    /// With probability `rate`, answer `status` with a Google error body instead of serving the
    /// request; with `retryAfter`, also a `Retry-After` header (whole seconds, rounded up).
    case error(status: Int, rate: Double, retryAfter: Duration? = nil)
    /// Delay every matching request by `latency` plus a uniform draw in `[0, jitter)`.
    case latency(Duration, jitter: Duration = .zero)
    /// With probability `rate`, close the connection without a response (a TCP reset).
    case reset(rate: Double)
    /// With probability `rate`, send the response body at `bytesPerSecond`.
    case slowBody(bytesPerSecond: Int, rate: Double)
    /// With probability `rate`, send the head and half the body, then close the connection.
    case truncate(rate: Double)

    /// The name used in fault files and reports: `error`, `latency`, `reset`, `slow_body`, `truncate`.
    package var kind: String {
        switch self {
        case .error: "error"
        case .latency: "latency"
        case .reset: "reset"
        case .slowBody: "slow_body"
        case .truncate: "truncate"
        }
    }

    /// Every kind, in the order reports list them.
    static let kinds = ["error", "latency", "reset", "slow_body", "truncate"]

    /// The probability of firing, clamped to 0...1 (1 for latency, which applies to every match).
    var rate: Double {
        let raw: Double
        switch self {
        case .error(_, let rate, _), .reset(let rate), .slowBody(_, let rate), .truncate(let rate): raw = rate
        case .latency: return 1
        }
        return raw.isNaN ? 0 : min(1, max(0, raw))
    }

    /// `error 503 rate 0.3 retry_after 1s`, for reports.
    var summary: String {
        switch self {
        case .error(let status, let rate, let retryAfter):
            "error \(status) rate \(rate)" + (retryAfter.map { " retry_after \(HumanDuration.format($0))" } ?? "")
        case .latency(let latency, let jitter):
            "latency \(HumanDuration.format(latency))" + (jitter > .zero ? " jitter \(HumanDuration.format(jitter))" : "")
        case .reset(let rate): "reset rate \(rate)"
        case .slowBody(let bytesPerSecond, let rate): "slow_body \(bytesPerSecond) B/s rate \(rate)"
        case .truncate(let rate): "truncate rate \(rate)"
        }
    }
}

extension FaultPlan {
    /// The bounds every value of a plan file is checked against.
    package enum Limits {
        /// Statuses an `error` rule may answer with.
        package static let status = 400...599
        /// Largest `latency` and `jitter`.
        package static let maxDelay: Duration = .seconds(3600)
        /// Largest `retry_after`.
        package static let maxRetryAfter: Duration = .seconds(86_400)
        /// Allowed `bytes_per_second`.
        package static let bytesPerSecond = 1...(1 << 30)
        /// Longest path glob, in bytes.
        package static let maxPatternBytes = 1024
        /// Most rules in one plan.
        package static let maxRules = 1000
        /// Largest fault file read, in bytes.
        package static let maxFileBytes = 1 << 20
    }
}

/// `*` and `?` globs over bytes.
enum Glob {
    /// Whether `text` matches `pattern`; linear in the common case, `O(pattern × text)` at worst.
    static func matches(pattern: String.UTF8View, _ text: [UInt8]) -> Bool {
        let p = Array(pattern)
        var pi = 0
        var ti = 0
        var star = -1
        var resume = 0
        while ti < text.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == text[ti] && p[pi] != UInt8(ascii: "*") {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                resume = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                resume += 1
                ti = resume
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
