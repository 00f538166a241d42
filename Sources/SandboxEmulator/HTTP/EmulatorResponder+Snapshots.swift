import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import SandboxAPI

/// Routes of the API surface beyond the sandbox basics: `{sandbox}:snapshot`, the engine's
/// `sandboxEnvironmentSnapshots` and `sandboxEnvironmentTemplates`, and `{engine}:executeCode`.
/// Template `patch` exists in v1beta1 only, as in the discovery documents.
extension EmulatorResponder {
    static let snapshotCollection = "/sandboxEnvironmentSnapshots"
    static let templateCollection = "/sandboxEnvironmentTemplates"

    /// The answer for one of these routes, or nil when the path is not one of them (operations included).
    func routeSnapshotsTemplatesAndStateless(
        method: HTTPRequest.Method, verb: String?, resource: String,
        query: FlatDictionary<Substring, Substring>, payload: ByteBuffer,
        beta: Bool
    ) async throws -> Response? {
        let described = resource + (verb.map { ":" + $0 } ?? "")
        for collection in [Self.snapshotCollection, Self.templateCollection] where verb == nil && resource.hasSuffix(collection) {
            guard let parent = ResourceName(String(resource.dropLast(collection.count))), let engine = parent.enginePath,
                parent.sandbox == nil, parent.snapshot == nil, parent.template == nil, parent.operation == nil
            else { return nil }
            let pageToken = query["pageToken"].map(String.init)
            let filter = query["filter"].map(String.init)
            switch (collection, method) {
            case (Self.snapshotCollection, .get):
                let size = try pageSize(query)
                return Self.json(try await store.listSnapshots(engine: engine, pageSize: size, pageToken: pageToken, filter: filter))
            case (Self.snapshotCollection, .post):
                throw GoogleError(
                    .notFound,
                    "Requested entity was not found: sandboxEnvironmentSnapshots has no create method; take a "
                        + "snapshot with POST {sandbox}:snapshot.")
            case (_, .get):
                let size = try pageSize(query)
                return Self.json(try await store.listTemplates(engine: engine, pageSize: size, pageToken: pageToken, filter: filter))
            case (_, .post):
                return Self.json(try await store.createTemplate(engine: engine, body: try body(payload), beta: beta).json)
            default:
                throw methodNotAllowed(method, described)
            }
        }
        guard let name = ResourceName(resource), name.operation == nil else { return nil }
        if let snapshot = name.snapshotPath {
            switch (method, verb) {
            case (.get, nil): return Self.json(try await store.snapshot(snapshot).json)
            case (.delete, nil): return Self.json(try await store.deleteSnapshot(snapshot).json)
            default: throw methodNotAllowed(method, described)
            }
        }
        if let template = name.templatePath {
            switch (method, verb) {
            case (.get, nil): return Self.json(try await store.template(template).json)
            case (.delete, nil): return Self.json(try await store.deleteTemplate(template).json)
            case (.patch, nil) where beta:
                let mask = (query["updateMask"] ?? query["update_mask"]).map(String.init)
                return Self.json(try await store.patchTemplate(template, body: try body(payload), updateMask: mask).json)
            default: throw methodNotAllowed(method, described)
            }
        }
        if let sandbox = name.sandboxPath, verb == "snapshot" {
            guard method == .post else { throw methodNotAllowed(method, described) }
            return Self.json(try await store.snapshotSandbox(sandbox, body: try body(payload)).json)
        }
        if name.sandbox == nil, let engine = name.enginePath, verb == "executeCode" {
            guard method == .post else { throw methodNotAllowed(method, described) }
            return try await executeStatelessly(engine: engine, payload: payload)
        }
        return nil
    }

    /// `POST {engine}:executeCode`: the chunks run as Python (the method has no language field) in a
    /// fresh worker that no sandbox resource names and that is destroyed afterwards, whatever happens.
    private func executeStatelessly(engine: String, payload: ByteBuffer) async throws -> Response {
        let (code, files) = try executeInputs(payload)
        let process = try await store.takeThrowaway(engine: engine)
        let outcome: ExecutionOutcome
        do {
            outcome = try await process.execute(code: code, files: files, settings: executionSettings, logger: logger)
        } catch {
            await store.discardThrowaway(process)
            throw error
        }
        await store.discardThrowaway(process)
        return Self.json(ExecuteResponse(stdout: outcome.stdout, stderr: outcome.stderr, files: outcome.files).json)
    }
}
