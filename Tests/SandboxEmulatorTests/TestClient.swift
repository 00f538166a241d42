import Foundation
import Logging
import SandboxAPI
import SandboxEmulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// A small HTTP/1.1 client on raw loopback sockets (full control over methods, paths and bodies,
// including malformed ones), plus Vertex-specific helpers used by every suite.

/// One HTTP exchange's result.
struct HTTPResult: Sendable, CustomStringConvertible {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as JSON, nil when it is not JSON.
    var json: JSONValue? { try? JSONValue.parse(body) }
    var description: String { "HTTP \(status): \(text.prefix(600))" }

    /// `error.status` of a Google error body.
    var errorStatus: String? { json?["error"]?["status"]?.stringValue }
    /// `error.code` of a Google error body.
    var errorCode: Int? { json?["error"]?["code"]?.numberValue.map { Int($0) } }
    var errorMessage: String? { json?["error"]?["message"]?.stringValue }
}

struct HTTPClientError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Blocking socket I/O, run on GCD threads so the Swift concurrency pool (which the in-process
/// emulator also uses) is never blocked.
enum RawHTTP {
    static func send(
        port: Int, method: String, target: String, headers: [(String, String)] = [],
        body: [UInt8]? = nil, timeoutSeconds: Int = 120
    ) async throws -> HTTPResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try sendBlocking(
                            port: port, method: method, target: target, headers: headers, body: body,
                            timeoutSeconds: timeoutSeconds)
                    })
            }
        }
    }

    static func sendBlocking(
        port: Int, method: String, target: String, headers: [(String, String)], body: [UInt8]?,
        timeoutSeconds: Int
    ) throws -> HTTPResult {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nUser-Agent: sandbench-tests\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { head += "Content-Type: application/json\r\n" }
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        var request = Array(head.utf8)
        if let body { request += body }
        let raw = try exchange(port: port, request: request, timeoutSeconds: timeoutSeconds)
        return try parse(raw)
    }

    /// Writes `request`, reads until the server closes the connection.
    static func exchange(port: Int, request: [UInt8], timeoutSeconds: Int) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError(message: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw HTTPClientError(message: "connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < request.count {
            let n = request.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                // The server may answer (e.g. 400) and close before reading everything: read what it said.
                break
            }
            offset += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if response.isEmpty { throw HTTPClientError(message: "read: \(String(cString: strerror(errno)))") }
                break
            }
            if n == 0 { break }
            response += buffer[0..<n]
            if let complete = completeLength(response), response.count >= complete { break }
        }
        return response
    }

    /// Total length of a response whose framing is known from Content-Length, else nil (read to EOF).
    private static func completeLength(_ bytes: [UInt8]) -> Int? {
        guard let end = headerEnd(bytes) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            if let n = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) { return end + 4 + n }
        }
        return nil
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    static func parse(_ raw: [UInt8]) throws -> HTTPResult {
        guard let end = headerEnd(raw) else {
            throw HTTPClientError(
                message: "incomplete HTTP response (\(raw.count) bytes): \(String(decoding: raw.prefix(200), as: UTF8.self))")
        }
        let lines = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw HTTPClientError(message: "bad status line \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap({ Int($0) }), body.count > length {
            body = Array(body.prefix(length))
        }
        return HTTPResult(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = (i..<(data.count - 1)).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HTTPClientError(message: "bad chunk size \(sizeText)")
            }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= data.count else { throw HTTPClientError(message: "truncated chunk") }
            out += data[start..<(start + size)]
            i = start + size + 2
        }
        return out
    }
}

/// What one execute call returned.
struct ExecResult: Sendable, CustomStringConvertible {
    struct File: Sendable, Equatable {
        var name: String
        var content: [UInt8]
        var mimeType: String?
    }

    var status: Int
    var stdout: String
    var stderr: String
    var files: [File]
    var http: HTTPResult

