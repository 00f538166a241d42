import Foundation
import SandboxAPI

/// `{sandbox}:snapshot`, the engine's `sandboxEnvironmentSnapshots` get/list/delete, and sandboxes
/// restored from a snapshot. A snapshot holds the sandbox's working-directory files, never its
/// interpreter's memory: a restored sandbox starts a fresh interpreter on the restored files.
extension EmulatorStore {
    /// Where a new sandbox comes from: its code-execution environment (from its spec, else from the
    /// snapshot it restores) and the snapshot to restore, after checking template and snapshot.
    struct SandboxOrigin {
        var environment: CodeExecutionEnvironment?
        var snapshot: String?
    }

    func sandboxOrigin(_ requested: SandboxEnvironment, engine: String) throws(GoogleError) -> SandboxOrigin {
        var origin = SandboxOrigin(environment: requested.codeExecution, snapshot: nil)
        if let template = requested.sandboxEnvironmentTemplate { try checkTemplateRunsHere(template, engine: engine) }
        guard let name = requested.sandboxEnvironmentSnapshot else { return origin }
        guard let parsed = ResourceName(name), parsed.snapshotPath == name else {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at 'sandbox_environment.sandbox_environment_snapshot', "
                    + "\"\(name.prefix(200))\": expected "
                    + "projects/{project}/locations/{location}/reasoningEngines/{engine}/"
                    + "sandboxEnvironmentSnapshots/{id}.")
        }
        guard parsed.enginePath == engine else {
            throw GoogleError(
                .invalidArgument,
                "The snapshot \(name) belongs to another reasoning engine than \(engine); restore it "
                    + "under its own engine.")
        }
        guard let record = snapshotBook[name] else { throw Self.snapshotNotFound(name) }
        guard (record.resource.owner ?? "") == (requested.owner ?? "") else {
            throw GoogleError(
                .failedPrecondition,
                "A Sandbox can only be restored from a snapshot that belongs to the same owner: the "
                    + "snapshot's owner is \"\(record.resource.owner ?? "")\" (empty: the default "
                    + "owner), the request's is \"\(requested.owner ?? "")\".")
        }
        origin.snapshot = name
        if origin.environment == nil {
            origin.environment = CodeExecutionEnvironment(
                codeLanguage: record.language == .javascript ? .javascript : .python,
                machineConfig: record.machine)
        }
        return origin
    }

    /// Places a snapshot's files into a freshly taken worker; destroys the worker if that fails.
    func restore(_ snapshot: String, into process: SandboxProcess) async throws(GoogleError) {
        do throws(GoogleError) {
            guard let directory = snapshotBook[snapshot]?.directory else {
                throw GoogleError(.notFound, "The snapshot \(snapshot) was deleted before the sandbox could be restored from it.")
            }
            let files = try await SnapshotBook.offload { () throws(GoogleError) in try SnapshotBook.read(from: directory) }
            try await process.restoreFiles(files, timeout: configuration.executeTimeout)
        } catch {
            await factory.destroy(process)
            throw error
        }
    }

    /// `POST {sandbox}:snapshot`: copies the sandbox's files into the emulator's state directory and
    /// answers with a finished operation whose response is the new snapshot.
    func snapshotSandbox(_ sandboxName: String, body: JSONValue) async throws(GoogleError) -> LongRunningOperation {
        guard !closed else { throw GoogleError(.unavailable, "The emulator is shutting down.") }
        let requested = try SandboxEnvironmentSnapshot(json: body, strict: true)
        if let source = requested.sourceSandboxEnvironment, !source.isEmpty, source != sandboxName {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at 'sandbox_environment_snapshot.source_sandbox_environment', "
                    + "\"\(source.prefix(200))\": it must be the sandbox in the URL, \(sandboxName).")
        }
        let requestedAt = now()
        let expireAt = try Self.snapshotExpiry(requested, now: requestedAt)
        guard let record = sandboxes[sandboxName] else { throw Self.sandboxNotFound(sandboxName) }
        guard record.resource.state == .running || record.resource.state == .paused, let process = record.process else {
            throw GoogleError(
                .failedPrecondition,
                "The sandbox environment \(sandboxName) is in \(record.resource.state.rawValue); "
                    + "only a running or paused sandbox can be snapshotted.")
        }
        try snapshotBook.checkRoom(for: 0)
        let files = try await process.captureFiles(maxBytes: configuration.maxFileBytes, timeout: configuration.executeTimeout)
        let bytes = files.reduce(0) { $0 + $1.content.count }
        try snapshotBook.checkRoom(for: bytes)
        let id = newID()
        let name = "\(record.engine)/sandboxEnvironmentSnapshots/\(id)"
        let directory = "\(snapshotBook.directory)/\(id)"
        try await SnapshotBook.offload { () throws(GoogleError) in try SnapshotBook.write(files, to: directory) }
        do throws(GoogleError) {
            // Checked again: another snapshot may have taken the room while the files were written.
            try snapshotBook.checkRoom(for: bytes)
            guard engines[record.engine] != nil, !closed else {
                throw GoogleError(.aborted, "The reasoning engine or the emulator went away while the snapshot was taken.")
            }
        } catch {
            await Self.removeDirectory(directory)
            throw error
        }
        // The sandbox may have been deleted meanwhile; the snapshot taken stays valid.
        var source = sandboxes[sandboxName] ?? record
        let time = ProtoTimestamp.format(now())
        // "Empty if this is a root Snapshot (the first snapshot from a newly created sandbox)": later
        // snapshots descend from the sandbox's previous one, or from the snapshot it was restored from.
        let parent = source.resource.latestSandboxEnvironmentSnapshot ?? source.resource.sandboxEnvironmentSnapshot
        let snapshot = SandboxEnvironmentSnapshot(
            name: name, displayName: requested.displayName, sourceSandboxEnvironment: sandboxName,
            parentSnapshot: parent, sizeBytes: Int64(bytes), owner: requested.owner,
            expireTime: ProtoTimestamp.format(expireAt ?? requestedAt + SnapshotBook.defaultTTL),
            createTime: time, updateTime: time)
        seq += 1
        snapshotBook.add(
            SnapshotBook.Record(
                resource: snapshot, engine: record.engine, seq: seq, directory: directory,
                expireAt: expireAt ?? requestedAt + SnapshotBook.defaultTTL, bytes: bytes,
                language: record.language, machine: record.machine))
        if sandboxes[sandboxName] != nil {
            source.resource.latestSandboxEnvironmentSnapshot = name
            source.resource.updateTime = time
            if requested.postSnapshotAction == .pause, source.resource.state == .running {
                source.process?.setStopped(true)
                source.resource.state = .paused
            }
            sandboxes[sandboxName] = source
        }
        var response = snapshot.json.objectValue ?? [:]
        response["@type"] = .string(TypeURL.sandboxEnvironmentSnapshot)
        let op = LongRunningOperation(
            name: "\(sandboxName)/operations/\(newID())", done: true, metadata: metadata(time),
            response: .object(response))
        keep(op)
        return op
    }

    func snapshot(_ name: String) throws(GoogleError) -> SandboxEnvironmentSnapshot {
        guard let record = snapshotBook[name] else { throw Self.snapshotNotFound(name) }
        return record.resource
    }

    /// "If unspecified, at most 100 SandboxEnvironmentSnapshots will be returned. Values above 100 will be coerced to 100."
    func listSnapshots(engine: String, pageSize: Int, pageToken: String?, filter: String?) throws(GoogleError) -> JSONValue {
        guard engines[engine] != nil else { throw Self.engineNotFound(engine) }
        let predicate = try ResourceFilter(filter ?? "", fields: ["displayName", "owner", "sourceSandboxEnvironment", "parentSnapshot"])
        let all = snapshotBook.snapshots(of: engine).filter { predicate.matches($0.resource.json) }
        let (page, next) = try Self.paginate(all, seq: \.seq, pageSize: min(pageSize, 100), pageToken: pageToken)
        var o: [String: JSONValue] = ["sandboxEnvironmentSnapshots": .array(page.map(\.resource.json))]
        if let next { o["nextPageToken"] = .string(next) }
        return .object(o)
    }

    func deleteSnapshot(_ name: String) async throws(GoogleError) -> LongRunningOperation {
        guard let record = snapshotBook.remove(name) else { throw Self.snapshotNotFound(name) }
        await Self.removeDirectory(record.directory)
        let time = ProtoTimestamp.format(now())
        let op = LongRunningOperation(
            name: "\(name)/operations/\(newID())", done: true, metadata: metadata(time),
            response: ["@type": .string(TypeURL.empty)])
        keep(op)
        return op
    }

    /// Deletes every snapshot whose expireTime has passed.
    func reapExpiredSnapshots() async {
        for name in snapshotBook.expired(at: now()) {
            guard let record = snapshotBook.remove(name) else { continue }
            logger.info("sandbox snapshot expired", metadata: ["snapshot": "\(name)"])
            await Self.removeDirectory(record.directory)
        }
    }

    /// An engine with snapshots or templates is not deleted without `force` (§8 #27: they are its children).
    func refuseSnapshotAndTemplateChildren(of engine: String) throws(GoogleError) {
        let snapshots = snapshotBook.snapshots(of: engine).count
        let templates = templateBook.templates(of: engine).count
        guard snapshots + templates == 0 else {
            throw GoogleError(
                .failedPrecondition,
                "The ReasoningEngine \(engine) contains child resources (\(snapshots) sandbox "
                    + "environment snapshots, \(templates) sandbox environment templates). Delete them "
                    + "first or set force=true.")
        }
    }

    func removeSnapshotsAndTemplates(of engine: String) async {
        for record in snapshotBook.snapshots(of: engine) {
            _ = snapshotBook.remove(record.resource.name)
            await Self.removeDirectory(record.directory)
        }
        for record in templateBook.templates(of: engine) { templateBook.remove(record.resource.name) }
    }

    /// The snapshot's expiry from its ttl or expireTime, nil for the 30-day default.
    static func snapshotExpiry(_ requested: SandboxEnvironmentSnapshot, now: Double) throws(GoogleError) -> Double? {
        if let ttl = requested.ttlSeconds {
            guard ttl > 0 else {
                throw GoogleError(
                    .invalidArgument,
                    "Invalid value at 'sandbox_environment_snapshot.ttl': \(ProtoDuration.format(ttl)) "
                        + "must be positive.")
            }
            guard ProtoTimestamp.range.contains(now + ttl) else {
                throw GoogleError(
                    .invalidArgument,
                    "Invalid value at 'sandbox_environment_snapshot.ttl': now + "
                        + "\(ProtoDuration.format(ttl)) is past the year 9999.")
            }
            return now + ttl
        }
        if let text = requested.expireTime, let expire = ProtoTimestamp.parse(text) {
            guard expire > now else {
                throw GoogleError(
                    .invalidArgument,
                    "Invalid value at 'sandbox_environment_snapshot.expire_time': \(text) is not in the "
                        + "future.")
            }
            return expire
        }
        return nil
    }

    static func removeDirectory(_ directory: String) async {
        _ = try? await SnapshotBook.offload { () throws(GoogleError) in try? FileManager.default.removeItem(atPath: directory) }
    }

    static func snapshotNotFound(_ name: String) -> GoogleError {
        GoogleError(.notFound, "SandboxEnvironmentSnapshot \(name) not found.")
    }
}
