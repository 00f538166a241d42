package import Foundation
package import HarnessCore

/// When and how long ``RetryingTransport`` waits before sending a request again; off by default.
///
/// Delays follow exponential backoff with full jitter: before retry `n` the wait is uniform in
/// `[0, min(maxDelay, baseDelay * 2^(n-1))]`, unless the server's `Retry-After` says otherwise.
/// Then that is the wait, and when it is longer than `maxDelay` the request is not retried: the
/// 429 or 503 stands rather than being sent again before the server said to.
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(200), maxDelay: .seconds(5))
/// let transport = RetryingTransport(wrapping: curl, policy: policy)
/// ```
package struct RetryPolicy: Sendable {
    /// Attempts per request, the first included; 1 means never retry (default 1).
    package var maxAttempts: Int
    /// Upper bound of the first backoff (default 200 ms).
    package var baseDelay: Duration
    /// Upper bound of any wait (default 10 s); a `Retry-After` asking for more ends the retries.
    package var maxDelay: Duration
    /// Response statuses that are retried (default 429 and 503).
    package var retryableStatuses: Set<Int>
    /// Whether a failure to connect is retried (default true); other transport errors never are,
    /// since the server may have acted on the request.
    package var retriesConnectErrors: Bool

    /// Makes a policy; the defaults never retry.
    package init(
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
    package static let never = RetryPolicy()

    /// Whether a request that got `status` deserves another attempt.
    package func shouldRetry(status: Int) -> Bool {
        retryableStatuses.contains(status)
    }

    /// Whether a request that failed with `error` deserves another attempt.
    package func shouldRetry(_ error: TransportError) -> Bool {
        retriesConnectErrors && error.kind == .connect
    }

    /// The full-jitter wait before retry number `retry` (1 for the first retry).
    /// - Parameter unitRandom: a number in `[0, 1)` that picks the point in the jitter window; values
    ///   outside it are clamped, and NaN counts as 0.
    package func backoff(beforeRetry retry: Int, unitRandom: Double) -> Duration {
        let cap = max(.zero, maxDelay)
        var window = min(max(.zero, baseDelay), cap)
        var doublings = max(retry, 1) - 1
        while doublings > 0, window > .zero, window < cap {
            window = window > cap / 2 ? cap : window * 2
            doublings -= 1
        }
        let fraction = unitRandom.isNaN ? 0 : min(max(unitRandom, 0), 1)
        // The ends exactly, without a round trip through Double.
        return fraction <= 0 ? .zero : fraction >= 1 ? window : window * fraction
    }

    /// The wait before retry number `retry`, or nil when the server asks for a longer wait than
    /// ``maxDelay`` (then retrying sooner would ignore it, so the response stands).
    ///
    /// The server's `Retry-After` decides when it is readable: delay seconds or an HTTP-date, a
    /// date in the past meaning "now". Otherwise (absent, negative, fractional, garbage) the wait
    /// is ``backoff(beforeRetry:unitRandom:)``.
    /// - Parameters:
    ///   - retryAfter: the response's `Retry-After` value.
    ///   - now: the wall-clock time, to turn an HTTP-date into a delay.
    package func delay(beforeRetry retry: Int, retryAfter: String?, now: Date, unitRandom: Double) -> Duration? {
        if let retryAfter, let wait = Self.parseRetryAfter(retryAfter, now: now) {
            return wait <= max(.zero, maxDelay) ? wait : nil
        }
        return backoff(beforeRetry: retry, unitRandom: unitRandom)
    }

    /// Longest `Retry-After` told apart from "longer": 100 years. A larger value (or a date further
    /// away) reads as this, so no server value can overflow a `Duration`.
    package static let longestRetryAfter = Duration.seconds(100 * 366 * 86_400)

    /// The delay a `Retry-After` value asks for, in `0...longestRetryAfter`, or nil when it is
    /// neither delay seconds (digits only) nor an HTTP-date (RFC 9110 §10.2.3).
    package static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        // The longest HTTP-date is 37 bytes; anything much longer is garbage, whatever it holds.
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        if trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            guard let seconds = Int64(trimmed) else { return longestRetryAfter } // more digits than Int64 holds
            return min(.seconds(seconds), longestRetryAfter)
        }
        for format in httpDateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            guard let date = formatter.date(from: trimmed) else { continue }
            let seconds = date.timeIntervalSince(now)
            guard seconds.isFinite, seconds > 0 else { return seconds.isNaN ? nil : .zero }
            guard seconds < longestRetryAfter / .seconds(1) else { return longestRetryAfter }
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
        return nil
    }

    /// IMF-fixdate first, then the obsolete RFC 850 and asctime forms that RFC 9110 still accepts.
    private static let httpDateFormats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]
}
