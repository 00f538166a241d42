import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SandboxAPI

/// Routes the Vertex REST surface (`/v1beta1/…` and `/v1/…`) to the store, rendering every failure
/// as a Google error body with its HTTP status. Bad input never becomes a 5xx.
struct EmulatorResponder: HTTPResponder {
    typealias Context = EmulatorRequestContext

    let store: EmulatorStore
    let configuration: EmulatorConfiguration
    let executionSettings: ExecutionSettings
    let logger: Logger
    /// The fault plan in force, when the emulator runs with one.
    let faults: FaultInjector?
    /// Holds requests beyond ``EmulatorConfiguration/maxConcurrentRequests``; nil: no limit.
    var limiter: RequestLimiter?

    /// Largest raw body read: 100 MB of files grows by a third in base64, plus JSON.
    var maxBodyBytes: Int { configuration.maxFileBytes / 3 * 4 + (8 << 20) }

    func respond(to request: Request, context: Context) async throws -> Response {
        if let token = configuration.authToken, !Self.carries(token, request.headers[.authorization]) {
            // Closing: the body of an unauthenticated request is never read.
            var response = Self.json(
                GoogleError(
                    .unauthenticated,
                    "Request is missing required authentication credential. "
                        + "Expected an 'Authorization: Bearer' header with this emulator's token."
                ).json,
                status: 401, closing: true)
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        guard let limiter else { return try await serve(request, context: context) }
        // The slot is held through the injected latency, so limit / latency is the emulator's capacity.
        try await limiter.acquire()
        defer { limiter.release() }
        return try await serve(request, context: context)
    }

    /// Answers an authenticated request: faults, the route, then the injected latency.
    private func serve(_ request: Request, context: Context) async throws -> Response {
        // Faults are decided before the store sees the request, so an injected error or reset has no side effects.
        var bodyFault: FaultAction?
        if let faults, let apiPath = Self.apiPath(request.uri.path) {
            let decision = faults.decide(method: request.method.rawValue, path: apiPath)
            if let early = try await injectBeforeServing(decision, context: context) { return early }
            bodyFault = decision.outcome
        }
        var response: Response
        do {
            response = try await route(request)
        } catch let error as BodyTooLarge {
            // The rest of the body is never read: close the connection after answering, or the
            // client's unread bytes would hold it open.
            response = Self.json(error.error.json, status: error.error.httpStatus, closing: true)
        } catch let error as GoogleError {
            response = Self.json(error.json, status: error.httpStatus)
        } catch {
            logger.error("unexpected error: \(error)")
            response = Self.json(GoogleError(.internal, "Internal error: \(error)").json, status: 500)
        }
        if configuration.injectedLatency > .zero || configuration.injectedJitter > .zero {
            var generator = SystemRandomNumberGenerator()
            let delay = Self.injectedDelay(latency: configuration.injectedLatency, jitter: configuration.injectedJitter, using: &generator)
            try? await Task.sleep(for: delay, tolerance: .zero)
        }
        if let bodyFault { Self.injectIntoBody(bodyFault, of: &response, channel: context.channel) }
        return response
    }

    /// The delay `--inject-latency` and `--inject-jitter` add to a response: `latency` plus a uniform
    /// draw in `[0, jitter)`, each first held to 0…100 years (the longest duration a flag accepts),
    /// so that neither the draw nor the sleep can trap, whatever a caller configured.
    static func injectedDelay(latency: Duration, jitter: Duration, using generator: inout some RandomNumberGenerator) -> Duration {
        let bound = Duration.nanoseconds(HumanDuration.maxNanoseconds)
        let spread = jitter.clamped(to: bound).nanoseconds(saturatingAt: HumanDuration.maxNanoseconds)
        let draw = spread > 0 ? Int64.random(in: 0..<spread, using: &generator) : 0
        return latency.clamped(to: bound) + .nanoseconds(draw)
    }

    /// The path after the version segment (`/v1beta1/` or `/v1/`); nil outside the API.
    static func apiPath(_ path: String) -> Substring? {
        if path.hasPrefix("/v1beta1/") { return path.dropFirst(9) }
        if path.hasPrefix("/v1/") { return path.dropFirst(4) }
        return nil
    }

    /// Whether a query string holds a `faults` parameter (`?faults`, `?faults=1`).
    static func asksForFaults(_ query: String) -> Bool {
        query.split(separator: "&").contains { $0 == "faults" || $0.hasPrefix("faults=") }
    }

    static func json(_ value: JSONValue, status: Int = 200, closing: Bool = false) -> Response {
        let bytes = value.serialized()
        var headers: HTTPFields = [.contentType: "application/json; charset=UTF-8"]
        if closing { headers[.connection] = "close" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Whether `header` is `Bearer <token>`, compared in time independent of where they differ.
    static func carries(_ token: String, _ header: String?) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let given = Array(header.utf8.dropFirst(7))
        let wanted = Array(token.utf8)
        var difference = UInt8(truncatingIfNeeded: given.count ^ wanted.count)
        for i in 0..<wanted.count { difference |= wanted[i] ^ (i < given.count ? given[i] : 0) }
        return difference == 0 && given.count == wanted.count
    }

    /// A request body over ``maxBodyBytes``: answered with 400 and a closed connection.
    struct BodyTooLarge: Error {
        var error: GoogleError
    }

    private func route(_ request: Request) async throws -> Response {
        // Every body is read before routing, also where no route needs one (GET, DELETE, errors): a
        // body left unread stalls the connection, since the server neither reads nor closes it.
        let payload = try await collect(request)
        let path = request.uri.path
        if path == "/healthz" || path == "/healthz/" {
            if Self.asksForFaults(request.uri.query ?? "") { return Self.json(faults?.report.json ?? FaultReport.disabledJSON) }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        guard var rest = Self.apiPath(path) else {
            throw GoogleError(.notFound, "The requested URL \(path) was not found on this server; the API lives under /v1beta1/ and /v1/.")
        }
        // Custom verbs: `{name}:verb` and the SDK's `{name}/:verb`.
        var verb: String?
        if let slash = rest.lastIndex(of: "/"), let colon = rest[slash...].firstIndex(of: ":") {
            verb = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            if rest.hasSuffix("/") { rest = rest.dropLast() }
        }
        let version = APIVersion(path: path)
        let resource = try await resolvingAlias(String(rest).removingPercentEncoding ?? String(rest), version: version)
        let method = request.method
        let query = request.uri.queryParameters
        if let answer = try await operationsRoute(resource, verb: verb, method: method, query: query, version: version) { return answer }

        if resource.hasSuffix("/reasoningEngines"), verb == nil,
            let location = ResourceName(String(resource.dropLast("/reasoningEngines".count))), location.engine == nil
        {
            switch method {
            case .post: return Self.json(try await store.createEngine(location: location, body: try body(payload)).json)
            case .get:
                return Self.json(
                    try await store.listEngines(
                        location: location, pageSize: try pageSize(query), pageToken: query["pageToken"].map(String.init)))
            default: throw methodNotAllowed(method, resource)
            }
        }
        if resource.hasSuffix("/sandboxEnvironments"), verb == nil,
            let parent = ResourceName(String(resource.dropLast("/sandboxEnvironments".count))), let engine = parent.enginePath,
            parent.sandbox == nil, parent.operation == nil
        {
            switch method {
            case .post:
                let requested = try body(payload)
                try Self.refuseUnsupportedEnvironments(requested, version: version)
                return Self.json(try await store.createSandbox(engine: engine, body: requested).json)
            case .get:
                let page = try await store.listSandboxes(
                    engine: engine, pageSize: try pageSize(query),
                    pageToken: query["pageToken"].map(String.init), filter: query["filter"].map(String.init))
                return Self.json(page.json)
            default: throw methodNotAllowed(method, resource)
            }
        }
        if let answer = try await routeSnapshotsTemplatesAndStateless(
            method: method, verb: verb, resource: resource, query: query,
            payload: payload, beta: path.hasPrefix("/v1beta1/"))
        {
            return answer
        }
        guard let name = ResourceName(resource), let enginePath = name.enginePath else {
            throw GoogleError(.notFound, "Requested entity was not found: \(resource) is not a resource path of this API.")
        }
        if name.operation != nil {
            guard method == .get, verb == nil else { throw methodNotAllowed(method, resource) }
            return Self.json(try await store.operation(resource).json)
        }
        if let sandboxPath = name.sandboxPath {
            switch (method, verb) {
            case (.get, nil): return Self.json(try await store.sandbox(sandboxPath).json)
            case (.delete, nil): return Self.json(try await store.deleteSandbox(sandboxPath).json)
            case (.post, "execute"): return try await execute(sandboxPath, payload: payload)
            case (.post, "pause"): return Self.json(try await store.pauseSandbox(sandboxPath).json)
            case (.post, "resume"): return Self.json(try await store.resumeSandbox(sandboxPath).json)
            default: return try await otherSandboxMethod(method, verb: verb, sandbox: sandboxPath, version: version)
            }
        }
        switch (method, verb) {
        case (.get, nil): return Self.json(try await store.engine(enginePath).json)
        case (.delete, nil):
            var force = query["force"].map { $0 == "true" || $0 == "1" } ?? false
            // The Python SDK sends force in a JSON body on DELETE; the REST API defines it as a query parameter.
            if !force, let payload = try? body(payload), payload["force"]?.boolValue == true { force = true }
            return Self.json(try await store.deleteEngine(enginePath, force: force).json)
        default: throw methodNotAllowed(method, resource + (verb.map { ":" + $0 } ?? ""))
        }
    }

    private func execute(_ sandbox: String, payload: ByteBuffer) async throws -> Response {
        let (code, files) = try executeInputs(payload)
        let process = try await store.executionTarget(sandbox)
        await store.resetTTL(sandbox)
        let outcome = try await process.execute(code: code, files: files, settings: executionSettings, logger: logger)
        await store.resetTTL(sandbox)
        if outcome.terminated { await store.markTerminated(sandbox) }
        return Self.json(ExecuteResponse(stdout: outcome.stdout, stderr: outcome.stderr, files: outcome.files).json)
    }

    /// The code and files of an execute body (`:execute` and `:executeCode`), checked against the file limits.
    func executeInputs(_ payload: ByteBuffer) throws(GoogleError) -> (code: String?, files: [SandboxFile]) {
        let parsed = try ExecuteRequest(json: try body(payload))
        let (code, files) = try parsed.decoded()
        let total = files.reduce(0) { $0 + $1.content.count }
        guard total <= configuration.maxFileBytes else {
            throw GoogleError(
                .invalidArgument,
                "The request carries \(total) bytes of files; at most \(configuration.maxFileBytes) bytes (100 MB) are allowed per request."
            )
        }
        for file in files {
            if let problem = Workdir.validate(file.name) { throw GoogleError(.invalidArgument, problem) }
        }
        return (code, files)
    }

    private func collect(_ request: Request) async throws(BodyTooLarge) -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw BodyTooLarge(
                error: GoogleError(
                    .invalidArgument,
                    "The request body is larger than \(maxBodyBytes) bytes; at most 100 MB of files are allowed per request."))
        }
    }

    func body(_ buffer: ByteBuffer) throws(GoogleError) -> JSONValue {
        if buffer.readableBytes == 0 { return .object([:]) }
        do {
            return try JSONValue.parse(buffer.readableBytesView)
        } catch {
            throw GoogleError(.invalidArgument, "Invalid JSON payload received. \(error).")
        }
    }

    func pageSize(_ query: FlatDictionary<Substring, Substring>) throws(GoogleError) -> Int {
        guard let raw = query["pageSize"] ?? query["page_size"] else { return 0 }
        guard let n = Int(raw), n >= 0 else {
            throw GoogleError(.invalidArgument, "Invalid pageSize \"\(raw)\": expected a non-negative integer.")
        }
        return n
    }

    func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String) -> GoogleError {
        GoogleError(.notFound, "Requested entity was not found: \(method.rawValue) is not supported on \(path).")
    }
}
