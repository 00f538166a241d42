import Foundation
package import HarnessCassettes
package import HarnessRecorder
package import Logging

extension Orchestrator {
    /// Opens the target as the upstream of a recording proxy, serves until SIGINT/SIGTERM (with
    /// ``Interruption/signals``) or until the task is cancelled, then writes the cassette to `path`.
    ///
    /// The target's credentials (`--access-token`, `$SANDBENCH_ACCESS_TOKEN`, for Vertex the whole
    /// chain) replace the client's `Authorization`; without any, the client's header is forwarded.
    /// - Parameter onReady: called once with the proxy's base URL when it accepts connections.
    /// - Throws: ``RunFailure`` `.configuration` when `path` cannot be written (checked before the
    ///   proxy starts), `.target` when the target or the proxy cannot start, `.report` when the
    ///   cassette cannot be written at the end.
    package func record(
        _ configuration: RecordingConfiguration, to path: String, logger: Logger,
        onReady: @escaping @Sendable (String) -> Void
    ) async throws(RunFailure) -> Cassette {
        try Self.checkWritable(path)
        let shutdownSignals = interruption == .signals
        let kind = target.kind
        let cassette: Cassette
        do {
            cassette = try await target.withConnection(embedded: embedded) { connection in
                let description =
                    switch kind {
                    case .embedded: "emulator"
                    case .url(let url): Self.withoutUserInfo(url)
                    case .vertex: connection.endpoint.baseURL
                    }
                let upstream = Upstream(
                    baseURL: connection.endpoint.baseURL, transport: connection.transport,
                    credentials: connection.credentials, description: description)
                return try await RecordingProxy.serve(
                    configuration: configuration, upstream: upstream, logger: logger,
                    shutdownSignals: shutdownSignals, onReady: onReady)
            }
        } catch let failure as RunFailure {
            throw failure
        } catch {
            throw RunFailure(.target, "the recording proxy stopped: \(error)")
        }
        do {
            try Self.write(cassette, to: path)
        } catch {
            throw RunFailure(.report, "cannot write the cassette to \(path): \(error)")
        }
        return cassette
    }

    /// Writes `cassette` as YAML to `path`, atomically, creating the directory.
    static func write(_ cassette: Cassette, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(try cassette.yaml().utf8).write(to: url, options: .atomic)
    }

    /// Fails now, before anything is recorded, when `path` could not be written at the end.
    static func checkWritable(_ path: String) throws(RunFailure) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw RunFailure(.configuration, "--out \(path) is a directory; give a file name such as \(path)/session.yaml")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunFailure(.configuration, "--out \(path): cannot create its directory: \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: directory.path) else {
            throw RunFailure(.configuration, "--out \(path): the directory \(directory.path) is not writable")
        }
    }

    /// `url` without `user:password@`, which must not reach a cassette.
    static func withoutUserInfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
    }
}
