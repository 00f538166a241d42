import SandboxAPI

/// Everything a scenario runs with: the client, the engine, variables and shared bookkeeping.
public struct SessionContext: Sendable {
    /// The API client every step uses.
    public var client: SandboxClient
    /// Engine resource name sandboxes are created under.
    public var engine: String
    /// `--var`, environment and other run-level variables.
    public var variables: Variables
    /// Where every created sandbox is recorded, so clean-up and the leak sweep find it.
    public var ledger: SandboxLedger
    /// Prefix of display names, so a sweep can tell this run's sandboxes apart.
    public var runID: String
    /// Whether each ``StepResult`` keeps what its step observed (``StepResult/observation``): parity
    /// compares responses; load runs leave it off so thousands of sessions keep no bodies.
    public var keepsObservations = false
    /// Whether steps check their expectations. Off when the expectations come from the recording a
    /// comparison is made against (parity with a cassette): the comparison judges instead, and any
    /// answer but a 5xx or a transport error is the step's answer.
    public var judgesExpectations = true

    /// A context for sessions on `engine`, labelling what they create with `runID`.
    public init(client: SandboxClient, engine: String, variables: Variables, ledger: SandboxLedger, runID: String) {
        self.client = client
        self.engine = engine
        self.variables = variables
        self.ledger = ledger
        self.runID = runID
    }
}

/// Called as each step finishes (load runs record latencies here).
public typealias StepObserver = @Sendable (_ result: StepResult, _ scenario: String) -> Void

/// Runs one scenario as one session: steps in order, expectations checked, captures saved, and
/// every sandbox it created deleted at the end — after failures, errors and cancellation too.
public struct ScenarioSession: Sendable {
    /// The scenario this session runs.
    public let scenario: Scenario
    /// The scenario's file, as reports name it.
    public let file: String
    /// The client, engine, variables and ledger the session uses.
    public let context: SessionContext
    /// Called with every step result as it ends (parity records answers here).
    public let observer: StepObserver?

    /// A session of `scenario` from `file`; `observer` sees each step as it ends.
    public init(scenario: Scenario, file: String, context: SessionContext, observer: StepObserver? = nil) {
        self.scenario = scenario
        self.file = file
        self.context = context
        self.observer = observer
    }

    /// Mutable state of one session.
    struct State {
        var variables: Variables
        var current: String?
        var created: [String] = []
        var deleted: Set<String> = []
    }

    /// Runs the scenario to completion.
    public func run() async -> ScenarioResult {
        let clock = ContinuousClock()
        let start = clock.now
        if let reason = scenario.skip {
            return ScenarioResult(
                name: scenario.name, file: file, tags: scenario.tags, outcome: .skipped, steps: [], duration: .zero, skipReason: reason)
        }
        var state = State(variables: context.variables)
        // Only write built-ins that differ: the variables are shared copy-on-write (the environment
        // is in them), and a load run starts thousands of sessions.
        for (name, value) in [("engine", context.engine), ("scenario", scenario.name), ("run_id", context.runID)]
        where state.variables[name] != value {
            state.variables[name] = value
        }
        var results: [StepResult] = []
        var outcome = Outcome.passed
        for step in scenario.steps {
            if Task.isCancelled {
                results.append(
                    StepResult(
                        name: step.name, operation: step.action.operation, outcome: .error, duration: .zero,
                        startOffset: clock.now - start, errorMessage: "interrupted", location: step.location))
                outcome = .error
                break
            }
            let stepStart = clock.now
            var result = await runStep(step, state: &state)
            result.startOffset = stepStart - start
            observer?(result, scenario.name)
            results.append(result)
            outcome = outcome.combined(with: result.outcome)
            if result.outcome != .passed { break }
        }
        // Clean up in a task of its own: a cancelled run must still delete what it created.
        let cleanupProblems = state.created.isEmpty ? [] : await Task { [state] in await cleanUp(state) }.value
        // A sandbox that could not be deleted is an error even when every step passed (a scenario
        // that failed an expectation stays failed, with the clean-up problem listed beside it).
        if !cleanupProblems.isEmpty, outcome == .passed { outcome = .error }
        return ScenarioResult(
            name: scenario.name, file: file, tags: scenario.tags, outcome: outcome, steps: results,
            duration: clock.now - start, cleanupProblems: cleanupProblems)
    }

    private func cleanUp(_ state: State) async -> [String] {
        var problems: [String] = []
        for name in state.created where !state.deleted.contains(name) {
            switch await context.client.deleteForCleanUp(name) {
            case .deleted, .gone: await context.ledger.deleted(name)
            case .failed(let why): problems.append("could not delete \(name): \(why)")
            }
        }
        return problems
    }

