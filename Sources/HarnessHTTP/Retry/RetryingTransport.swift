package import Foundation
package import HarnessCore

/// Sends requests through another transport, retrying as a ``RetryPolicy`` says: on retryable
/// statuses (429/503 by default) and on connect errors, with full-jitter backoff or the server's
/// `Retry-After` (a 429/503 whose `Retry-After` exceeds the policy's `maxDelay` is returned as is).
///
/// A retried request is sent again whole, so only retry requests the server did not act on: a
/// connect error never reached it, and a 429/503 from a server that refuses before doing any work
/// (as Vertex and sandbench's emulator do, faults included) left nothing behind.
///
/// ```swift
/// let transport = RetryingTransport(wrapping: curl, policy: RetryPolicy(maxAttempts: 3))
/// let response = try await transport.send(request)  // the last response when attempts run out
/// ```
///
/// The returned response's `elapsed` is that of the last attempt alone.
package struct RetryingTransport: HTTPTransport {
    /// Waits for a duration; throws when the wait is cancelled.
    package typealias Sleep = @Sendable (Duration) async throws -> Void

    /// The transport each attempt goes through.
    package let base: any HTTPTransport
    /// When to retry and how long to wait.
    package let policy: RetryPolicy
    private let sleep: Sleep
    private let now: @Sendable () -> Date
    private let unitRandom: @Sendable () -> Double

    /// Wraps `base`; the clock, sleep and random source are injectable so tests need not wait.
    /// - Parameters:
    ///   - sleep: waits between attempts (default `Task.sleep(for:)`).
    ///   - now: wall-clock time, to read HTTP-date `Retry-After` values (default `Date()`).
    ///   - unitRandom: uniform numbers in `[0, 1)` for jitter (default the system generator).
    package init(
        wrapping base: any HTTPTransport,
        policy: RetryPolicy,
        sleep: @escaping Sleep = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = { Date() },
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.base = base
        self.policy = policy
        self.sleep = sleep
        self.now = now
        self.unitRandom = unitRandom
    }

    /// Sends `request`, retrying per ``policy``; returns the first non-retryable response, the last
    /// response when attempts run out, or a retryable one whose `Retry-After` is beyond the policy.
    /// - Throws: the last `TransportError` when attempts run out on errors, or `.cancelled` when
    ///   the task is cancelled while waiting.
    package func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        var attempt = 1
        while true {
            let delay: Duration
            do {
                let response = try await base.send(request)
                guard attempt < policy.maxAttempts, policy.shouldRetry(status: response.status),
                    let wait = policy.delay(
                        beforeRetry: attempt, retryAfter: response.header("Retry-After"),
                        now: now(), unitRandom: unitRandom())
                else { return response }
                delay = wait
            } catch {
                guard attempt < policy.maxAttempts, policy.shouldRetry(error) else { throw error }
                delay = policy.backoff(beforeRetry: attempt, unitRandom: unitRandom())
            }
            do {
                try await sleep(delay)
            } catch {
                throw TransportError(
                    .cancelled, "cancelled while waiting \(delay) to retry (attempt \(attempt + 1) of \(policy.maxAttempts))",
                    url: request.url)
            }
            attempt += 1
        }
    }
}
