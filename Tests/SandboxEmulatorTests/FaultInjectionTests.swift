import Foundation
import SandboxAPI
import Testing

@testable import SandboxEmulator

/// Starts an in-process emulator with the fault plan `yaml` and runs `body` with a client and the live injector.
func withFaultyEmulator<T: Sendable>(
    _ yaml: String, python: Int = 0,
    _ body: @Sendable (TestClient, FaultInjector) async throws -> T
) async throws -> T {
    var cfg = smallConfiguration(python: python)
    let state = NSTemporaryDirectory() + "sandbench-emutest-\(getpid())-\(UUID().uuidString.prefix(8))"
    cfg.stateDirectory = state
    cfg.faults = try FaultPlan.parse(yaml: yaml, file: "test.yaml")
    return try await Emulator.withRunningEmulator(configuration: cfg, logger: quietLogger) { emulator in
        let faults = try #require(emulator.faults)
        return try await body(TestClient(baseURL: emulator.baseURL, stateDirectory: state), faults)
    }
}

/// What a client saw for one request on a fresh connection.
enum WireOutcome: Equatable, CustomStringConvertible {
    /// The connection closed (or was reset) before any byte of a response.
    case noResponse
    /// A head and fewer body bytes than its Content-Length.
    case truncated(status: Int, received: Int, declared: Int)
    /// A complete response.
    case complete(status: Int)

    /// `503`, `200 truncated` or `no response`: the outcome without byte counts.
    var kind: String {
        switch self {
        case .noResponse: "no response"
        case .truncated(let status, _, _): "\(status) truncated"
        case .complete(let status): "\(status)"
        }
    }

    var description: String {
        switch self {
        case .noResponse: "no response"
        case .truncated(let status, let received, let declared): "\(status) truncated \(received)/\(declared)"
        case .complete(let status): "\(status)"
        }
    }
}

extension TestClient {
    /// Sends one request on its own connection and says what arrived before the server closed it.
    func wire(_ method: String, _ target: String, body: [UInt8]? = nil) async -> WireOutcome {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + (body ?? [])
        let port = self.port
        let raw: [UInt8]? = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: try? RawHTTP.exchange(port: port, request: request, timeoutSeconds: 60))
            }
        }
        guard let raw, !raw.isEmpty, let response = try? RawHTTP.parse(raw) else { return .noResponse }
        if let declared = response.headers["content-length"].flatMap({ Int($0) }), response.body.count < declared {
            return .truncated(status: response.status, received: response.body.count, declared: declared)
        }
        return .complete(status: response.status)
    }

    /// `GET /healthz?faults`.
    func faultCounters() async throws -> JSONValue {
        let r = try await raw("GET", "/healthz?faults")
        try #require(r.status == 200, "healthz?faults → \(r)")
        return try #require(r.json, "healthz?faults is not JSON: \(r)")
    }
}

extension EmulatorTests {
    /// Section 3: every fault kind as a client sees it over loopback, determinism, and the counters.
    @Suite struct FaultInjection {
        @Test func injectedErrorsAreGoogleErrorsWithRetryAfterAndNoSideEffects() async throws {
            let yaml = """
                seed: 1
                faults:
                  - match: {method: GET, path: "*/reasoningEngines"}
                    error: {status: 503}
                  - match: {method: POST, path: "*/reasoningEngines"}
                    error: {status: 429, retry_after: 1500ms}
                  - match: {method: DELETE}
                    error: {status: 418}
                """
            try await withFaultyEmulator(yaml) { client, faults in
                let engines = "\(client.locationPath)/reasoningEngines"
                let unavailable = try await client.call("GET", engines)
                expectGoogleError(unavailable, 503, "UNAVAILABLE", "GET")
                #expect(unavailable.headers["retry-after"] == nil)
                let exhausted = try await client.call("POST", engines, json: ["displayName": "x"])
                expectGoogleError(exhausted, 429, "RESOURCE_EXHAUSTED", "POST")
                #expect(exhausted.headers["retry-after"] == "2", "1.5 s rounds up to whole seconds: \(exhausted.headers)")
                #expect(exhausted.json?["error"]?["details"]?.arrayValue?.first?["retryDelay"]?.stringValue == "2s", "\(exhausted)")
                expectGoogleError(try await client.call("DELETE", engines + "/1"), 418, "FAILED_PRECONDITION", "DELETE")

                // The API path outside the version segment and /healthz are never faulted.
                #expect(try await client.raw("GET", "/healthz").status == 200)
                let counters = try await client.faultCounters()
                #expect(counters["enabled"]?.boolValue == true)
                #expect(counters["seed"]?.stringValue == "1")
                #expect(counters["requests"]?.numberValue == 3)
                #expect(counters["rules"]?.arrayValue?.map { $0["fired"]?.numberValue } == [1, 1, 1], "\(counters.jsonString)")
                #expect(counters["rules"]?.arrayValue?.first?["origin"]?.stringValue == "test.yaml:3", "\(counters.jsonString)")
                #expect(counters["fired"]?["error"]?.numberValue == 3, "\(counters.jsonString)")

                // The 429'd create never reached the store.
                faults.replace(with: FaultPlan())
                let list = try await client.ok("GET", engines)
                #expect(list["reasoningEngines"]?.arrayValue?.isEmpty != false, "\(list.jsonString)")
            }
        }

