public import SandboxAPI

/// Where the API lives: base URL, version and the project/location the engine is created in.
public struct APIEndpoint: Sendable, Hashable {
    /// `http://127.0.0.1:8080` or `https://us-central1-aiplatform.googleapis.com` (no trailing slash).
    public var baseURL: String
    /// API version path segment, e.g. `v1beta1`.
    public var apiVersion: String
    /// Project in resource names.
    public var project: String
    /// Location in resource names and in Vertex's host name.
    public var location: String

    /// An endpoint at `baseURL` (no trailing slash) for `project` in `location`.
    public init(baseURL: String, apiVersion: String = "v1beta1", project: String = "sandbench", location: String = "us-central1") {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiVersion = apiVersion
        self.project = project
        self.location = location
    }

    /// The Vertex endpoint for a region (`global` uses the global host).
    public static func vertex(project: String, location: String) -> APIEndpoint {
        let host = location == "global" ? "https://aiplatform.googleapis.com" : "https://\(location)-aiplatform.googleapis.com"
        return APIEndpoint(baseURL: host, project: project, location: location)
    }

    /// Full URL of a resource path (`projects/…`) or of an absolute path (`/healthz`).
    public func url(_ path: String) -> String {
        path.hasPrefix("/") ? baseURL + path : "\(baseURL)/\(apiVersion)/\(path)"
    }

    /// `projects/P/locations/L`, the parent of engines.
    public var locationPath: String { "projects/\(project)/locations/\(location)" }
}

/// One answered API call: status, parsed JSON (when the body is JSON) and timing.
public struct APIResponse: Sendable {
    /// HTTP status.
    public var status: Int
    /// The body parsed as JSON, nil when it is not JSON.
    public var json: JSONValue?
    /// The raw body.
    public var body: [UInt8]
    /// Transport time: request sent to last byte received.
    public var elapsed: Duration

    /// The Google error in a non-200 answer; its message is cut to ``maxErrorMessageBytes``.
    public var googleError: GoogleError? {
        guard status != 200 else { return nil }
        if let json, var error = GoogleError(httpStatus: status, body: json) {
            error.message = Self.cut(error.message)
            return error
        }
        return GoogleError(
            .unknown, Self.cut(String(decoding: body.prefix(Self.maxErrorMessageBytes), as: UTF8.self), total: body.count),
            httpStatus: status)
    }

    /// Most bytes of a server's error message kept for reports; the rest is summarised.
    public static let maxErrorMessageBytes = 2048

    private static func cut(_ text: String, total: Int? = nil) -> String {
        let total = total ?? text.utf8.count
        guard total > maxErrorMessageBytes else { return text }
        let kept = String(decoding: text.utf8.prefix(maxErrorMessageBytes), as: UTF8.self)
        return kept + "… (\(total) bytes in all)"
    }

    /// The JSON body of a 200 answer to `what`, or a protocol error saying why there is none.
    public func requireJSON(_ what: String) throws(APIFailure) -> JSONValue {
        if let json { return json }
        if body.isEmpty { throw .malformed("\(what) answered HTTP \(status) with an empty body instead of JSON") }
        do {
            return try JSONValue.parse(body)
        } catch {
            throw .malformed("\(what) answered HTTP \(status) with a body that is not JSON (\(error), \(body.count) bytes)")
        }
    }
}

/// Why an API call did not produce what the harness needed.
public enum APIFailure: Error, Sendable, CustomStringConvertible {
    case transport(TransportError)
    /// The server answered with an error status.
    case http(GoogleError)
    /// The answer was 200 but not the expected shape: a protocol error.
    case malformed(String)
    /// An operation did not finish within the polling limit.
    case timedOut(String)
    /// A finished operation carried an error.
    case operationFailed(RPCStatus)

    /// What failed, for people.
    public var description: String {
        switch self {
        case .transport(let e): e.description
        case .http(let e): "HTTP \(e.httpStatus) \(e.status.rawValue): \(e.message)"
        case .malformed(let m): "protocol error: \(m)"
        case .timedOut(let m): m
        case .operationFailed(let s): "operation failed: code \(s.code): \(s.message)"
        }
    }
}

/// How long-running operations are polled: exponential backoff within a deadline.
public struct PollPolicy: Sendable, Hashable {
    /// Wait before the first poll.
    public var initialInterval: Duration = .milliseconds(20)
    /// Longest wait between polls.
    public var maxInterval: Duration = .seconds(2)
    /// Growth of the wait after each poll.
    public var multiplier: Double = 1.6
    /// Longest time to wait for an operation before giving up.
    public var timeout: Duration = .seconds(300)

