import Foundation
import Logging
import SandboxAPI

/// All emulated resources: agent engines, sandboxes and operations, with the sandboxes' live workers.
///
/// Every mutation goes through this actor; executes only look their sandbox up here and run outside it.
actor EmulatorStore {
    struct EngineRecord {
        var resource: ReasoningEngine
        var seq: Int
        var sandboxes: Set<String> = []
    }

    struct SandboxRecord {
        var resource: SandboxEnvironment
        var engine: String
        var seq: Int
        var process: SandboxProcess?
        var expireAt: Double?
        /// The sandbox's time to live: each execute moves `expireAt` to now + this.
        var ttl: Double?
        var language: SandboxLanguage
        var machine: MachineConfig
        /// The snapshot whose files are placed into the sandbox when it is provisioned.
        var restoreFrom: String?
    }

    var engines: [String: EngineRecord] = [:]
    var sandboxes: [String: SandboxRecord] = [:]
    var operations: [String: LongRunningOperation] = [:]
    var operationOrder: [String] = []
    /// Pause, resume and delete in progress, operation sequence numbers and waiters (EmulatorStore+Lifecycle.swift, +Operations.swift).
    var lifecycle = LifecycleBook()
    var provisioning: [String: Task<Void, Never>] = [:]
    var seq = 0
    private var nextID: UInt64
    let pool: WarmPool
    let factory: SandboxFactory
    let configuration: EmulatorConfiguration
    let logger: Logger
    var closed = false
    /// Snapshots and their files (EmulatorStore+Snapshots.swift).
    var snapshotBook: SnapshotBook
    /// Sandbox templates (EmulatorStore+Templates.swift).
    var templateBook = TemplateBook()
    /// Workers lent to stateless executes (EmulatorStore+Stateless.swift), destroyed at shutdown if still out.
    var throwaways: [ObjectIdentifier: SandboxProcess] = [:]

    /// Engines that may exist at once: each one is kept, and listed, until it is deleted.
    static let maxEngines = 10_000

    /// Longest time to live of a sandbox: 14 days, as documented.
    static let maxTTL: Double = 14 * 86_400

    init(pool: WarmPool, factory: SandboxFactory, configuration: EmulatorConfiguration, logger: Logger) {
        self.pool = pool
        self.factory = factory
        self.configuration = configuration
        self.logger = logger
        snapshotBook = SnapshotBook(
            directory: factory.stateDirectory + "/snapshots", maxStorageBytes: configuration.maxSnapshotStorageBytes)
        nextID = UInt64.random(in: 1_000_000_000...8_000_000_000) * 1000
    }

    func newID() -> String {
        nextID += UInt64.random(in: 1...997)
        return String(nextID)
    }

    func now() -> Double { Date().timeIntervalSince1970 }

    func metadata(_ time: String) -> JSONValue {
        ["@type": .string(TypeURL.genericMetadata), "genericMetadata": ["createTime": .string(time), "updateTime": .string(time)]]
    }

    // MARK: Engines

    func createEngine(location: ResourceName, body: JSONValue) throws(GoogleError) -> LongRunningOperation {
        let requested = try ReasoningEngine(json: body, strict: true)
        guard engines.count < Self.maxEngines else {
            throw GoogleError(
                .resourceExhausted, "Quota exceeded: at most \(Self.maxEngines) reasoning engines may exist at once in this emulator.")
        }
        let time = ProtoTimestamp.format(now())
        let name = "\(location.locationPath)/reasoningEngines/\(newID())"
        seq += 1
        let engine = ReasoningEngine(
            name: name, displayName: requested.displayName, description: requested.description,
            createTime: time, updateTime: time)
        engines[name] = EngineRecord(resource: engine, seq: seq)
        var response = engine.json.objectValue!
        response["@type"] = .string(TypeURL.reasoningEngine)
        let op = LongRunningOperation(
            name: "\(name)/operations/\(newID())", done: true, metadata: metadata(time), response: .object(response))
        keep(op)
        return op
    }

    func engine(_ name: String) throws(GoogleError) -> ReasoningEngine {
        guard let record = engines[name] else { throw Self.engineNotFound(name) }
        return record.resource
    }

    func listEngines(location: ResourceName, pageSize: Int, pageToken: String?) throws(GoogleError) -> JSONValue {
        let prefix = location.locationPath + "/"
        let all = engines.values.filter { $0.resource.name.hasPrefix(prefix) }.sorted { $0.seq < $1.seq }
        let (page, next) = try Self.paginate(all, seq: \.seq, pageSize: pageSize, pageToken: pageToken)
        var o: [String: JSONValue] = ["reasoningEngines": .array(page.map(\.resource.json))]
        if let next { o["nextPageToken"] = .string(next) }
        return .object(o)
    }

    func deleteEngine(_ name: String, force: Bool) async throws(GoogleError) -> LongRunningOperation {
        guard let record = engines[name] else { throw Self.engineNotFound(name) }
        if !force { try refuseSnapshotAndTemplateChildren(of: name) }
        if !record.sandboxes.isEmpty, !force {
            throw GoogleError(
                .failedPrecondition,
                "The ReasoningEngine \(name) contains child resources (\(record.sandboxes.count) sandbox environments). "
                    + "Delete them first or set force=true."
            )
        }
        engines.removeValue(forKey: name)
        for child in record.sandboxes { await removeSandbox(child) }
        await removeSnapshotsAndTemplates(of: name)
        return finishedDeletion(name)
    }

    private func finishedDeletion(_ name: String) -> LongRunningOperation {
        let time = ProtoTimestamp.format(now())
        let op = LongRunningOperation(
            name: "\(name)/operations/\(newID())", done: true, metadata: metadata(time),
            response: ["@type": .string(TypeURL.empty)])
        keep(op)
        return op
    }

    // MARK: Sandboxes

    func createSandbox(engine engineName: String, body: JSONValue) async throws(GoogleError) -> LongRunningOperation {
        guard !closed else { throw GoogleError(.unavailable, "The emulator is shutting down.") }
        guard engines[engineName] != nil else { throw Self.engineNotFound(engineName) }
        var requested = try SandboxEnvironment(json: body, strict: true)
        let origin = try sandboxOrigin(requested, engine: engineName)
        guard let env = origin.environment else {
            throw GoogleError(
                .invalidArgument, "spec.code_execution_environment is required: this emulator runs code-execution sandboxes only.")
        }
        requested.codeExecution = env
        requested.latestSandboxEnvironmentSnapshot = nil
        guard sandboxes.count < configuration.maxSandboxes else {
            throw GoogleError(
                .resourceExhausted,
                "Quota exceeded: at most \(configuration.maxSandboxes) sandbox environments may exist at once in this emulator.")
        }
        let created = now()
        if let ttl = requested.ttlSeconds, ttl > Self.maxTTL {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at 'sandbox_environment.ttl': \(ProtoDuration.format(ttl)) is over the 14-day maximum (1209600s).")
        }
        if requested.ttlSeconds == nil, let expire = requested.expireTime.flatMap(ProtoTimestamp.parse), expire - created > Self.maxTTL {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at 'sandbox_environment.expire_time': \(requested.expireTime ?? "") is more than 14 days from now.")
        }
        let time = ProtoTimestamp.format(created)
        let name = "\(engineName)/sandboxEnvironments/\(newID())"
        seq += 1
        requested.name = name
        requested.state = .provisioning
        requested.createTime = time
        requested.updateTime = time
        let expireAt = requested.ttlSeconds.map { created + $0 } ?? requested.expireTime.flatMap(ProtoTimestamp.parse)
        // Given as expireTime, the time to live is what was left of it at create.
        let ttl = requested.ttlSeconds ?? expireAt.map { max(0, $0 - created) }
        requested.expireTime = expireAt.map(ProtoTimestamp.format) ?? SandboxEnvironment.neverExpires
        requested.ttlSeconds = nil
        let language: SandboxLanguage = env.effectiveLanguage == .javascript ? .javascript : .python
        sandboxes[name] = SandboxRecord(
            resource: requested, engine: engineName, seq: seq, process: nil, expireAt: expireAt, ttl: ttl,
            language: language, machine: env.machineConfig, restoreFrom: origin.snapshot)
        engines[engineName]?.sandboxes.insert(name)
        let opName = "\(name)/operations/\(newID())"
        keep(LongRunningOperation(name: opName, done: false, metadata: metadata(time)))
        if await pool.hasReady(language) {
            await provision(name, operation: opName)
        } else {
            // No warm worker: start one, and give it a short while to be ready before answering, so
            // that a create usually returns a finished operation instead of sending the client polling.
            // (A task group racing `task.value` against a sleep would wait for both: a task's value cannot be cancelled.)
            provisioning[opName] = Task { await self.provision(name, operation: opName) }
            if configuration.provisioningWait > .zero { _ = try? await waitForOperation(opName, timeout: configuration.provisioningWait) }
        }
        return operations[opName] ?? LongRunningOperation(name: opName, done: false, metadata: metadata(time))
    }

    private func provision(_ name: String, operation opName: String) async {
        defer { provisioning.removeValue(forKey: opName) }
        guard let language = sandboxes[name]?.language else { return }
        let restoreFrom = sandboxes[name]?.restoreFrom
        let time = ProtoTimestamp.format(now())
        do {
            let process = try await pool.take(language)
            if let restoreFrom { try await restore(restoreFrom, into: process) }
            guard var record = sandboxes[name], record.resource.state == .provisioning, !closed else {
                await factory.destroy(process)
                keep(
                    LongRunningOperation(
                        name: opName, done: true, metadata: metadata(time),
                        error: RPCStatus(.aborted, "The sandbox was deleted while it was being provisioned.")))
                return
            }
            process.apply(record.machine)
            record.process = process
            record.resource.state = .running
            record.resource.updateTime = ProtoTimestamp.format(now())
            sandboxes[name] = record
            var response = record.resource.json.objectValue!
            response["@type"] = .string(TypeURL.sandboxEnvironment)
            keep(LongRunningOperation(name: opName, done: true, metadata: metadata(time), response: .object(response)))
        } catch {
            logger.error("provisioning \(name) failed: \(error)")
            if let record = sandboxes.removeValue(forKey: name) { engines[record.engine]?.sandboxes.remove(name) }
            keep(
                LongRunningOperation(
                    name: opName, done: true, metadata: metadata(time), error: RPCStatus(.internal, "Provisioning failed: \(error)")))
        }
    }

    func sandbox(_ name: String) throws(GoogleError) -> SandboxEnvironment {
        guard let record = sandboxes[name] else { throw Self.sandboxNotFound(name) }
        return record.resource
    }

    func listSandboxes(engine engineName: String, pageSize: Int, pageToken: String?, filter: String?) throws(GoogleError) -> SandboxPage {
        guard let engine = engines[engineName] else { throw Self.engineNotFound(engineName) }
        let predicate = try SandboxFilter(filter ?? "")
        let all = engine.sandboxes.compactMap { sandboxes[$0] }.filter { predicate.matches($0.resource) }.sorted { $0.seq < $1.seq }
        let (page, next) = try Self.paginate(all, seq: \.seq, pageSize: pageSize, pageToken: pageToken)
        return SandboxPage(sandboxes: page.map(\.resource), nextPageToken: next)
    }

    func removeSandbox(_ name: String) async {
        guard let record = sandboxes.removeValue(forKey: name) else { return }
        engines[record.engine]?.sandboxes.remove(name)
        if let process = record.process { await factory.destroy(process) }
    }

    /// The worker to run an execute on; the sandbox must be running.
    func executionTarget(_ name: String) throws(GoogleError) -> SandboxProcess {
        guard let record = sandboxes[name] else { throw Self.sandboxNotFound(name) }
        guard record.resource.state == .running, let process = record.process else {
            throw GoogleError(
                .failedPrecondition,
                "The sandbox environment \(name) is in \(record.resource.state.rawValue), not STATE_RUNNING; "
                    + "code can only run in a running sandbox.",
                reason: "SANDBOX_NOT_RUNNING")
        }
        return process
    }

    /// "execute_code resets the sandbox's time to live (TTL)": expireTime becomes now + TTL. Called
    /// when an execute starts and when it ends, so that a long run does not expire under its code.
    func resetTTL(_ name: String) {
        guard var record = sandboxes[name], let ttl = record.ttl else { return }
        let expireAt = now() + ttl
        record.expireAt = expireAt
        record.resource.expireTime = ProtoTimestamp.format(expireAt)
        sandboxes[name] = record
    }

    /// Marks a sandbox whose worker died as terminated and frees its processes.
    func markTerminated(_ name: String) async {
        guard var record = sandboxes[name], let process = record.process else { return }
        record.resource.state = .terminated
        record.resource.updateTime = ProtoTimestamp.format(now())
        record.process = nil
        sandboxes[name] = record
        await factory.destroy(process)
    }

    // MARK: Operations, expiry, shutdown

    /// Deletes every sandbox whose expireTime has passed; returns their names.
    @discardableResult
    func reapExpired() async -> [String] {
        // A worker that died between executes is noticed here, not only at the next execute.
        let ended = sandboxes.filter { $0.value.process?.endedWhileIdle ?? false }.map(\.key)
        for name in ended {
            logger.warning("sandbox worker ended between executes", metadata: ["sandbox": "\(name)"])
            await markTerminated(name)
        }
        let t = now()
        let expired = sandboxes.filter { ($0.value.expireAt ?? .infinity) <= t && $0.value.resource.state != .deprovisioning }.map(\.key)
        for name in expired {
            logger.info("sandbox expired", metadata: ["sandbox": "\(name)"])
            _ = startDeletion(name)
        }
        await reapExpiredSnapshots()
        return expired
    }

    /// Number of live sandboxes (for health and tests).
    var sandboxCount: Int { sandboxes.count }

    /// Destroys every sandbox; further creates are refused.
    func shutdown() async {
        closed = true
        for task in provisioning.values { await task.value }
        for transition in lifecycle.transitions.values { await transition.task.value }
        for name in Array(sandboxes.keys) { await removeSandbox(name) }
        await discardThrowaways()
    }

    // MARK: Helpers

    static func engineNotFound(_ name: String) -> GoogleError {
        GoogleError(.notFound, "The ReasoningEngine does not exist: \(name).")
    }

    static func sandboxNotFound(_ name: String) -> GoogleError {
        GoogleError(.notFound, "SandboxEnvironment \(name) not found.")
    }

    /// One page of `items` (sorted by `seq`) after the position in `pageToken`.
    static func paginate<T>(_ items: [T], seq: KeyPath<T, Int>, pageSize: Int, pageToken: String?) throws(GoogleError) -> ([T], String?) {
        guard pageSize >= 0 else { throw GoogleError(.invalidArgument, "pageSize must not be negative.") }
        let size = pageSize == 0 ? 100 : min(pageSize, 1000)
        var after = Int.min
        if let pageToken, !pageToken.isEmpty {
            guard let bytes = Base64.decode(pageToken), let text = String(bytes: bytes, encoding: .utf8),
                text.hasPrefix("after:"), let n = Int(text.dropFirst(6))
            else {
                throw GoogleError(
                    .invalidArgument, "Invalid pageToken \"\(pageToken)\": pass back a nextPageToken from a previous list call.")
            }
            after = n
        }
        let rest = items.filter { $0[keyPath: seq] > after }
        let page = Array(rest.prefix(size))
        guard rest.count > size, let last = page.last else { return (page, nil) }
        return (page, Base64.encode(Array("after:\(last[keyPath: seq])".utf8)))
    }
}