    // MARK: Steps

    private func runStep(_ step: Step, state: inout State) async -> StepResult {
        let clock = ContinuousClock()
        let start = clock.now
        var phases: [(name: String, duration: Duration)] = []
        var kept: StepObservation?
        var seenOutput: (stdout: String?, stderr: String?)?
        func finish(_ outcome: Outcome, status: Int? = nil, mismatches: [Mismatch] = [], error: String? = nil) -> StepResult {
            var result = StepResult(
                name: step.name, operation: step.action.operation, outcome: outcome, duration: clock.now - start,
                httpStatus: status, mismatches: mismatches, errorMessage: error, location: step.location)
            result.phases = phases
            result.observation = kept
            // Only a step that did not pass shows its output: the tail is cut then, not for every step of a load run.
            if outcome == .failed || outcome == .error, let seenOutput {
                result.output = OutputTail(stdout: seenOutput.stdout, stderr: seenOutput.stderr)
            }
            return result
        }
        let observation: StepObservation
        do {
            observation = try await perform(step.action, state: &state)
        } catch let failure as StepFailure {
            return finish(
                failure.isAssertion ? .failed : .error, status: failure.status,
                mismatches: failure.mismatch.map { [$0] } ?? [], error: failure.isAssertion ? nil : failure.message)
        } catch let undefined as Variables.Undefined {
            return finish(.error, error: undefined.description)
        } catch {
            return finish(.error, error: "\(error)")
        }
        var seen = observation
        seen.elapsed = clock.now - start
        phases = seen.phases
        if context.keepsObservations { kept = seen }
        seenOutput = (seen.stdout, seen.stderr)
        // A one-request step's own latency is the transport's (send to last byte), free of the
        // harness's scheduling; load statistics per operation use it.
        switch step.action {
        case .get, .list, .delete, .execute, .request:
            if phases.isEmpty, observation.elapsed > .zero { phases = [(step.action.operation, observation.elapsed)] }
        default: break
        }
        var expectsFailure = step.expectations.contains { e in
            if case .httpStatus = e { return true }
            if case .errorStatus = e { return true }
            if case .errorReason = e { return true }
            return false
        }
        // A wait for an HTTP status (404 after expiry) reached exactly what it waited for.
        if case .wait(.httpStatus, _, _) = step.action { expectsFailure = true }
        // A run that only observes (parity against a recording) takes any 4xx as the step's answer.
        if !context.judgesExpectations { expectsFailure = true }
        // An error status the step does not expect is a server error. So is any 5xx it does not
        // name exactly: a step expecting 400 that meets a 503 met an unavailable server, not a
        // wrong answer.
        if let status = seen.status, status != 200, !expectsFailure || (status >= 500 && !Self.names(status, seen.error, step)) {
            let error = seen.error.map { "\($0.status.rawValue): \($0.message)" } ?? "no Google error body"
            return finish(.error, status: status, error: "HTTP \(status) \(error)")
        }
        let mismatches =
            context.judgesExpectations ? ExpectationChecker.mismatches(step.expectations, seen, variables: state.variables) : []
        if !mismatches.isEmpty { return finish(.failed, status: seen.status, mismatches: mismatches) }
        for capture in step.captures {
            switch capture.source {
            case .jsonPath(let path):
                guard let value = seen.json?.at(path: path) else {
                    return finish(
                        .failed, status: seen.status,
                        mismatches: [Mismatch(what: "save \(capture.variable)", expected: "a value at \(path)", actual: "nothing there")])
                }
                state.variables[capture.variable] = value.plainText
            case .stdoutRegex(let pattern):
                guard let regex = try? Regex(pattern), let match = (seen.stdout ?? "").firstMatch(of: regex) else {
                    return finish(
                        .failed, status: seen.status,
                        mismatches: [
                            Mismatch(
                                what: "save \(capture.variable)", expected: "stdout matching /\(pattern)/",
                                actual: ExpectationChecker.show(seen.stdout ?? ""))
                        ])
                }
                let text = match.output.count > 1 ? match.output[1].substring.map(String.init) : String(match.output[0].substring ?? "")
                state.variables[capture.variable] = text ?? ""
            }
        }
        return finish(.passed, status: seen.status)
    }

    /// Whether `step` expects exactly this HTTP status or Google error status.
    static func names(_ status: Int, _ error: GoogleError?, _ step: Step) -> Bool {
        if case .wait(.httpStatus(let wanted), _, _) = step.action, wanted == status { return true }
        return step.expectations.contains { e in
            switch e {
            case .httpStatus(let wanted): wanted == status
            case .errorStatus(let wanted): wanted == error?.status.rawValue
            case .errorReason(let wanted): wanted == error?.reason
            default: false
            }
        }
    }