    func file(_ name: String) -> File? { files.first { $0.name == name } }
    var description: String {
        "status \(status)\n--- msg_out ---\n\(stdout.prefix(2000))\n--- msg_err ---\n\(stderr.prefix(2000))\n"
            + "--- files: \(files.map(\.name))"
    }
}

/// A file to send with an execute call.
struct InputFile: Sendable {
    var name: String
    var content: [UInt8]
    var mimeType: String = ""
}

/// Standard padded base64 decoding only: what the emulator must emit.
func strictBase64(_ text: String) -> [UInt8]? {
    Data(base64Encoded: text).map { [UInt8]($0) }
}

func stdBase64(_ bytes: some Collection<UInt8>) -> String { Data(bytes).base64EncodedString() }

/// URL-safe base64 with padding (what SDK 2.7.0 sends).
func urlSafeBase64(_ bytes: some Collection<UInt8>) -> String {
    stdBase64(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
}

/// Vertex REST helpers on top of ``RawHTTP``.
struct TestClient: Sendable {
    let baseURL: String
    let port: Int
    var version = "v1beta1"
    var project = "test-project"
    var location = "us-central1"

    /// The emulator's state directory (each test's emulator gets a fresh one).
    var stateDirectory: String = ""

    init(baseURL: String, version: String = "v1beta1", stateDirectory: String = "") {
        self.baseURL = baseURL
        self.stateDirectory = stateDirectory
        self.port = Int(baseURL.split(separator: ":").last!)!
        self.version = version
    }

    var locationPath: String { "projects/\(project)/locations/\(location)" }

    /// A request to an absolute path (`/healthz`, `/v1/...`), body as raw bytes.
    func raw(_ method: String, _ target: String, body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> HTTPResult {
        try await RawHTTP.send(port: port, method: method, target: target, headers: headers, body: body)
    }

    /// A request to `/{version}/{resource}` with an optional JSON body.
    func call(_ method: String, _ resource: String, json: JSONValue? = nil) async throws -> HTTPResult {
        try await raw(method, "/\(version)/\(resource)", body: json.map { $0.serialized() })
    }

    /// A request to `/{version}/{resource}` with a raw text body.
    func call(_ method: String, _ resource: String, text: String) async throws -> HTTPResult {
        try await raw(method, "/\(version)/\(resource)", body: Array(text.utf8))
    }

    /// Requires HTTP 200 and a JSON object body.
    func ok(
        _ method: String, _ resource: String, json: JSONValue? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let r = try await call(method, resource, json: json)
        try #require(r.status == 200, "\(method) \(resource) → \(r)", sourceLocation: sourceLocation)
        #expect(
            r.headers["content-type"]?.contains("application/json") == true, "content-type \(r.headers)", sourceLocation: sourceLocation)
        return try #require(r.json, "\(method) \(resource): body is not JSON: \(r)", sourceLocation: sourceLocation)
    }

    // MARK: Engines

    /// Creates an engine (empty body or `{"displayName":…}`) and returns its name; also checks the op is GET-able.
    func createEngine(displayName: String? = nil) async throws -> String {
        let r = try await call(
            "POST", "\(locationPath)/reasoningEngines",
            json: displayName.map { ["displayName": .string($0)] })
        try #require(r.status == 200, "create engine → \(r)")
        let op = try #require(r.json)
        let opName = try #require(op["name"]?.stringValue)
        let done = try await pollOperation(opName)
        let name = try #require(done["response"]?["name"]?.stringValue, "engine op has no response.name: \(done.jsonString)")
        return name
    }

    func deleteEngine(_ name: String, force: Bool = true) async throws {
        let r = try await call("DELETE", name + (force ? "?force=true" : ""))
        #expect(r.status == 200, "delete engine → \(r)")
    }

    // MARK: Operations

    /// GETs `name` until `done`, failing after `timeout`.
    func pollOperation(_ name: String, timeout: Duration = .seconds(60)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let r = try await call("GET", name)
            try #require(r.status == 200, "GET operation \(name) → \(r)")
            let op = try #require(r.json)
            if op["done"]?.boolValue == true { return op }
            try #require(ContinuousClock.now < deadline, "operation \(name) not done after \(timeout)")
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Sandboxes

    /// The POST body for a sandbox create (camelCase).
    static func sandboxBody(
        language: String? = nil, machineConfig: String? = nil, ttl: String? = nil,
        displayName: String? = nil
    ) -> JSONValue {
        var env: [String: JSONValue] = [:]
        if let language { env["codeLanguage"] = .string(language) }
        if let machineConfig { env["machineConfig"] = .string(machineConfig) }
        var body: [String: JSONValue] = ["spec": ["codeExecutionEnvironment": .object(env)]]
        if let ttl { body["ttl"] = .string(ttl) }
        if let displayName { body["displayName"] = .string(displayName) }
        return .object(body)
    }

    /// Creates a sandbox, polls its operation until done and returns the finished operation.
    func createSandboxOperation(engine: String, body: JSONValue) async throws -> JSONValue {
        let r = try await call("POST", "\(engine)/sandboxEnvironments", json: body)
        try #require(r.status == 200, "create sandbox → \(r)")
        let op = try #require(r.json)
        let opName = try #require(op["name"]?.stringValue, "create returned no op name: \(r)")
        return try await pollOperation(opName)
    }

    /// Creates a sandbox and waits until its operation is done; returns the sandbox name.
    func createSandbox(
        engine: String, language: String? = nil, machineConfig: String? = nil, ttl: String? = nil,
        displayName: String? = nil
    ) async throws -> String {
        let done = try await createSandboxOperation(
            engine: engine, body: Self.sandboxBody(language: language, machineConfig: machineConfig, ttl: ttl, displayName: displayName))
        return try #require(done["response"]?["name"]?.stringValue, "sandbox op finished without response.name: \(done.jsonString)")
    }

    func getSandbox(_ name: String) async throws -> HTTPResult { try await call("GET", name) }

    func deleteSandbox(_ name: String) async throws -> HTTPResult { try await call("DELETE", name) }

    // MARK: Execute

    /// The execute body the SDK would send (snake_case, URL-safe base64) or the camelCase/standard form.
    static func executeBody(code: String?, files: [InputFile], sdkStyle: Bool = false) -> JSONValue {
        let enc: ([UInt8]) -> String = { sdkStyle ? urlSafeBase64($0) : stdBase64($0) }
        let mimeKey = sdkStyle ? "mime_type" : "mimeType"
        var inputs: [JSONValue] = []
        if let code {
            inputs.append([mimeKey: "application/json", "data": .string(enc(JSONValue.object(["code": .string(code)]).serialized()))])
        }
        for file in files {
            inputs.append([
                mimeKey: .string(file.mimeType), "data": .string(enc(file.content)),
                "metadata": ["attributes": ["file_name": .string(enc(Array(file.name.utf8)))]]
            ])
        }
        return ["inputs": .array(inputs)]
    }

    /// Runs code (and files) in a sandbox; `slashVerb` uses the SDK's `{sb}/:execute` form.
    func execute(
        _ sandbox: String, code: String?, files: [InputFile] = [], slashVerb: Bool = false,
        sdkStyle: Bool = false
    ) async throws -> ExecResult {
        let r = try await call(
            "POST", sandbox + (slashVerb ? "/:execute" : ":execute"),
            json: Self.executeBody(code: code, files: files, sdkStyle: sdkStyle))
        return try Self.decodeExecute(r)
    }

    /// Decodes an execute response strictly (standard base64, console chunk first and without metadata).
    static func decodeExecute(_ r: HTTPResult) throws -> ExecResult {
        guard r.status == 200 else { return ExecResult(status: r.status, stdout: "", stderr: "", files: [], http: r) }
        let json = try #require(r.json, "execute body is not JSON: \(r)")
        let outputs = try #require(json["outputs"]?.arrayValue, "execute response has no outputs: \(r)")
        let first = try #require(outputs.first, "execute response has no console chunk")
        #expect(first["mimeType"]?.stringValue == "application/json", "console chunk mimeType: \(first.jsonString)")
        #expect(first["metadata"] == nil, "console chunk must have no metadata: \(first.jsonString)")
        let consoleBytes = try #require(strictBase64(first["data"]?.stringValue ?? "?"), "console data is not standard base64")
        let console = try #require(try? JSONValue.parse(consoleBytes), "console chunk is not JSON")
        let stdout = try #require(console["msg_out"]?.stringValue, "console has no msg_out: \(console.jsonString)")
        let stderr = try #require(console["msg_err"]?.stringValue, "console has no msg_err: \(console.jsonString)")
        var files: [ExecResult.File] = []
        for chunk in outputs.dropFirst() {
            let nameB64 = try #require(
                chunk["metadata"]?["attributes"]?["file_name"]?.stringValue, "file chunk without file_name: \(chunk.jsonString.prefix(300))"
            )
            let name = String(decoding: try #require(strictBase64(nameB64), "file_name is not standard base64"), as: UTF8.self)
            let content = try #require(strictBase64(chunk["data"]?.stringValue ?? "?"), "file data is not standard base64")
            files.append(.init(name: name, content: content, mimeType: chunk["mimeType"]?.stringValue))
        }
        return ExecResult(status: 200, stdout: stdout, stderr: stderr, files: files, http: r)
    }
}

// MARK: - Emulator fixtures

/// The test-wide quiet logger (warnings and errors only).
let quietLogger: Logger = {
    var logger = Logger(label: "sandbench.emulator.tests")
    logger.logLevel = .critical
    return logger
}()

/// A configuration with a small warm pool, suitable for a 2-core machine.
func smallConfiguration(python: Int = 1, javascript: Int = 0) -> EmulatorConfiguration {
    var cfg = EmulatorConfiguration()
    cfg.warmPool = [.python: python, .javascript: javascript]
    return cfg
}

/// Starts an in-process emulator and runs `body` with a client for it.
func withTestEmulator<T: Sendable>(
    _ configure: (inout EmulatorConfiguration) -> Void = { _ in },
    version: String = "v1beta1",
    _ body: @Sendable (TestClient) async throws -> T
) async throws -> T {
    var cfg = smallConfiguration()
    cfg.stateDirectory = NSTemporaryDirectory() + "sandbench-emutest-\(getpid())-\(UUID().uuidString.prefix(8))"
    configure(&cfg)
    let state = cfg.stateDirectory ?? ""
    return try await Emulator.withEmulator(configuration: cfg, logger: quietLogger) { baseURL in
        try await body(TestClient(baseURL: baseURL, version: version, stateDirectory: state))
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(
    timeout: Duration, interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Host pids whose real uid is `uid` (from /proc/*/status).
func hostProcesses(uid: Int) -> [Int] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    var result: [Int] = []
    for entry in entries {
        guard let pid = Int(entry),
            let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8)
        else { continue }
        for line in status.split(separator: "\n") where line.hasPrefix("Uid:") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count >= 2, Int(fields[1]) == uid { result.append(pid) }
        }
    }
    return result.sorted()
}

/// Host pids with real uid `uid` that belong to the emulator whose state directory is `stateDirectory`.
///
/// Sandbox uids are `200100 + slot` in every emulator, so other emulators (other tests, other
/// processes on this machine) run processes with the same uids. A process is attributed to an
/// emulator by its state directory: it is on the bwrap command line, and the sandbox's mount
/// namespace (inherited by every child, also orphans) has the workdir below it mounted at /home/user.
func sandboxProcesses(uid: Int, stateDirectory: String) -> [Int] {
    precondition(!stateDirectory.isEmpty)
    return hostProcesses(uid: uid).filter { pid in
        let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        if cmdline.contains(stateDirectory) { return true }
        let mounts = (try? String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8)) ?? ""
        return mounts.contains(stateDirectory)
    }
}

/// The cgroup v1 path (relative to the controller's mount) of `pid` for `controller`.
func cgroupPath(pid: Int, controller: String) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if fields.count == 3, fields[1].split(separator: ",").contains(Substring(controller)) { return String(fields[2]) }
    }
    return nil
}

/// Directories `sandbench-<this pid>` the emulators of this process create under each controller.
func ownEmulatorCgroupParents() -> [String] {
    var parents: [String] = []
    for controller in ["memory", "pids"] {
        guard let own = cgroupPath(pid: Int(getpid()), controller: controller) else { continue }
        parents.append("/sys/fs/cgroup/\(controller)\(own == "/" ? "" : own)/sandbench-\(getpid())")
    }
    return parents
}

/// Workaround for the cgroup leak (see `cgroupsAreRemovedWhenTheEmulatorStops`): removes empty
/// per-sandbox cgroups that emulators of this process left behind. A later emulator in this
/// process would otherwise collide with their names (`s1`, `s2`, …) and run its sandboxes with no
/// memory or pids limit. Only empty groups are removed (rmdir fails on populated ones).
func removeLeakedCgroups() {
    for parent in ownEmulatorCgroupParents() {
        let children = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for child in children where child.hasPrefix("s") {
            let procs = (try? String(contentsOfFile: "\(parent)/\(child)/cgroup.procs", encoding: .utf8)) ?? "x"
            if procs.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { rmdir("\(parent)/\(child)") }
        }
    }
}

/// Whether a timestamp is RFC 3339 in UTC with `Z`.
func isRFC3339Z(_ text: String?) -> Bool {
    guard let text else { return false }
    return text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$"#, options: .regularExpression) != nil
}

/// Seconds since the epoch of an RFC 3339 `Z` timestamp (independent of the module under test).
func parseRFC3339Z(_ text: String) -> Double? {
    let parts = text.dropLast().split(separator: ".")
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    guard let base = formatter.date(from: String(parts[0])) else { return nil }
    let fraction = parts.count > 1 ? Double("0." + parts[1]) ?? 0 : 0
    return base.timeIntervalSince1970 + fraction
}

/// Keys of every object in `value` (recursively), for casing checks.
func allKeys(_ value: JSONValue) -> [String] {
    switch value {
    case .object(let o): return o.keys + o.values.flatMap(allKeys)
    case .array(let a): return a.flatMap(allKeys)
    default: return []
    }
}

/// Whether every key is lowerCamelCase (no underscores; `@type` allowed).
func isLowerCamel(_ value: JSONValue) -> Bool {
    allKeys(value).allSatisfy { $0 == "@type" || (!$0.contains("_") && $0.first.map { $0.isLowercase } ?? false) }
}

/// Expects a Google error body with the given HTTP status and canonical status.
func expectGoogleError(
    _ r: HTTPResult, _ http: Int, _ status: String, _ context: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(r.status == http, "\(context): expected HTTP \(http) \(status), got \(r)", sourceLocation: sourceLocation)
    #expect(r.errorStatus == status, "\(context): error.status should be \(status): \(r)", sourceLocation: sourceLocation)
    #expect(r.errorCode == http, "\(context): error.code should be \(http): \(r)", sourceLocation: sourceLocation)
    #expect(!(r.errorMessage ?? "").isEmpty, "\(context): error.message should be present: \(r)", sourceLocation: sourceLocation)
    #expect(
        r.headers["content-type"]?.contains("application/json") == true, "\(context): error content-type: \(r.headers)",
        sourceLocation: sourceLocation)
}

/// The root suite: everything runs serialised (emulators in one process share uids and cgroup names,
/// and the box has two cores).
@Suite(.serialized) enum EmulatorTests {}