        @Test func anInjectedErrorOnExecuteDoesNotRunTheCode() async throws {
            let yaml = """
                faults:
                  - match: {method: POST, path: "*:execute"}
                    error: {status: 503}
                """
            try await withFaultyEmulator(yaml, python: 1) { client, faults in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                for slashVerb in [false, true, false] {
                    let r = try await client.execute(sandbox, code: "open('runs.txt', 'a').write('x')", slashVerb: slashVerb)
                    expectGoogleError(r.http, 503, "UNAVAILABLE", "execute")
                }
                faults.replace(with: FaultPlan())
                let check = try await client.execute(sandbox, code: "import os; print(os.path.exists('runs.txt'))")
                #expect(check.status == 200 && check.stdout == "False\n", "\(check)")
                #expect(faults.report.reloads == 1)
            }
        }

        @Test func aResetClosesTheConnectionWithoutAResponse() async throws {
            let yaml = """
                faults:
                  - match: {method: POST}
                    reset: {}
                """
            try await withFaultyEmulator(yaml) { client, faults in
                let engines = "/v1beta1/\(client.locationPath)/reasoningEngines"
                for _ in 0..<5 {
                    let outcome = await client.wire("POST", engines, body: Array(#"{"displayName":"x"}"#.utf8))
                    #expect(outcome == .noResponse)
                }
                #expect(await client.wire("GET", engines) == .complete(status: 200))
                #expect(faults.report.firedByKind["reset"] == 5)
                faults.replace(with: FaultPlan())
                let list = try await client.ok("GET", "\(client.locationPath)/reasoningEngines")
                #expect(list["reasoningEngines"]?.arrayValue?.isEmpty != false, "a reset create reached the store: \(list.jsonString)")
            }
        }

        @Test func aTruncatedBodyStopsHalfWayAndCloses() async throws {
            let yaml = """
                faults:
                  - match: {method: GET, path: "*/reasoningEngines"}
                    truncate: {rate: 1}
                """
            try await withFaultyEmulator(yaml) { client, faults in
                for i in 0..<3 { _ = try await client.createEngine(displayName: "engine \(i)") }
                let engines = "/v1beta1/\(client.locationPath)/reasoningEngines"
                for _ in 0..<20 {
                    let outcome = await client.wire("GET", engines)
                    guard case .truncated(let status, let received, let declared) = outcome else {
                        Issue.record("expected a truncated body, got \(outcome)")
                        continue
                    }
                    #expect(status == 200 && declared > 100 && received == declared / 2, "\(outcome)")
                }
                #expect(faults.report.rules[0].fired == 20)
            }
        }

        @Test func aLargeTruncatedBodyStillDeliversExactlyHalf() async throws {
            let yaml = """
                faults:
                  - match: {path: "*:execute"}
                    truncate: {}
                """
            try await withFaultyEmulator(yaml, python: 1) { client, _ in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let body = TestClient.executeBody(code: "open('big.bin', 'wb').write(b'x' * 6_000_000)", files: []).serialized()
                for _ in 0..<3 {
                    let outcome = await client.wire("POST", "/v1beta1/\(sandbox):execute", body: body)
                    guard case .truncated(200, let received, let declared) = outcome else {
                        Issue.record("expected a truncated 200, got \(outcome)")
                        continue
                    }
                    // Queued writes of a large body leave before the connection closes.
                    #expect(declared > 8_000_000 && received == declared / 2, "\(outcome)")
                }
            }
        }

        @Test func aSlowBodyArrivesWholeNoFasterThanItsRate() async throws {
            let rate = 4000
            let yaml = """
                faults:
                  - match: {method: GET, path: "*/reasoningEngines"}
                    slow_body: {bytes_per_second: \(rate)}
                """
            try await withFaultyEmulator(yaml) { client, faults in
                for i in 0..<6 { _ = try await client.createEngine(displayName: "a display name long enough to fill the body \(i)") }
                let engines = "\(client.locationPath)/reasoningEngines"
                let start = ContinuousClock.now
                let slow = try await client.call("GET", engines)
                let elapsed = ContinuousClock.now - start
                faults.replace(with: FaultPlan())
                let fast = try await client.call("GET", engines)
                #expect(slow.status == 200 && slow.body == fast.body, "\(slow)")
                // Byte n leaves no sooner than n / rate seconds after the first write of rate / 10 bytes:
                // a lower bound only, which a slow machine cannot break.
                let bytes = slow.body.count
                #expect(bytes > 1000)
                #expect(elapsed >= .seconds(Double(bytes - rate / 10) / Double(rate)), "\(bytes) bytes in \(elapsed)")
            }
        }

        @Test func latencyDelaysOnlyMatchingRequests() async throws {
            let yaml = """
                faults:
                  - match: {method: GET, path: "*/reasoningEngines"}
                    latency: 150ms
                    jitter: 50ms
                """
            try await withFaultyEmulator(yaml) { client, faults in
                let start = ContinuousClock.now
                let delayed = try await client.call("GET", "\(client.locationPath)/reasoningEngines")
                #expect(delayed.status == 200)
                #expect(ContinuousClock.now - start >= .milliseconds(150))
                let other = try await client.call("GET", "\(client.locationPath)/reasoningEngines/1")
                #expect(other.status == 404)
                let rule = faults.report.rules[0]
                #expect(rule.matched == 1 && rule.fired == 1)
                #expect(faults.report.requests == 2)
            }
        }

        @Test func theSameSeedAndRequestOrderGiveTheSameFaults() async throws {
            @Sendable func plan(_ seed: Int) -> String {
                """
                seed: \(seed)
                faults:
                  - match: {method: GET}
                    error: {status: 503, rate: 0.3}
                  - match: {method: GET}
                    error: {status: 429, rate: 0.3}
                  - match: {path: "*/reasoningEngines"}
                    truncate: {rate: 0.25}
                """
            }
            @Sendable func observe(_ seed: Int) async throws -> (outcomes: [WireOutcome], counters: JSONValue) {
                try await withFaultyEmulator(plan(seed)) { client, _ in
                    var outcomes: [WireOutcome] = []
                    for _ in 0..<40 { outcomes.append(await client.wire("GET", "/v1/\(client.locationPath)/reasoningEngines")) }
                    return (outcomes, try await client.faultCounters())
                }
            }
            let first = try await observe(42)
            let second = try await observe(42)
            #expect(first.outcomes == second.outcomes)
            #expect(first.counters == second.counters, "\(first.counters.jsonString) vs \(second.counters.jsonString)")
            #expect(first.counters["requests"]?.numberValue == 40)

            // The wire shows exactly what the injector decides for that seed and order.
            let injector = FaultInjector(plan: try FaultPlan.parse(yaml: plan(42), file: "test.yaml"))
            let expected = (0..<40).map { _ -> String in
                switch injector.decide(method: "GET", path: "projects/test-project/locations/us-central1/reasoningEngines").outcome {
                case .error(let status, _, _): "\(status)"
                case .truncate: "200 truncated"
                default: "200"
                }
            }
            #expect(first.outcomes.map(\.kind) == expected)
            let counts = Set(expected).map { kind in expected.filter { $0 == kind }.count }
            #expect(Set(expected).count == 4 && counts.allSatisfy { $0 >= 3 }, "the plan should mix every outcome: \(expected)")

            let other = try await observe(43)
            #expect(other.outcomes != first.outcomes)
        }

        @Test func healthzSaysWhenNoPlanIsInForce() async throws {
            try await withTestEmulator({ $0.warmPool = [:] }) { client in
                let counters = try await client.faultCounters()
                #expect(counters["enabled"]?.boolValue == false)
                #expect(counters["rules"]?.arrayValue?.isEmpty == true)
            }
        }
    }
}
