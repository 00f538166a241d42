import HarnessCassettes
import HarnessCore
import SandboxAPI

/// Turns a cassette's exchanges, in order, into the steps of one scenario (the rules are in
/// `docs/cassettes.md`, "Replaying"):
///
/// - the recording's engines are the run's engine (`${engine}`): their creation, deletion and
///   operations are not sent; a forced engine delete becomes a delete of each sandbox it removed;
/// - a sandbox create becomes a `create` step (which polls its operation: the recorded polls are
///   absorbed) saving the new name as `sandbox_N`, and later references to the recorded name use
///   `${sandbox_N}`; get, list, delete and execute become the steps of those names;
/// - page tokens and operations that a later request names are saved from the answer that
///   minted them (`page_token_N`, `operation_N`) and substituted;
/// - anything else is a raw `request` with the recorded names substituted;
/// - expectations come from the recorded answer: status, error status, state, list count,
///   stdout/stderr (compared normalised), returned files by sha256 and their count.
///
/// Text from the recording is written so that `${` stays literal (`$${`).
struct CassetteConverter {
    let document: CassetteDocument
    let path: String
    let options: ReplayOptions

    private var steps: [Step] = []
    private var origins: [StepOrigin] = []
    private var skipped: [SkippedExchange] = []
    /// What the replay knows of each recorded sandbox, by ``key(_:)``.
    private var sandboxes: [String: RecordedSandbox] = [:]
    /// The key of the recorded sandbox the scenario's current one stands for (the last created).
    private var current: String?
    /// Recorded engine names, all played by the run's engine.
    private var engines: Set<String> = []
    private var deletedEngines: Set<String> = []
    /// Operations whose polls are folded into a step (create, delete) or skipped (engine).
    private var operationOwners: [String: OperationOwner] = [:]
    /// Values a recorded answer minted that a later request may name: value → (step, JSON path, prefix of the variable).
    private var minted: [String: (step: Int, path: String, prefix: String)] = [:]
    /// Recorded value → `${variable}` for values already saved by a step.
    private var saved: [String: String] = [:]
    private var counters: [String: Int] = [:]

    struct RecordedSandbox {
        var variable: String
        var engine: String?
        var alive: Bool
        /// Creation order (1 for the first).
        var order: Int
    }

    enum OperationOwner {
        case step(Int)
        case engine
    }

    init(document: CassetteDocument, path: String, options: ReplayOptions) {
        self.document = document
        self.path = path
        self.options = options
    }

    consuming func convert() throws(ReplayError) -> ReplayPlan {
        for (index, exchange) in document.cassette.exchanges.enumerated() {
            try convert(exchange, index: index)
        }
        let scenario = Scenario(
            name: Self.scenarioName(path), tags: ["recorded"], sandbox: SandboxTemplate(), steps: steps,
            location: SourceLocation(file: path, line: 1, column: 1))
        return ReplayPlan(path: path, cassette: document.cassette, scenario: scenario, origins: origins, skipped: skipped)
    }

    /// The file name without directory and `.yaml`/`.yml`.
    static func scenarioName(_ path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        return name.isEmpty ? "cassette" : name
    }

    // MARK: Exchanges

