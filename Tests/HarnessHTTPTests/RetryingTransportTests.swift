import Foundation
import HarnessCore
import HarnessHTTP
import TestServers
import Testing

@Suite struct RetryingTransportTests {
    let request = TransportRequest(method: "POST", url: "http://scripted/v1/things", body: Array("{}".utf8))

    @Test func waitsForRetryAfterSecondsThenSucceedsAgainstARealServer() async throws {
        let calls = Counter()
        let reply: @Sendable (LoopbackServer.Request) -> LoopbackServer.Reply = { _ in
            calls.next() == 1
                ? .response(status: 503, headers: [("Retry-After", "2")], body: Array("busy".utf8))
                : .response(status: 200, body: Array("fine".utf8))
        }
        try await LoopbackServer.with(reply) { server in
            try await withCurlTransport { curl in
                let sleeper = SleepRecorder()
                let transport = RetryingTransport(wrapping: curl, policy: RetryPolicy(maxAttempts: 3), sleep: sleeper.sleep)
                let response = try await transport.send(TransportRequest(method: "GET", url: server.baseURL))
                #expect(response.status == 200)
                #expect(utf8(response.body) == "fine")
                #expect(sleeper.recorded == [.seconds(2)])
            }
            #expect(server.received.count == 2)
        }
    }