    /// The defaults: 20 ms, growing 1.6× to 2 s, for at most 300 s.
    public init() {}
}

/// Typed calls of the sandbox API over an ``HTTPTransport``: the harness's only client.
public struct SandboxClient: Sendable {
    /// What every request goes through.
    public var transport: any HTTPTransport
    /// Where the API is.
    public var endpoint: APIEndpoint
    /// Supplies `Authorization`; nil sends none.
    public var credentials: (any CredentialProvider)?
    /// How long-running operations are polled.
    public var poll: PollPolicy
    /// Limit for each HTTP exchange.
    public var requestTimeout: Duration

    /// A client of the API at `endpoint` over `transport`.
    public init(
        transport: any HTTPTransport, endpoint: APIEndpoint, credentials: (any CredentialProvider)? = nil,
        poll: PollPolicy = PollPolicy(), requestTimeout: Duration = .seconds(330)
    ) {
        self.transport = transport
        self.endpoint = endpoint
        self.credentials = credentials
        self.poll = poll
        self.requestTimeout = requestTimeout
    }

    /// Sends one request; the body is sent as given (JSON text for API calls).
    public func call(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:]) async throws(APIFailure)
        -> APIResponse
    {
        var headerList: [(name: String, value: String)] = [("Accept", "application/json")]
        if body != nil { headerList.append(("Content-Type", "application/json")) }
        if let credentials {
            do {
                if let token = try await credentials.accessToken() { headerList.append(("Authorization", "Bearer \(token)")) }
            } catch {
                throw .transport(TransportError(.other, "could not get an access token: \(error)", url: endpoint.url(path)))
            }
        }
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { headerList.append((k, v)) }
        let request = TransportRequest(method: method, url: endpoint.url(path), headers: headerList, body: body, timeout: requestTimeout)
        let response: TransportResponse
        do { response = try await transport.send(request) } catch { throw .transport(error) }
        let json = Self.mayBeJSON(response.body) ? try? JSONValue.parse(response.body) : nil
        return APIResponse(status: response.status, json: json, body: response.body, elapsed: response.elapsed)
    }

    /// Whether `body` can be JSON at all, judged by its first byte after whitespace: a raw request
    /// step's `ok` is then not parsed only for the parse to fail.
    static func mayBeJSON(_ body: [UInt8]) -> Bool {
        guard let first = body.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return false }
        return switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            true
        default: false
        }
    }

    /// Sends a JSON body and insists on HTTP 200 with a JSON answer.
    public func callOK(_ method: String, _ path: String, json: JSONValue? = nil) async throws(APIFailure) -> (JSONValue, APIResponse) {
        let response = try await call(method, path, body: json?.serialized())
        if let error = response.googleError { throw .http(error) }
        return (try response.requireJSON("\(method) \(path)"), response)
    }

    // MARK: Engines

    /// Creates a lightweight agent engine and waits for it; returns its resource name.
    public func createEngine(displayName: String) async throws(APIFailure) -> String {
        let (opJSON, _) = try await callOK("POST", "\(endpoint.locationPath)/reasoningEngines", json: ["displayName": .string(displayName)])
        let op = try await waitForOperation(try Self.operation(opJSON))
        return try Self.resourceName(op.response?["name"], .engine, what: "the engine operation's response.name")
    }

    /// Deletes an engine (`force` also deletes its sandboxes).
    public func deleteEngine(_ name: String, force: Bool) async throws(APIFailure) {
        _ = try await callOK("DELETE", force ? "\(name)?force=true" : name)
    }

    // MARK: Sandboxes

    /// The request body creating a sandbox from a template.
    public static func createBody(_ template: SandboxTemplate) -> JSONValue {
        var env: [String: JSONValue] = [:]
        if template.language != .unspecified { env["codeLanguage"] = .string(template.language.rawValue) }
        if template.machineConfig != .unspecified { env["machineConfig"] = .string(template.machineConfig.rawValue) }
        var body: [String: JSONValue] = ["spec": ["codeExecutionEnvironment": .object(env)]]
        if let name = template.displayName { body["displayName"] = .string(name) }
        if let ttl = template.ttl { body["ttl"] = .string(ProtoDuration.format(ttl.seconds)) }
        if let snapshot = template.snapshot { body["sandboxEnvironmentSnapshot"] = .string(snapshot) }
        if let name = template.template { body["sandboxEnvironmentTemplate"] = .string(name) }
        if let owner = template.owner { body["owner"] = .string(owner) }
        return .object(body)
    }

    /// Polls an operation (exponential backoff) until it is done or ``PollPolicy/timeout`` passes.
    public func waitForOperation(_ start: LongRunningOperation) async throws(APIFailure) -> LongRunningOperation {
        var op = start
        let clock = ContinuousClock()
        let deadline = clock.now + poll.timeout
        var interval = max(.milliseconds(1), poll.initialInterval)
        // Checked once: the interval stays finite and positive whatever the policy says.
        let multiplier = poll.multiplier.isFinite ? min(max(poll.multiplier, 1), 10) : 1
        while !op.done {
            let name = try Self.resourceName(.string(op.name), .operation, what: "the operation's name")
            if clock.now >= deadline { throw .timedOut("operation \(name) not done after \(poll.timeout)") }
            do { try await Task.sleep(for: interval) } catch {
                throw .transport(TransportError(.cancelled, "cancelled while polling", url: name))
            }
            interval = interval >= poll.maxInterval / multiplier ? poll.maxInterval : interval * multiplier
            let (json, _) = try await callOK("GET", name)
            op = try Self.operation(json)
        }
        if let error = op.error { throw .operationFailed(error) }
        return op
    }

    static func operation(_ json: JSONValue) throws(APIFailure) -> LongRunningOperation {
        do { return try LongRunningOperation(json: json) } catch { throw .malformed("not an operation: \(error.message)") }
    }

    // MARK: Names from the server

    /// The sandbox a create operation is about, from the operation's name
    /// (`ENGINE/sandboxEnvironments/ID/operations/OP`); nil when the name has another shape.
    public static func sandboxOf(operation: String, engine: String) -> String? {
        let prefix = engine + "/sandboxEnvironments/"
        guard operation.hasPrefix(prefix), let name = try? SandboxClient.resourceName(.string(operation), .operation, what: "") else {
            return nil
        }
        let rest = name.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 3, rest[1] == "operations", !rest[0].isEmpty, !rest[2].isEmpty else { return nil }
        return prefix + rest[0]
    }

    /// Which resource a name from the server must denote.
    public enum NameKind: String, Sendable {
        case engine = "an agent engine"
        case sandbox = "a sandbox environment"
        case operation = "an operation"
    }

    /// Longest resource name from a server that the harness puts into a URL. Real names are about
    /// 150 bytes.
    public static let maxResourceNameBytes = 1024

    /// A resource name from a server, checked before the harness puts it into a URL: a string of at
    /// most ``maxResourceNameBytes`` bytes of letters, digits and `-._~`, in `/`-separated
    /// segments, shaped like `projects/P/locations/L/…` for `kind`. Anything else (a path that
    /// climbs with `..`, a query, a 10 MB string) is a protocol error.
    public static func resourceName(_ value: JSONValue?, _ kind: NameKind, what: String) throws(APIFailure) -> String {
        guard let value else { throw .malformed("\(what) is missing") }
        guard case .string(let name) = value else { throw .malformed("\(what) is a JSON \(value.kindName), not a string") }
        guard name.utf8.count <= maxResourceNameBytes else {
            throw .malformed("\(what) is \(name.utf8.count) bytes long; a resource name has at most \(maxResourceNameBytes)")
        }
        let safe = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                true
            default: false
            }
        }
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        guard safe, !segments.contains(where: { $0 == "." || $0 == ".." }), let parsed = ResourceName(name) else {
            throw .malformed("\(what) is not \(kind.rawValue) resource name: \(shown(name))")
        }
        let fits =
            switch kind {
            case .engine: parsed.engine != nil && parsed.sandbox == nil && parsed.operation == nil
            case .sandbox: parsed.sandbox != nil && parsed.operation == nil
            case .operation: parsed.engine != nil && parsed.operation != nil
            }
        guard fits else { throw .malformed("\(what) is not \(kind.rawValue) resource name: \(shown(name))") }
        return name
    }

    /// `text` quoted for a message, cut to 120 characters.
    static func shown(_ text: String) -> String {
        text.count > 120 ? String(text.prefix(120)).debugDescription + "… (\(text.utf8.count) bytes)" : text.debugDescription
    }
}
