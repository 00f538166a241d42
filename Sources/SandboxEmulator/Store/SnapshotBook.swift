import Foundation
import NIOPosix
import SandboxAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The snapshots the emulator holds: their resources in memory, their files on disk under
/// `{state}/snapshots/{id}/` (a manifest of names and one blob per file), within a storage budget.
///
/// A snapshot holds the source sandbox's working-directory files only, not its interpreter's
/// memory (docs/emulator-fidelity.md says why). Kept inside ``EmulatorStore``, whose actor
/// serialises every change; file work runs on NIO's blocking pool.
struct SnapshotBook {
    struct Record {
        var resource: SandboxEnvironmentSnapshot
        var engine: String
        var seq: Int
        var directory: String
        var expireAt: Double
        var bytes: Int
        /// The source sandbox's language and machine: a restore without a spec runs the same.
        var language: SandboxLanguage
        var machine: MachineConfig
    }

    /// "If not set, the SandboxEnvironmentSnapshot will have a default TTL of 30 days."
    static let defaultTTL: Double = 30 * 86_400
    /// Snapshots kept at once.
    static let maxSnapshots = 1000

    let directory: String
    /// Bytes of snapshot data all snapshots together may hold.
    let maxStorageBytes: Int
    private(set) var records: [String: Record] = [:]
    private(set) var storedBytes = 0

    init(directory: String, maxStorageBytes: Int) {
        self.directory = directory
        self.maxStorageBytes = maxStorageBytes
    }

    subscript(name: String) -> Record? { records[name] }

    /// RESOURCE_EXHAUSTED when `bytes` more would not fit the count or storage budget.
    func checkRoom(for bytes: Int) throws(GoogleError) {
        guard records.count < Self.maxSnapshots else {
            throw GoogleError(
                .resourceExhausted,
                "Quota exceeded: at most \(Self.maxSnapshots) sandbox environment snapshots may exist "
                    + "at once in this emulator; delete some first.")
        }
        guard bytes <= maxStorageBytes - storedBytes else {
            throw GoogleError(
                .resourceExhausted,
                "Quota exceeded: the snapshot needs \(bytes) bytes and "
                    + "\(maxStorageBytes - storedBytes) of the emulator's \(maxStorageBytes) bytes of "
                    + "snapshot storage are free; delete some snapshots first.")
        }
    }

    mutating func add(_ record: Record) {
        records[record.resource.name] = record
        storedBytes += record.bytes
    }

    /// Forgets a snapshot; returns its record so its directory can be removed.
    mutating func remove(_ name: String) -> Record? {
        guard let record = records.removeValue(forKey: name) else { return nil }
        storedBytes -= record.bytes
        return record
    }

    /// Snapshots of `engine`, oldest first.
    func snapshots(of engine: String) -> [Record] {
        records.values.filter { $0.engine == engine }.sorted { $0.seq < $1.seq }
    }

    /// Names of snapshots whose expiry has passed at `now`.
    func expired(at now: Double) -> [String] {
        records.filter { $0.value.expireAt <= now }.map(\.key)
    }

    // MARK: Files on disk (called on the blocking pool)

    /// Writes `files` below `directory` as one data file (the contents back to back) and a manifest
    /// of names and sizes: two files per snapshot, however many the sandbox held. Removes what it
    /// wrote on failure.
    static func write(_ files: [SandboxFile], to directory: String) throws(GoogleError) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let fd = open(directory + "/data", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw GoogleError(
                    .internal,
                    "cannot write snapshot data to \(directory): "
                        + "\(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            for file in files {
                let written = file.content.withUnsafeBytes { raw -> Bool in
                    var offset = 0
                    while offset < raw.count, let base = raw.baseAddress {
                        let n = Glibc.write(fd, base + offset, raw.count - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            return false
                        }
                        offset += n
                    }
                    return true
                }
                guard written else {
                    throw GoogleError(
                        .internal,
                        "cannot write snapshot data to \(directory): "
                            + "\(String(cString: strerror(errno)))")
                }
            }
            let manifest: JSONValue = ["files": .array(files.map { ["name": .string($0.name), "size": .number(Double($0.content.count))] })]
            guard manager.createFile(atPath: directory + "/manifest.json", contents: Data(manifest.serialized())) else {
                throw GoogleError(.internal, "cannot write the snapshot manifest in \(directory)")
            }
        } catch {
            try? manager.removeItem(atPath: directory)
            if let error = error as? GoogleError { throw error }
            throw GoogleError(.internal, "cannot store the snapshot: \(error)")
        }
    }

    /// Reads the files written by ``write(_:to:)``.
    static func read(from directory: String) throws(GoogleError) -> [SandboxFile] {
        guard let data = FileManager.default.contents(atPath: directory + "/manifest.json"),
            let manifest = try? JSONValue.parse(Array(data)), let entries = manifest["files"]?.arrayValue,
            let blob = FileManager.default.contents(atPath: directory + "/data")
        else {
            throw GoogleError(.dataLoss, "The snapshot's data in \(directory) is missing or unreadable.")
        }
        var files: [SandboxFile] = []
        var offset = 0
        for entry in entries {
            guard let name = entry["name"]?.stringValue, Workdir.validate(name) == nil,
                let size = entry["size"]?.numberValue.flatMap({ Int(exactly: $0) }), size >= 0, size <= blob.count - offset
            else {
                throw GoogleError(.dataLoss, "The snapshot's data in \(directory) is incomplete.")
            }
            let start = blob.startIndex + offset
            files.append(SandboxFile(name: name, content: [UInt8](blob[start..<(start + size)])))
            offset += size
        }
        return files
    }

    /// Runs `work` on NIO's blocking pool, never on the cooperative pool.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws(GoogleError) -> T) async throws(GoogleError) -> T {
        let result: Result<T, GoogleError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { () -> Result<T, GoogleError> in
                do throws(GoogleError) { return .success(try work()) } catch { return .failure(error) }
            }
        } catch {
            throw GoogleError(.unavailable, "The emulator is shutting down.")
        }
        return try result.get()
    }
}

/// The AIP-160 subset snapshots and templates are listed by: `field = value` / `field != value`
/// terms joined by `AND` over the fields each collection names (either spelling), as sandboxes are.
struct ResourceFilter {
    var terms: [SandboxFilter.Term] = []

    init(_ text: String, fields: Set<String>) throws(GoogleError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        for clause in SandboxFilter.splitAnd(trimmed) {
            let (field, negated, raw) = try SandboxFilter.parseTerm(clause)
            let canonical = FieldName.camel(field)
            guard fields.contains(canonical) else {
                throw GoogleError(
                    .invalidArgument,
                    "Unsupported filter field \"\(field.prefix(100))\": filter by "
                        + "\(fields.sorted().map(FieldName.snake).joined(separator: ", ")).")
            }
            var value = raw.trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
            terms.append(SandboxFilter.Term(field: canonical, negated: negated, value: value))
        }
    }

    /// Whether a resource, given as its JSON form, passes every term (a missing field reads as "").
    func matches(_ resource: JSONValue) -> Bool {
        terms.allSatisfy { term in
            let actual = resource[term.field]?.stringValue ?? ""
            return (actual == term.value) != term.negated
        }
    }
}
