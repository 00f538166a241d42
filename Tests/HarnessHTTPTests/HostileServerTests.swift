import Foundation
import HarnessCore
import HarnessHTTP
import HarnessReports
import Orchestration
import SandboxAPI
import TestServers
import Testing

/// A session whose execute prints "hi", then gets, lists and deletes its sandbox.
func hostileTestScenario(_ name: String = "hostile", code: String = "print('hi')", expecting stdout: String = "hi\n") -> Scenario {
    let at = SourceLocation(file: "hostile.yaml", line: 1, column: 1)
    return Scenario(
        name: name,
        steps: [
            Step(name: "1-create", action: .create(nil), location: at),
            Step(name: "2-execute", action: .execute(code: code, files: []), expectations: [.stdout(.equals(stdout))], location: at),
            Step(name: "3-get", action: .get(sandbox: nil), expectations: [.state(.running)], location: at),
            Step(name: "4-list", action: .list(pageSize: nil, pageToken: nil, filter: nil), location: at),
            Step(name: "5-delete", action: .delete(sandbox: nil), location: at)
        ], location: at)
}

/// A client of `server` over `transport`, with limits short enough for tests.
func hostileTestClient(_ server: LoopbackServer, _ transport: any HTTPTransport) -> SandboxClient {
    var poll = PollPolicy()
    poll.timeout = .seconds(5)
    return SandboxClient(
        transport: transport, endpoint: APIEndpoint(baseURL: server.baseURL, project: "p", location: "l"),
        poll: poll, requestTimeout: .seconds(20))
}

/// The same target as ``hostileTestClient(_:_:)`` for the orchestrator.
func hostileTestTarget(_ server: LoopbackServer) -> TargetConfiguration {
    var target = TargetConfiguration(kind: .url(server.baseURL))
    target.project = "p"
    target.location = "l"
    target.pollTimeout = .seconds(5)
    target.requestTimeout = .seconds(20)
    return target
}

/// One way a server can answer badly, on one route.
struct HostileAnswer: Sendable, CustomTestStringConvertible {
    var label: String
    var route: FakeSandboxAPI.Route
    var reply: LoopbackServer.Reply
    /// Text the step's error message must contain.
    var says: String
    var testDescription: String { label }