    @Test func retryAfterHTTPDateIsMeasuredFromNow() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_700_000_000)) // Tue, 14 Nov 2023 22:13:20 GMT
        let base = ScriptedTransport([reply(429, [("Retry-After", "Tue, 14 Nov 2023 22:13:25 GMT")]), reply(200)])
        let sleeper = SleepRecorder()
        let transport = RetryingTransport(wrapping: base, policy: RetryPolicy(maxAttempts: 2), sleep: sleeper.sleep, now: clock.now)
        #expect(try await transport.send(request).status == 200)
        #expect(sleeper.recorded == [.seconds(5)])
        #expect(base.requests.count == 2)
        #expect(base.requests.allSatisfy { $0.body == Array("{}".utf8) })
    }

    @Test(arguments: [
        ("10", Duration?.some(.seconds(10))), // exactly maxDelay
        ("11", nil), // longer than maxDelay: not retried
        ("0", .zero),
        ("Sun, 06 Nov 1994 08:49:37 GMT", .zero), // in the past
        ("Sunday, 06-Nov-94 08:49:37 GMT", .zero) // RFC 850 form
    ])
    func retryAfterIsHonouredUpToMaxDelayAndNeverNegative(header: String, expected: Duration?) {
        let policy = RetryPolicy(maxAttempts: 2, maxDelay: .seconds(10))
        #expect(policy.delay(beforeRetry: 1, retryAfter: header, now: Date(), unitRandom: 0.5) == expected)
    }

    /// What hostile servers put in `Retry-After`: none of it traps, and each reads as a wait the
    /// policy can act on (or as garbage, which means backoff).
    @Test(arguments: [
        ("99999999999999999999999999999", RetryPolicy.longestRetryAfter), // beyond Int64
        ("9223372036854775807", RetryPolicy.longestRetryAfter), // Int64.max seconds
        ("Fri, 31 Dec 9999 23:59:59 GMT", RetryPolicy.longestRetryAfter), // a date far away
        ("Thu, 01 Jan 1970 00:00:00 GMT", .zero), // a date long past
        ("-5", nil), ("1.5", nil), ("+3", nil), ("0x10", nil), ("", nil), ("soon", nil),
        ("Tue, 99 Foo 2023 99:99:99 GMT", nil),
        (String(repeating: "9", count: 10_000), nil), // too long to be a delay or a date
        ("\u{0}\u{7f}ÿ", nil)
    ])
    func absurdRetryAfterValuesNeverTrap(header: String, expected: Duration?) {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.parseRetryAfter(header, now: now) == expected)
        let policy = RetryPolicy(maxAttempts: 2, baseDelay: .seconds(1), maxDelay: .seconds(10))
        let delay = policy.delay(beforeRetry: 1, retryAfter: header, now: now, unitRandom: 0.5)
        if let expected, expected > .seconds(10) {
            #expect(delay == nil) // the server asked for longer than the policy waits
        } else if let expected {
            #expect(delay == expected)
        } else {
            #expect(delay == .milliseconds(500)) // unreadable: backoff
        }
    }

    @Test func retryAfterBeyondMaxDelayReturnsTheResponseWithoutWaiting() async throws {
        let base = ScriptedTransport([reply(429, [("Retry-After", "3600")], body: "later"), reply(200)])
        let sleeper = SleepRecorder()
        let transport = RetryingTransport(wrapping: base, policy: RetryPolicy(maxAttempts: 5, maxDelay: .seconds(10)), sleep: sleeper.sleep)
        let response = try await transport.send(request)
        #expect(response.status == 429)
        #expect(utf8(response.body) == "later")
        #expect(base.requests.count == 1)
        #expect(sleeper.recorded.isEmpty)
    }

    @Test(arguments: [Double.nan, -Double.infinity, .infinity, -1, 7])
    func backoffWithAnyRandomNumberStaysInItsWindow(unitRandom: Double) {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        let delay = policy.backoff(beforeRetry: 2, unitRandom: unitRandom)
        #expect(delay >= .zero && delay <= .milliseconds(200))
    }

    @Test func backoffWithNonsensePolicyValuesNeverTraps() {
        let negative = RetryPolicy(maxAttempts: 100, baseDelay: .seconds(-5), maxDelay: .seconds(-1))
        #expect(negative.backoff(beforeRetry: Int.max, unitRandom: 1) == .zero)
        let huge = RetryPolicy(maxAttempts: 100, baseDelay: .seconds(Int64.max), maxDelay: .seconds(Int64.max))
        #expect(huge.backoff(beforeRetry: Int.max, unitRandom: 1) == .seconds(Int64.max))
        let tiny = RetryPolicy(maxAttempts: 100, baseDelay: .nanoseconds(1), maxDelay: .seconds(Int64.max))
        #expect(tiny.backoff(beforeRetry: Int.max, unitRandom: 1) > .seconds(1_000_000))
    }

    @Test func backoffWindowDoublesUpToTheCapWithFullJitter() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        let windows = (1...6).map { policy.backoff(beforeRetry: $0, unitRandom: 1) }
        #expect(windows == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        for retry in 1...6 {
            #expect(policy.backoff(beforeRetry: retry, unitRandom: 0) == .zero)
            #expect(policy.backoff(beforeRetry: retry, unitRandom: 0.5) == windows[retry - 1] / 2)
        }
        #expect(policy.backoff(beforeRetry: 80, unitRandom: 1) == .seconds(1)) // no overflow
    }

    @Test func jitteredDelaysStayInsideTheirWindows() async throws {
        let base = ScriptedTransport(Array(repeating: reply(503), count: 5) + [reply(200)])
        let sleeper = SleepRecorder()
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(100), maxDelay: .milliseconds(500))
        let transport = RetryingTransport(wrapping: base, policy: policy, sleep: sleeper.sleep)
        #expect(try await transport.send(request).status == 200)
        let windows: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)]
        #expect(sleeper.recorded.count == 5)
        for (delay, window) in zip(sleeper.recorded, windows) {
            #expect(delay >= .zero && delay <= window)
        }
    }

    @Test func doesNotRetryByDefault() async throws {
        let base = ScriptedTransport([reply(503, [("Retry-After", "1")]), reply(200)])
        let sleeper = SleepRecorder()
        let transport = RetryingTransport(wrapping: base, policy: RetryPolicy(), sleep: sleeper.sleep)
        #expect(try await transport.send(request).status == 503)
        #expect(base.requests.count == 1)
        #expect(sleeper.recorded.isEmpty)
    }

    @Test func returnsTheLastResponseWhenAttemptsRunOut() async throws {
        let base = ScriptedTransport([reply(503), reply(429), reply(503, body: "third"), reply(200)])
        let transport = RetryingTransport(wrapping: base, policy: RetryPolicy(maxAttempts: 3), sleep: SleepRecorder().sleep)
        let response = try await transport.send(request)
        #expect(response.status == 503)
        #expect(utf8(response.body) == "third")
        #expect(base.requests.count == 3)
    }

    @Test func retriesConnectErrorsButNotOthers() async throws {
        let connect = ScriptedTransport([failure(.connect), failure(.connect), reply(200)])
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(try await RetryingTransport(wrapping: connect, policy: policy, sleep: SleepRecorder().sleep).send(request).status == 200)

        let timeout = ScriptedTransport([failure(.timeout), reply(200)])
        let error = await transportError(RetryingTransport(wrapping: timeout, policy: policy, sleep: SleepRecorder().sleep), request)
        #expect(error?.kind == .timeout)
        #expect(timeout.requests.count == 1)

        let exhausted = ScriptedTransport([failure(.connect), failure(.connect)])
        let last = await transportError(
            RetryingTransport(wrapping: exhausted, policy: RetryPolicy(maxAttempts: 2), sleep: SleepRecorder().sleep), request)
        #expect(last?.kind == .connect)
    }

    @Test func onlyConfiguredStatusesAreRetried() async throws {
        let base = ScriptedTransport([reply(500), reply(502), reply(200)])
        let policy = RetryPolicy(maxAttempts: 3, retryableStatuses: [502])
        let transport = RetryingTransport(wrapping: base, policy: policy, sleep: SleepRecorder().sleep)
        #expect(try await transport.send(request).status == 500)
        #expect(base.requests.count == 1)
    }

    @Test func cancelledWaitThrowsCancelled() async throws {
        let base = ScriptedTransport([reply(503), reply(200)])
        let transport = RetryingTransport(wrapping: base, policy: RetryPolicy(maxAttempts: 2), sleep: { _ in throw CancellationError() })
        let error = await transportError(transport, request)
        #expect(error?.kind == .cancelled)
        #expect(base.requests.count == 1)
    }
}