    /// Why a step stopped before its expectations were checked.
    struct StepFailure: Error {
        var message: String
        var status: Int?
        var isAssertion = false
        var mismatch: Mismatch?
    }

    private func currentSandbox(_ state: State, _ named: String?) throws -> String {
        if let named { return try state.variables.interpolate(named) }
        guard let current = state.current else {
            throw StepFailure(message: "no sandbox yet: add a create step before this one")
        }
        return current
    }

    private func observe(_ response: APIResponse) -> StepObservation {
        StepObservation(status: response.status, json: response.json, error: response.googleError, elapsed: response.elapsed)
    }

    private func perform(_ action: StepAction, state: inout State) async throws -> StepObservation {
        let client = context.client
        do {
            switch action {
            case .create(let override):
                var template = override ?? scenario.sandbox
                template.displayName =
                    try template.displayName.map { try state.variables.interpolate($0) }
                    ?? Self.defaultDisplayName(runID: context.runID, scenario: scenario.name)
                template.snapshot = try template.snapshot.map { try state.variables.interpolate($0) }
                template.template = try template.template.map { try state.variables.interpolate($0) }
                template.owner = try template.owner.map { try state.variables.interpolate($0) }
                let postStart = ContinuousClock.now
                let response = try await client.call(
                    "POST", "\(context.engine)/sandboxEnvironments",
                    body: SandboxClient.createBody(template).serialized())
                guard response.status == 200 else { return observe(response) }
                let pending = try SandboxClient.operation(try response.requireJSON("create"))
                // The sandbox exists from here on, even while its operation runs: record it now, so
                // an interruption during the wait still deletes it.
                let early = SandboxClient.sandboxOf(operation: pending.name, engine: context.engine)
                if let early {
                    state.created.append(early)
                    await context.ledger.created(early, by: scenario.name)
                }
                let op = try await client.waitForOperation(pending)
                let ready = ContinuousClock.now - postStart
                let name = try SandboxClient.resourceName(op.response?["name"], .sandbox, what: "the create operation's response.name")
                if name != early {
                    state.created.append(name)
                    await context.ledger.created(name, by: scenario.name)
                }
                state.current = name
                state.variables["sandbox"] = name
                let get = try await client.call("GET", name)
                var seen = observe(get)
                seen.state = try Self.sandboxState(get, "GET of the new sandbox")
                seen.phases = [("create", response.elapsed), ("ready", ready)]
                return seen
            case .execute(let code, let files, let named):
                let name = try currentSandbox(state, named)
                var inputs: [SandboxFile] = []
                for file in files {
                    let content =
                        file.isText
                        ? Array(try state.variables.interpolate(String(decoding: file.content, as: UTF8.self)).utf8) : file.content
                    inputs.append(SandboxFile(name: try state.variables.interpolate(file.name), content: content, mimeType: file.mimeType))
                }
                let request = ExecuteRequest(code: try state.variables.interpolate(code), files: inputs)
                let response = try await client.call("POST", "\(name):execute", body: request.json.serialized())
                var seen = observe(response)
                if response.status == 200 {
                    let parsed = try Self.executeResponse(response)
                    seen.stdout = parsed.stdout
                    seen.stderr = parsed.stderr
                    seen.files = parsed.files
                    state.variables["stdout"] = parsed.stdout
                }
                return seen
            case .get(let named):
                let name = try currentSandbox(state, named)
                let response = try await client.call("GET", name)
                var seen = observe(response)
                seen.state = try Self.sandboxState(response, "get")
                if response.status == 404 { await context.ledger.deleted(name) }
                return seen
            case .list(let pageSize, let pageToken, let filter):
                var query: [String] = []
                if let pageSize { query.append("pageSize=\(pageSize)") }
                if let pageToken { query.append("pageToken=\(Self.percentEncode(try state.variables.interpolate(pageToken)))") }
                if let filter { query.append("filter=\(Self.percentEncode(try state.variables.interpolate(filter)))") }
                let path = "\(context.engine)/sandboxEnvironments" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
                let response = try await client.call("GET", path)
                var seen = observe(response)
                if response.status == 200 {
                    do {
                        seen.listCount = try SandboxPage(json: try response.requireJSON("list")).sandboxes.count
                    } catch let error as GoogleError {
                        throw APIFailure.malformed("list answered HTTP 200 with a body that is not a page of sandboxes: \(error.message)")
                    }
                }
                return seen
            case .delete(let named):
                let name = try currentSandbox(state, named)
                let response = try await client.call("DELETE", name)
                if response.status == 200 || response.status == 404 {
                    state.deleted.insert(name)
                    await context.ledger.deleted(name)
                }
                // A delete is a long-running operation: the step ends when the sandbox is gone.
                if response.status == 200, let json = response.json, let op = try? LongRunningOperation(json: json), !op.done,
                    !op.name.isEmpty
                {
                    _ = try await client.waitForOperation(op)
                }
                return observe(response)
            case .wait(let condition, let timeout, let interval):
                let name = try currentSandbox(state, nil)
                let clock = ContinuousClock()
                let deadline = clock.now + timeout
                var last: StepObservation?
                while true {
                    let response = try await client.call("GET", name)
                    var seen = observe(response)
                    seen.state = try Self.sandboxState(response, "wait")
                    if response.status == 404 {
                        await context.ledger.deleted(name)
                        state.deleted.insert(name)
                    }
                    let done: Bool
                    switch condition {
                    case .state(let wanted): done = response.status == 200 && seen.state == wanted
                    case .httpStatus(let wanted): done = response.status == wanted
                    }
                    if done { return seen }
                    last = seen
                    if clock.now + interval > deadline {
                        let actual = last.map { s in s.state?.rawValue ?? "HTTP \(s.status ?? 0)" } ?? "nothing"
                        let wanted: String =
                            switch condition {
                            case .state(let s): s.rawValue
                            case .httpStatus(let c): "HTTP \(c)"
                            }
                        throw StepFailure(
                            message: "wait timed out", status: last?.status, isAssertion: true,
                            mismatch: Mismatch(what: "wait", expected: "\(wanted) within \(HumanDuration.format(timeout))", actual: actual))
                    }
                    try await Task.sleep(for: interval)
                }
            case .request(let method, let path, let body, let headers):
                var resolvedHeaders: [String: String] = [:]
                for (k, v) in headers { resolvedHeaders[k] = try state.variables.interpolate(v) }
                let response = try await client.call(
                    method, try state.variables.interpolate(path),
                    body: try body.map { Array(try state.variables.interpolate($0).utf8) }, headers: resolvedHeaders)
                return observe(response)
            }
        } catch let failure as APIFailure {
            switch failure {
            case .http(let error): return StepObservation(status: error.httpStatus, error: error)
            default: throw StepFailure(message: failure.description)
            }
        }
    }

