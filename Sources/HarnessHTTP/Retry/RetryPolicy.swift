public import Foundation
public import HarnessCore

/// When and how long ``RetryingTransport`` waits before sending a request again; off by default.
///
/// Delays follow exponential backoff with full jitter: before retry `n` the wait is uniform in
/// `[0, min(maxDelay, baseDelay * 2^(n-1))]`, unless the server's `Retry-After` says otherwise
/// (then that, capped at `maxDelay`).
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(200), maxDelay: .seconds(5))
/// let transport = RetryingTransport(wrapping: curl, policy: policy)
/// ```
public struct RetryPolicy: Sendable {
    /// Attempts per request, the first included; 1 means never retry (default 1).
    public var maxAttempts: Int
    /// Upper bound of the first backoff (default 200 ms).
    public var baseDelay: Duration
    /// Upper bound of any wait, `Retry-After` included (default 10 s).
    public var maxDelay: Duration
    /// Response statuses that are retried (default 429 and 503).
    public var retryableStatuses: Set<Int>
    /// Whether a failure to connect is retried (default true); other transport errors never are,
    /// since the server may have acted on the request.
    public var retriesConnectErrors: Bool

    /// Makes a policy; the defaults never retry.
    public init(
        maxAttempts: Int = 1,
        baseDelay: Duration = .milliseconds(200),
        maxDelay: Duration = .seconds(10),
        retryableStatuses: Set<Int> = [429, 503],
        retriesConnectErrors: Bool = true
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.retryableStatuses = retryableStatuses
        self.retriesConnectErrors = retriesConnectErrors
    }

    /// A policy that sends every request once.
    public static let never = RetryPolicy()

    /// Whether a request that got `status` deserves another attempt.
    public func shouldRetry(status: Int) -> Bool {
        retryableStatuses.contains(status)
    }

    /// Whether a request that failed with `error` deserves another attempt.
    public func shouldRetry(_ error: TransportError) -> Bool {
        retriesConnectErrors && error.kind == .connect
    }

    /// The full-jitter wait before retry number `retry` (1 for the first retry).
    /// - Parameter unitRandom: a number in `[0, 1)` that picks the point in the jitter window.
    public func backoff(beforeRetry retry: Int, unitRandom: Double) -> Duration {
        var window = min(baseDelay, maxDelay)
        for _ in 1..<max(retry, 1) where window < maxDelay {
            window = window > maxDelay / 2 ? maxDelay : window * 2
        }
        return window * min(max(unitRandom, 0), 1)
    }

    /// The wait before retry number `retry`: the server's `Retry-After` when it sent one (capped at
    /// ``maxDelay``), else ``backoff(beforeRetry:unitRandom:)``.
    /// - Parameters:
    ///   - retryAfter: the response's `Retry-After` value: delay seconds or an HTTP-date.
    ///   - now: the wall-clock time, to turn an HTTP-date into a delay.
    public func delay(beforeRetry retry: Int, retryAfter: String?, now: Date, unitRandom: Double) -> Duration {
        if let retryAfter, let wait = Self.parseRetryAfter(retryAfter, now: now) {
            return min(wait, maxDelay)
        }
        return backoff(beforeRetry: retry, unitRandom: unitRandom)
    }

    /// The delay a `Retry-After` value asks for (never negative), or nil when it is neither delay
    /// seconds nor an HTTP-date (RFC 9110 §10.2.3).
    public static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(trimmed) {
            return .seconds(max(0, seconds))
        }
        for format in httpDateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let seconds = max(0, date.timeIntervalSince(now))
                return .milliseconds(Int64((seconds * 1000).rounded(.up)))
            }
        }
        return nil
    }

    /// IMF-fixdate first, then the obsolete RFC 850 and asctime forms that RFC 9110 still accepts.
    private static let httpDateFormats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]
}