    private mutating func convert(_ exchange: Exchange, index: Int) throws(ReplayError) {
        guard let status = exchange.status else {
            skip(index, "no answer was recorded (\(exchange.error ?? "no status")), so there is nothing to expect")
            return
        }
        guard (100...599).contains(status) else {
            throw ReplayError(.notReplayable, location(index, ["status"]), "status \(status) is not an HTTP status (100...599)")
        }
        guard (1...32).contains(exchange.method.utf8.count), exchange.method.utf8.allSatisfy({ (0x41...0x5A).contains($0 & ~0x20) }) else {
            throw ReplayError(
                .notReplayable, location(index, ["method"]),
                "method \(String(exchange.method.prefix(40)).debugDescription) is not an HTTP method")
        }
        // A name may be spelt with the project's ID in one request and its number in another (Vertex
        // answers with numbers): every spelling of a known sandbox is substituted.
        if let path = APIPath(exchange.path), let name = path.resource.sandboxPath, saved[name] == nil,
            let sandbox = sandboxes[Self.key(name)]
        {
            saved[name] = "${\(sandbox.variable)}"
        }
        let call = APICall(exchange)
        switch call {
        case .createEngine:
            if let operation = exchange.response.body.json?["name"]?.stringValue { operationOwners[Self.key(operation)] = .engine }
            if let name = Self.createdName(exchange.response.body.json) { engines.insert(name) }
            skip(index, "the run creates its own engine (${engine}) and every engine of the recording is played by it")
        case .getEngine(let engine):
            engines.insert(engine)
            if deletedEngines.contains(Self.key(engine)) {
                skip(index, "the recording had deleted this engine; the run's engine lives until the run ends")
            } else {
                append(
                    .request(method: "GET", path: "${engine}", body: nil, headers: [:]), index: index,
                    expectations: Self.statusExpectations(exchange, status: status, always: true), response: recorded(exchange, status))
            }
        case .deleteEngine(let engine, let force):
            engines.insert(engine)
            if let operation = exchange.response.body.json?["name"]?.stringValue { operationOwners[Self.key(operation)] = .engine }
            guard status == 200 else {
                skip(index, "the engine delete failed when recorded (HTTP \(status)); the run's engine is not deleted mid-run")
                return
            }
            deletedEngines.insert(Self.key(engine))
            var implied: [String] = []
            if force {
                let engineID = ResourceName(engine)?.engine
                for (key, sandbox) in sandboxes.sorted(by: { $0.value.order < $1.value.order })
                where sandbox.alive && sandbox.engine == engineID {
                    append(
                        .delete(sandbox: reference(key: key)), index: index, expectations: [], response: nil,
                        note: "implied: the recording's forced engine delete removed this sandbox")
                    sandboxes[key]?.alive = false
                    implied.append(sandbox.variable)
                }
            }
            let removed =
                implied.isEmpty ? "" : "; the sandboxes it removed (\(implied.joined(separator: ", "))) are deleted by steps of their own"
            skip(index, "the run deletes its own engine when it ends\(removed)")
        case .getOperation(let operation):
            try convertOperationPoll(exchange, index: index, status: status, operation: operation)
        case .createSandbox(let engine):
            engines.insert(engine)
            try convertCreate(exchange, index: index, status: status)
        case .listSandboxes(let engine):
            engines.insert(engine)
            try convertList(exchange, index: index, status: status)
        case .getSandbox(let name):
            guard sandboxes[Self.key(name)] != nil else { return try convertRequest(exchange, index: index, status: status) }
            var expectations = Self.statusExpectations(exchange, status: status, always: false)
            var response = recorded(exchange, status)
            if status == 200, let state = Self.state(exchange.response.body.json) {
                expectations.append(.state(state))
                response.state = state
            }
            if status == 404 { sandboxes[Self.key(name)]?.alive = false }
            append(.get(sandbox: reference(name)), index: index, expectations: expectations, response: response)
        case .deleteSandbox(let name):
            guard sandboxes[Self.key(name)] != nil else { return try convertRequest(exchange, index: index, status: status) }
            if status == 200 || status == 404 { sandboxes[Self.key(name)]?.alive = false }
            if let operation = exchange.response.body.json?["name"]?.stringValue {
                operationOwners[Self.key(operation)] = .step(steps.count)
            }
            append(
                .delete(sandbox: reference(name)), index: index,
                expectations: Self.statusExpectations(exchange, status: status, always: false),
                response: recorded(exchange, status))
        case .execute(let name):
            guard sandboxes[Self.key(name)] != nil, case .executeInput(let input) = exchange.request.body else {
                return try convertRequest(exchange, index: index, status: status)
            }
            try convertExecute(exchange, index: index, status: status, input: input, sandbox: name)
        case .other:
            try convertRequest(exchange, index: index, status: status)
        }
    }

    private mutating func convertOperationPoll(_ exchange: Exchange, index: Int, status: Int, operation: String) throws(ReplayError) {
        switch operationOwners[Self.key(operation)] {
        case .step(let step)?:
            origins[step].absorbed.append(index)
            // A create learns its sandbox's final state (and name) from the poll that finds the operation done.
            if case .create = steps[step].action, status == 200, let json = exchange.response.body.json, json["done"]?.boolValue == true {
                if let state = Self.state(json["response"]) {
                    steps[step].expectations.removeAll { if case .state = $0 { true } else { false } }
                    steps[step].expectations.append(.state(state))
                    origins[step].response?.state = state
                }
                if let sandbox = json["response"] { origins[step].response?.json = sandbox }
            }
        case .engine?:
            skip(index, "a poll of the recording's engine operation; the run's engine is made by the run")
        case nil:
            try convertRequest(exchange, index: index, status: status)
        }
    }