    /// The state in a 200 answer about a sandbox (nil for other statuses); a 200 that is not a
    /// sandbox is a protocol error, never an expectation that failed.
    static func sandboxState(_ response: APIResponse, _ what: String) throws(APIFailure) -> SandboxState? {
        guard response.status == 200 else { return nil }
        do {
            return try SandboxEnvironment(json: try response.requireJSON(what), strict: false).state
        } catch let error as GoogleError {
            throw .malformed("\(what) answered HTTP 200 with a body that is not a sandbox environment: \(error.message)")
        } catch let error as APIFailure {
            throw error
        } catch {
            throw .malformed("\(what): \(error)")
        }
    }

    /// The execute answer in a 200 response; anything not shaped like one (wrong types, invalid
    /// base64, a console chunk that is not JSON with string `msg_out`/`msg_err`) is a protocol error.
    static func executeResponse(_ response: APIResponse) throws(APIFailure) -> ExecuteResponse {
        let json = try response.requireJSON("execute")
        let parsed: ExecuteResponse
        do { parsed = try ExecuteResponse(json: json) } catch {
            throw .malformed("execute answered HTTP 200 with a body that is not an execute response: \(error.message)")
        }
        if let chunk = parsed.outputs.first(where: { $0.fileName == nil }) {
            guard case .object(let console)? = try? JSONValue.parse(chunk.data) else {
                throw .malformed("execute answered HTTP 200 with a console chunk that is not a JSON object (\(chunk.data.count) bytes)")
            }
            for key in ["msg_out", "msg_err"] {
                if let value = console[key], value.stringValue == nil {
                    throw .malformed("execute answered HTTP 200 with \(key) as a JSON \(value.kindName), not a string")
                }
            }
        }
        return parsed
    }

    /// `RUNID-SCENARIO`, cut to the 128 characters Vertex allows a display name; the run ID
    /// prefix, which the leak sweep looks for, always survives.
    static func defaultDisplayName(runID: String, scenario: String) -> String {
        String(String.UnicodeScalarView("\(runID)-\(scenario)".unicodeScalars.prefix(128)))
    }

    package static func percentEncode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