    /// The step that meets the hostile answer first.
    var step: String {
        switch route {
        // The create step also GETs its new sandbox.
        case .createEngine, .createSandbox, .pollOperation, .getSandbox: "1-create"
        case .execute: "2-execute"
        case .list: "4-list"
        default: "5-delete"
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct HostileServerTests {
    static let sandbox = "\(FakeSandboxAPI.engine)/sandboxEnvironments/1"
    static let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    static let junk: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = 0x00 // never the start of an HTTP status line
        return bytes
    }()

    static func console(_ json: String) -> String {
        "{\"outputs\":[{\"data\":\"\(Base64.encode(Array(json.utf8)))\",\"mimeType\":\"application/json\"}]}"
    }

    static let answers: [HostileAnswer] = [
        // Numbers out of range.
        HostileAnswer(
            label: "execute data 1e999", route: .execute, reply: FakeSandboxAPI.ok("{\"outputs\":[{\"data\":1e999}]}"),
            says: "not an execute response"),
        HostileAnswer(
            label: "state -1e400", route: .getSandbox, reply: FakeSandboxAPI.ok("{\"name\":\"\(sandbox)\",\"state\":-1e400}"),
            says: "not a sandbox environment"),
        HostileAnswer(
            label: "operation done 1e999", route: .createSandbox, reply: FakeSandboxAPI.ok("{\"name\":\"x\",\"done\":1e999}"),
            says: "not an operation"),
        HostileAnswer(
            label: "operation error code 1e999", route: .createSandbox,
            reply: FakeSandboxAPI.ok("{\"name\":\"x\",\"done\":true,\"error\":{\"code\":1e999,\"message\":\"boom\"}}"),
            says: "operation failed: code 2: boom"),
        HostileAnswer(
            label: "HTTP status 999", route: .execute, reply: .raw(Array("HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\n{}".utf8)),
            says: "999"),
        // Wrong types.
        HostileAnswer(
            label: "outputs a string", route: .execute, reply: FakeSandboxAPI.ok("{\"outputs\":\"many\"}"),
            says: "not an execute response"),
        HostileAnswer(
            label: "msg_out a number", route: .execute, reply: FakeSandboxAPI.ok(console("{\"msg_out\":5,\"msg_err\":\"\"}")),
            says: "msg_out as a JSON number"),
        HostileAnswer(
            label: "console chunk not JSON", route: .execute, reply: FakeSandboxAPI.ok(console("hi there")),
            says: "console chunk that is not a JSON object"),
        HostileAnswer(
            label: "list of numbers", route: .list, reply: FakeSandboxAPI.ok("{\"sandboxEnvironments\":[1,2,3]}"),
            says: "not a page of sandboxes"),
        HostileAnswer(
            label: "sandbox name a number", route: .createSandbox,
            reply: FakeSandboxAPI.ok("{\"name\":\"op\",\"done\":true,\"response\":{\"name\":7}}"), says: "is a JSON number, not a string"),
        // Invalid base64.
        HostileAnswer(
            label: "invalid base64", route: .execute, reply: FakeSandboxAPI.ok("{\"outputs\":[{\"data\":\"!!not base64!!\"}]}"),
            says: "not valid base64"),
        // Nesting 10,000 deep, in a 200 and in an error body.
        HostileAnswer(label: "nesting 10,000 deep", route: .execute, reply: FakeSandboxAPI.ok(deep), says: "nesting deeper than 512"),
        HostileAnswer(
            label: "unclosed nesting 10,000 deep", route: .getSandbox,
            reply: FakeSandboxAPI.ok(String(repeating: "{\"a\":", count: 10_000)),
            says: "not JSON"),
        HostileAnswer(
            label: "error body 10,000 deep", route: .execute,
            reply: .response(status: 503, body: Array(deep.utf8)), says: "HTTP 503"),
        // Resource names: 10 MB, climbing out, carrying a query.
        HostileAnswer(
            label: "10 MB sandbox name", route: .createSandbox,
            reply: FakeSandboxAPI.ok(
                "{\"name\":\"op\",\"done\":true,\"response\":{\"name\":\"\(sandbox)\(String(repeating: "a", count: 10 << 20))\"}}"),
            says: "bytes long; a resource name has at most 1024"),
        HostileAnswer(
            label: "sandbox name with ..", route: .createSandbox,
            reply: FakeSandboxAPI.ok(
                "{\"name\":\"op\",\"done\":true,\"response\":{\"name\":\"\(FakeSandboxAPI.engine)/sandboxEnvironments/..\"}}"),
            says: "is not a sandbox environment resource name"),
        HostileAnswer(
            label: "sandbox name with a query", route: .createSandbox,
            reply: FakeSandboxAPI.ok("{\"name\":\"op\",\"done\":true,\"response\":{\"name\":\"\(sandbox)?force=true\"}}"),
            says: "is not a sandbox environment resource name"),
        HostileAnswer(
            label: "operation name elsewhere", route: .createSandbox,
            reply: FakeSandboxAPI.ok("{\"name\":\"/healthz\",\"done\":false}"), says: "the operation's name is not an operation"),
        // Truncated bodies, junk, nothing.
        HostileAnswer(
            label: "truncated body", route: .execute,
            reply: .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"outputs\":[".utf8)), says: "closed the connection before"),
        HostileAnswer(
            label: "truncated JSON with full length", route: .getSandbox, reply: FakeSandboxAPI.ok("{\"name\":\"x\",\"sta"),
            says: "not JSON"),
        HostileAnswer(label: "junk bytes instead of HTTP", route: .execute, reply: .raw(junk), says: "protocol error"),
        HostileAnswer(label: "junk bytes as a 200 body", route: .execute, reply: .response(status: 200, body: junk), says: "not JSON"),
        HostileAnswer(label: "empty 200", route: .execute, reply: .response(status: 200), says: "empty body instead of JSON"),
        HostileAnswer(label: "closed without an answer", route: .execute, reply: .raw([]), says: "closed the connection before"),
        // A body that never ends (the client's cap is 16 MiB here).
        HostileAnswer(
            label: "never-ending body", route: .execute,
            reply: .endless(head: CurlTransportLimitTests.chunkedHead, chunk: CurlTransportLimitTests.chunk),
            says: "larger than the limit of 16777216 bytes")
    ]