    private mutating func convertCreate(_ exchange: Exchange, index: Int, status: Int) throws(ReplayError) {
        let template = try template(exchange, index: index)
        var expectations = Self.statusExpectations(exchange, status: status, always: false)
        var captures: [Capture] = []
        let operation = exchange.response.body.json
        var response = recorded(exchange, status)
        if status == 200, let operation {
            let name = Self.createdName(operation)
            if let name, sandboxes[Self.key(name)] == nil {
                let variable = variable("sandbox")
                sandboxes[Self.key(name)] = RecordedSandbox(
                    variable: variable, engine: ResourceName(name)?.engine, alive: true,
                    order: sandboxes.count + 1)
                saved[name] = "${\(variable)}"
                captures.append(Capture(variable: variable, source: .jsonPath("name")))
                current = Self.key(name)
            }
            if let operationName = operation["name"]?.stringValue { operationOwners[Self.key(operationName)] = .step(steps.count) }
            if operation["done"]?.boolValue == true, let sandbox = operation["response"] {
                response.json = sandbox
                if let state = Self.state(sandbox) {
                    response.state = state
                    expectations.append(.state(state))
                }
            }
        }
        append(.create(template), index: index, expectations: expectations, captures: captures, response: response)
    }

    /// The sandbox template of a recorded create body (language, machine, display name, ttl).
    private func template(_ exchange: Exchange, index: Int) throws(ReplayError) -> SandboxTemplate {
        guard case .json(let body) = exchange.request.body,
            let sandbox = try? SandboxEnvironment(json: body, strict: false)
        else {
            return SandboxTemplate(language: .unspecified)
        }
        var template = SandboxTemplate(
            language: sandbox.codeExecution?.codeLanguage ?? .unspecified,
            machineConfig: sandbox.codeExecution?.machineConfig ?? .unspecified,
            displayName: sandbox.displayName.map(Self.literal))
        if let seconds = sandbox.ttlSeconds {
            guard let nanoseconds = Int64(exactly: (seconds * 1e9).rounded()), nanoseconds <= HumanDuration.maxNanoseconds else {
                throw ReplayError(
                    .notReplayable, location(index, ["request", "json", "ttl"]),
                    "request.json.ttl (\(seconds)s) is beyond the 100 years a scenario's ttl may be")
            }
            template.ttl = .nanoseconds(nanoseconds)
        }
        return template
    }

    private mutating func convertList(_ exchange: Exchange, index: Int, status: Int) throws(ReplayError) {
        var pageSize: Int?
        var pageToken: String?
        var filter: String?
        for field in exchange.query {
            switch field.name {
            case "pageSize", "page_size":
                guard let size = Int(field.value), (0...Int(Int32.max)).contains(size) else {
                    return try convertRequest(exchange, index: index, status: status)
                }
                pageSize = size
            case "pageToken", "page_token": pageToken = token(field.value)
            case "filter": filter = Self.literal(field.value)
            case "alt", "$alt": break
            default: return try convertRequest(exchange, index: index, status: status)
            }
        }
        var expectations = Self.statusExpectations(exchange, status: status, always: false)
        let page = exchange.response.body.json.flatMap { try? SandboxPage(json: $0) }
        if status == 200, options.listCounts, let page { expectations.append(.count(page.sandboxes.count)) }
        if status == 200, let token = page?.nextPageToken, !token.isEmpty { minted[token] = (steps.count, "nextPageToken", "page_token") }
        append(
            .list(pageSize: pageSize, pageToken: pageToken, filter: filter), index: index, expectations: expectations,
            response: recorded(exchange, status))
    }

    private mutating func convertExecute(
        _ exchange: Exchange, index: Int, status: Int, input: ExecuteInput,
        sandbox: String
    ) throws(ReplayError) {
        var files: [FileInput] = []
        for (k, file) in input.files.enumerated() {
            let at = ["request", "execute", "files", String(k)]
            switch file.bytes.content {
            case .text(let text):
                files.append(
                    FileInput(name: Self.literal(file.name), content: Array(Self.literal(text).utf8), isText: true, mimeType: file.mimeType)
                )
            case .base64(let encoded):
                guard let bytes = Base64.decode(encoded) else {
                    throw ReplayError(
                        .notReplayable, location(index, at + ["base64"]),
                        "request.execute.files[\(k)].base64 (\(file.name)) is not valid base64")
                }
                files.append(FileInput(name: Self.literal(file.name), content: bytes, isText: false, mimeType: file.mimeType))
            case .omitted:
                throw ReplayError(
                    .notReplayable, location(index, at + ["omitted"]),
                    "request.execute.files[\(k)] (\(file.name), \(file.bytes.size) bytes) was recorded by size and sha256 only, "
                        + "so it cannot be sent again; record with --keep-bodies to replay it")
            }
        }
        var expectations = Self.statusExpectations(exchange, status: status, always: false)
        var response = self.recorded(exchange, status)
        if status == 200, case .executeOutput(let recorded) = exchange.response.body {
            response.execute = recorded
            expectations.append(.stdout(Self.console(recorded.msgOut)))
            expectations.append(.stderr(Self.console(recorded.msgErr)))
            for (k, file) in recorded.files.enumerated() {
                let digest = file.bytes.sha256.lowercased()
                guard digest.utf8.count == 64, digest.allSatisfy(\.isHexDigit) else {
                    throw ReplayError(
                        .notReplayable, location(index, ["response", "execute", "files", String(k), "sha256"]),
                        "response.execute.files[\(k)].sha256 (\(file.name)) is not 64 hex digits")
                }
                expectations.append(.file(name: Self.literal(file.name), .sha256(digest)))
            }
            expectations.append(.fileCount(recorded.files.count))
        } else if status == 200 {
            expectations.append(.httpStatus(200))
        }
        append(
            .execute(code: Self.literal(input.code ?? ""), files: files, sandbox: reference(sandbox)), index: index,
            expectations: expectations, response: response)
    }

    /// A raw request with the recorded names replaced by the replay's.
    private mutating func convertRequest(_ exchange: Exchange, index: Int, status: Int) throws(ReplayError) {
        // Relative to the API root when it starts with a version, so the target's own version is used.
        var target = substituted(APIPath.relative(exchange.path) ?? exchange.path)
        if !exchange.query.isEmpty {
            var pairs: [String] = []
            for field in exchange.query {
                pairs.append(
                    "\(ScenarioSession.percentEncode(Self.literal(field.name)))=\(ScenarioSession.percentEncode(token(field.value)))")
            }
            target += "?" + pairs.joined(separator: "&")
        }
        let body: String?
        switch exchange.request.body {
        case .none: body = nil
        case .json(let json): body = substitutedJSON(json).jsonString
        case .text(let text): body = substituted(text)
        case .executeInput(let input):
            var files: [SandboxFile] = []
            for file in input.files {
                guard let bytes = Self.bytes(file.bytes) else {
                    throw ReplayError(
                        .notReplayable, location(index, ["request", "execute"]),
                        "request.execute.files (\(file.name)) was recorded by size and sha256 only, so it cannot be sent again; "
                            + "record with --keep-bodies to replay it")
                }
                files.append(SandboxFile(name: file.name, content: bytes, mimeType: file.mimeType))
            }
            body = Self.literal(ExecuteRequest(code: input.code, files: files).json.jsonString)
        case .bytes(let recorded):
            guard let bytes = Self.bytes(recorded), let text = String(validating: bytes, as: UTF8.self) else {
                skip(index, "its request body was not recorded as text or JSON, so it cannot be sent again")
                return
            }
            body = Self.literal(text)
        case .executeOutput:
            skip(index, "its request body is not one a client sends")
            return
        }
        let expectations = Self.statusExpectations(exchange, status: status, always: true)
        if status == 200, let name = exchange.response.body.json?["name"]?.stringValue, name.contains("/operations/") {
            minted[name] = (steps.count, "name", "operation")
        }
        append(
            .request(method: exchange.method.uppercased(), path: target, body: body, headers: [:]), index: index,
            expectations: expectations, response: recorded(exchange, status))
    }

    // MARK: Names

    /// How a step names the recorded sandbox `name`: nil for the current one, else its variable.
    private func reference(_ name: String) -> String? {
        reference(key: Self.key(name))
    }

    private func reference(key: String) -> String? {
        guard key != current, let sandbox = sandboxes[key] else { return nil }
        return "${\(sandbox.variable)}"
    }

    /// A resource's identity whatever the spelling of its project (ID or number) and location:
    /// its engine, sandbox and operation IDs.
    static func key(_ name: String) -> String {
        guard let parsed = ResourceName(name), let engine = parsed.engine else { return name }
        return [engine, parsed.sandbox ?? "-", parsed.operation ?? "-"].joined(separator: "/")
    }

    private mutating func variable(_ prefix: String) -> String {
        counters[prefix, default: 0] += 1
        return "\(prefix)_\(counters[prefix] ?? 1)"
    }