    /// Each hostile answer becomes an error (never a failed expectation, a trap or a hang) on the
    /// step that met it, and the session still deletes its sandbox when the server lets it.
    @Test(arguments: answers)
    func hostileAnswerIsAnErrorOfItsStep(_ answer: HostileAnswer) async throws {
        let api = FakeSandboxAPI { route, _ in route == answer.route ? answer.reply : nil }
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport(configuration: .init(maxResponseBytes: 16 << 20)) { transport in
                let client = hostileTestClient(server, transport)
                let context = SessionContext(
                    client: client, engine: FakeSandboxAPI.engine, variables: Variables(), ledger: SandboxLedger(), runID: "t")
                let result = await ScenarioSession(scenario: hostileTestScenario(), file: "hostile.yaml", context: context).run()
                #expect(result.outcome == .error, "\(answer.label): \(result.steps.map { "\($0.name) \($0.outcome) \($0.summary)" })")
                #expect(!result.steps.contains { $0.outcome == .failed }, "\(answer.label)")
                let step = try #require(result.steps.last)
                #expect(step.name == answer.step)
                #expect(step.mismatches.isEmpty)
                #expect(step.errorMessage?.contains(answer.says) == true, "\(answer.label): \(step.errorMessage ?? "no message")")
                #expect(api.alive.isEmpty, "\(answer.label): the session left \(api.alive) alive")
            }
        }
    }

    @Test func hostileEngineNamesFailTheRunBeforeAnySandbox() async throws {
        let long = FakeSandboxAPI.ok(
            "{\"name\":\"op\",\"done\":true,\"response\":{\"name\":\"\(String(repeating: "x/", count: 5 << 20))\"}}")
        let api = FakeSandboxAPI { route, _ in route == .createEngine ? long : nil }
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport { transport in
                let file = ScenarioFile(path: "hostile.yaml", scenarios: [hostileTestScenario()])
                let run = try await Orchestrator(target: hostileTestTarget(server)).run(
                    [file], options: RunOptions(), reports: SuiteReports())
                #expect(run.scenarios.map(\.outcome) == [.error])
                #expect(run.scenarios.first?.steps.first?.errorMessage?.contains("bytes long") == true)
                #expect(api.hits(.createSandbox) == 0)
                #expect(server.received.allSatisfy { $0.path.utf8.count < 2048 })
            }
        }
    }

    @Test(arguments: ["99999999999999999999", "-1", "Fri, 31 Dec 9999 23:59:59 GMT", "soon\u{7f}", "1e999", ""])
    func absurdRetryAfterEndsAsAServerError(retryAfter: String) async throws {
        let busy = FakeSandboxAPI.json(["error": ["code": 503, "message": "busy", "status": "UNAVAILABLE"]], status: 503)
        let api = FakeSandboxAPI { route, _ in
            guard route == .execute else { return nil }
            guard case .response(let status, let headers, let body) = busy else { return busy }
            return .response(status: status, headers: headers + [("Retry-After", retryAfter)], body: body)
        }
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport { curl in
                let policy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10), maxDelay: .seconds(2))
                let client = hostileTestClient(server, RetryingTransport(wrapping: curl, policy: policy))
                let context = SessionContext(
                    client: client, engine: FakeSandboxAPI.engine, variables: Variables(), ledger: SandboxLedger(), runID: "t")
                let started = ContinuousClock.now
                let result = await ScenarioSession(scenario: hostileTestScenario(), file: "hostile.yaml", context: context).run()
                // Bounded, not timed: the absurd waits asked for are years long; a busy 2-core box takes tens of seconds.
                #expect(ContinuousClock.now - started < .seconds(150))
                let step = try #require(result.steps.last)
                #expect(step.name == "2-execute" && step.outcome == .error)
                #expect(step.errorMessage?.contains("HTTP 503 UNAVAILABLE: busy") == true, "\(step.summary)")
                // Huge and far-away waits are not retried; unreadable ones are, with backoff.
                let readable = retryAfter.first?.isNumber == true || retryAfter.hasPrefix("Fri")
                #expect(api.hits(.execute) == (readable && retryAfter != "1e999" ? 1 : 3), "\(retryAfter)")
                #expect(api.alive.isEmpty)
            }
        }
    }

    /// A server whose list never ends, or whose every sandbox call fails, cannot hold the sweep or
    /// hide a sandbox from it.
    @Test func theLeakSweepEndsAndStillFindsWhatTheListingHides() async throws {
        let api = FakeSandboxAPI { route, request in
            switch route {
            case .list where request.path.contains("pageSize=100"):
                // Every page is empty and points at a new next page.
                FakeSandboxAPI.json(["sandboxEnvironments": [], "nextPageToken": .string(UUID().uuidString)])
            case .deleteSandbox:
                FakeSandboxAPI.json(["error": ["code": 500, "message": "no", "status": "INTERNAL"]], status: 500)
            default: nil
            }
        }
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport { transport in
                let file = ScenarioFile(path: "hostile.yaml", scenarios: [hostileTestScenario()])
                let run = try await Orchestrator(target: hostileTestTarget(server)).run(
                    [file], options: RunOptions(), reports: SuiteReports())
                #expect(run.leaks == [Self.sandbox])
                #expect(!run.passed)
                #expect(run.scenarios.first?.outcome == .error) // its delete step met the 500
                #expect(api.hits(.list) <= LeakSweep.maxPages + 1)
            }
        }
    }

    /// One run with a scenario that passes, one whose expectation is not met and one that meets a
    /// hostile answer: every report keeps the failure and the error apart.
    @Test func reportsKeepFailuresAndErrorsApart() async throws {
        let junkCode = Base64.encode(JSONValue.object(["code": "print('junk')"]).serialized())
        let api = FakeSandboxAPI { route, request in
            route == .execute && String(decoding: request.body, as: UTF8.self).contains(junkCode) ? .raw(Self.junk) : nil
        }
        let scenarios = [
            hostileTestScenario("passes"),
            hostileTestScenario("expects bye", expecting: "bye\n"),
            hostileTestScenario("meets junk", code: "print('junk')")
        ]
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport { transport in
                var options = RunOptions()
                options.concurrency = 1
                let run = try await Orchestrator(target: hostileTestTarget(server))
                    .run([ScenarioFile(path: "mixed.yaml", scenarios: scenarios)], options: options, reports: SuiteReports())
                #expect(run.scenarios.map(\.outcome) == [.passed, .failed, .error])
                #expect(run.leaks.isEmpty && api.alive.isEmpty)

                let junit = String(decoding: try JUnitReport.render(run, hostname: "h"), as: UTF8.self)
                #expect(junit.contains("<testsuites name=\"sandbench\" tests=\"3\" failures=\"1\" errors=\"1\""), "\(junit.prefix(300))")
                #expect(junit.components(separatedBy: "<failure ").count == 2)
                #expect(junit.components(separatedBy: "<error ").count == 2)
                #expect(junit.contains("type=\"AssertionError\"") && junit.contains("type=\"StepError\""))

                let json = try JSONValue.parse(JSONReport.render(run))
                #expect(json["counts"]?["failed"]?.numberValue == 1 && json["counts"]?["errors"]?.numberValue == 1)
                let steps = json["scenarios"]?.arrayValue?.compactMap { $0["steps"]?.arrayValue?.last }
                #expect(steps?.map { $0["outcome"]?.stringValue } == ["passed", "failed", "error"])
                #expect(steps?[1]["mismatches"]?.arrayValue?.count == 1 && steps?[1]["errorMessage"] == .null)
                #expect(steps?[2]["errorMessage"]?.stringValue?.contains("protocol error") == true)

                let console = ConsoleReporter(isTTY: false, environment: [:]).render(run)
                #expect(console.contains("FAIL  mixed.yaml › expects bye"), "\(console)")
                #expect(console.contains("ERROR mixed.yaml › meets junk"), "\(console)")
                #expect(console.contains("1 passed, 1 failed, 1 errors, 0 skipped"), "\(console)")
            }
        }
    }

    @Test func aSandboxThatCannotBeDeletedMakesAPassingScenarioAnError() async throws {
        let api = FakeSandboxAPI { route, _ in
            route == .deleteSandbox
                ? FakeSandboxAPI.json(["error": ["code": 503, "message": "later", "status": "UNAVAILABLE"]], status: 503) : nil
        }
        var scenario = hostileTestScenario()
        scenario.steps = Array(scenario.steps.prefix(2)) // create and execute; clean-up deletes
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport { transport in
                let context = SessionContext(
                    client: hostileTestClient(server, transport), engine: FakeSandboxAPI.engine,
                    variables: Variables(), ledger: SandboxLedger(), runID: "t")
                let result = await ScenarioSession(scenario: scenario, file: "hostile.yaml", context: context).run()
                #expect(result.steps.allSatisfy { $0.outcome == .passed })
                #expect(result.outcome == .error)
                #expect(result.cleanupProblems == ["could not delete \(Self.sandbox): HTTP 503"])
            }
        }
    }

    /// A status the step names is its answer; a 5xx it does not name is a server error, while a
    /// wrong 4xx is a failed expectation.
    @Test(arguments: [
        ([HarnessCore.Expectation.httpStatus(400)], 503, Outcome.error),
        ([.httpStatus(503)], 503, .passed),
        ([.errorStatus("UNAVAILABLE")], 503, .passed),
        ([.httpStatus(400)], 404, .failed),
        ([.errorStatus("INVALID_ARGUMENT")], 500, .error),
        ([], 404, .error)
    ])
    func unexpectedServerErrorsAreErrorsNotFailures(expectations: [HarnessCore.Expectation], status: Int, outcome: Outcome) async throws {
        let statuses = [400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 500: "INTERNAL", 503: "UNAVAILABLE"]
        let api = FakeSandboxAPI { route, _ in
            route == .other
                ? FakeSandboxAPI.json(
                    ["error": ["code": .number(Double(status)), "message": "m", "status": .string(statuses[status] ?? "")]], status: status)
                : nil
        }
        let at = SourceLocation(file: "t.yaml", line: 1, column: 1)
        let scenario = Scenario(
            name: "raw",
            steps: [
                Step(
                    name: "raw", action: .request(method: "POST", path: "projects/p/locations/l/elsewhere", body: "{}", headers: [:]),
                    expectations: expectations, location: at)
            ], location: at)
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport { transport in
                let context = SessionContext(
                    client: hostileTestClient(server, transport), engine: FakeSandboxAPI.engine,
                    variables: Variables(), ledger: SandboxLedger(), runID: "t")
                let result = await ScenarioSession(scenario: scenario, file: "t.yaml", context: context).run()
                let step = try #require(result.steps.first)
                #expect(step.outcome == outcome, "\(step.summary)")
                #expect(step.httpStatus == status)
                if outcome == .error { #expect(step.errorMessage?.hasPrefix("HTTP \(status) ") == true && step.mismatches.isEmpty) }
                if outcome == .failed { #expect(step.errorMessage == nil && !step.mismatches.isEmpty) }
            }
        }
    }

    /// DELETE is idempotent, so clean-up retries a reset, a 503 or a 429 on its own, without
    /// `--retries`: a flaky server does not leave sandboxes behind.
    @Test func cleanUpRetriesTransientDeleteFailures() async throws {
        let deletes = Counter()
        let api = FakeSandboxAPI { route, _ in
            guard route == .deleteSandbox else { return nil }
            switch deletes.next() {
            case 1: return .raw([]) // closed without an answer
            case 2: return FakeSandboxAPI.json(["error": ["code": 503, "message": "busy", "status": "UNAVAILABLE"]], status: 503)
            default: return nil
            }
        }
        var scenario = hostileTestScenario()
        scenario.steps = Array(scenario.steps.prefix(2))
        try await LoopbackServer.with(api.respond) { server in
            try await withCurlTransport { transport in
                let context = SessionContext(
                    client: hostileTestClient(server, transport), engine: FakeSandboxAPI.engine,
                    variables: Variables(), ledger: SandboxLedger(), runID: "t")
                let result = await ScenarioSession(scenario: scenario, file: "hostile.yaml", context: context).run()
                #expect(result.outcome == .passed, "\(result.cleanupProblems)")
                #expect(result.cleanupProblems.isEmpty)
                #expect(api.alive.isEmpty)
                #expect(api.hits(.deleteSandbox) >= 3)
                #expect(await context.ledger.remaining.isEmpty)
            }
        }
    }
}