    /// `text` with `${` kept literal and every recorded name the replay knows replaced by its
    /// variable. An operation minted by an earlier raw request that `text` names is saved by that
    /// request's step first.
    private mutating func substituted(_ text: String) -> String {
        for (value, origin) in minted.sorted(by: { $0.value.step < $1.value.step })
        where origin.prefix == "operation" && saved[value] == nil && NameSubstitution.occurs(value, in: text) {
            save(value, origin)
        }
        var replacements = saved
        for engine in engines where replacements[engine] == nil { replacements[engine] = "${engine}" }
        return NameSubstitution.apply(replacements, to: Self.literal(text))
    }

    /// A query value: a page token an earlier list answered becomes that list's saved variable.
    private mutating func token(_ value: String) -> String {
        if let origin = minted[value], saved[value] == nil { save(value, origin) }
        if let variable = saved[value] { return variable }
        return substituted(value)
    }

    private mutating func save(_ value: String, _ origin: (step: Int, path: String, prefix: String)) {
        let variable = variable(origin.prefix)
        steps[origin.step].captures.append(Capture(variable: variable, source: .jsonPath(origin.path)))
        saved[value] = "${\(variable)}"
    }

    private mutating func substitutedJSON(_ json: JSONValue) -> JSONValue {
        switch json {
        case .string(let s): return .string(substituted(s))
        case .array(let items): return .array(items.map { substitutedJSON($0) })
        case .object(let object):
            var out: [String: JSONValue] = [:]
            for (key, value) in object { out[Self.literal(key)] = substitutedJSON(value) }
            return .object(out)
        default: return json
        }
    }

    // MARK: Steps

    private mutating func append(
        _ action: StepAction, index: Int, expectations: [Expectation], captures: [Capture] = [],
        response: RecordedResponse?, note: String? = nil
    ) {
        let location = location(index)
        let name = "\(steps.count + 1)-\(action.operation)"
        steps.append(Step(name: name, action: action, expectations: expectations, captures: captures, location: location))
        origins.append(StepOrigin(exchange: index, location: location, response: response, note: note))
    }

    /// What `exchange` answered, as the step's recorded response.
    private func recorded(_ exchange: Exchange, _ status: Int) -> RecordedResponse {
        let error = status == 200 ? nil : exchange.response.body.json?["error"]
        return RecordedResponse(
            status: status, errorStatus: error?["status"]?.stringValue, errorMessage: error?["message"]?.stringValue,
            json: exchange.response.body.json)
    }

    private mutating func skip(_ index: Int, _ reason: String) {
        skipped.append(SkippedExchange(exchange: index, location: location(index), reason: reason))
    }

    private func location(_ index: Int, _ path: [String] = []) -> SourceLocation {
        let position = document.location(exchange: index, path)
        return SourceLocation(file: self.path, line: position?.line ?? 0, column: position?.column ?? 0)
    }

    // MARK: Recorded values

    /// HTTP status (and the Google error status) expected when the recording was not a plain 200;
    /// with `always`, the status is expected even then (raw requests say what they expect).
    static func statusExpectations(_ exchange: Exchange, status: Int, always: Bool) -> [Expectation] {
        guard status != 200 || always else { return [] }
        var out: [Expectation] = [.httpStatus(status)]
        if status != 200, let error = exchange.response.body.json?["error"]?["status"]?.stringValue, StatusCode(rawValue: error) != nil {
            out.append(.errorStatus(error))
        }
        return out
    }

    /// Console text compared normalised; empty text exactly.
    static func console(_ text: String) -> TextMatch {
        text.isEmpty ? .equals("") : .normalized(literal(text))
    }

    /// The resource an operation made: its `response.name`, else the name the operation lives under.
    static func createdName(_ operation: JSONValue?) -> String? {
        if let name = operation?["response"]?["name"]?.stringValue, let parsed = ResourceName(name) { return parsed.description }
        guard let name = operation?["name"]?.stringValue, var parsed = ResourceName(name), parsed.operation != nil else { return nil }
        parsed.operation = nil
        return parsed.description
    }

    static func state(_ json: JSONValue?) -> SandboxState? {
        json?["state"]?.stringValue.flatMap(SandboxState.init(rawValue:))
    }

    static func bytes(_ recorded: RecordedBytes) -> [UInt8]? {
        switch recorded.content {
        case .text(let text): Array(text.utf8)
        case .base64(let encoded): Base64.decode(encoded)
        case .omitted: nil
        }
    }

    /// `text` as scenario text that means exactly `text`: each `${` written `$${`.
    static func literal(_ text: String) -> String {
        text.contains("${") ? text.replacing("${", with: "$${") : text
    }
}

extension Body {
    /// The JSON body, if this is one.
    var json: JSONValue? { if case .json(let json) = self { json } else { nil } }
}
