import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import SandboxAPI

/// The API version a request came in under: the discovery documents differ in a few methods.
enum APIVersion: Sendable {
    case v1, v1beta1

    init(path: String) { self = path.hasPrefix("/v1/") ? .v1 : .v1beta1 }
}

// Routes beyond create/get/list/delete/execute: operations of any parent, the location-less
// aliases, and the sandbox methods the emulator answers without running anything.
extension EmulatorResponder {
    /// Where the location-less alias `reasoningEngines` (API-key mode) creates and lists engines.
    /// An alias with an engine id (`reasoningEngines/{id}/…`) reaches that engine in whatever
    /// project and location it lives: ids are unique across the emulator.
    static let aliasLocation = ResourceName(project: "default", location: "global")

    /// `reasoningEngines/{id}/…` (v1beta1's alias for every method) as the full resource path.
    func resolvingAlias(_ resource: String, version: APIVersion) async throws(GoogleError) -> String {
        guard resource == "reasoningEngines" || resource.hasPrefix("reasoningEngines/") else { return resource }
        guard version == .v1beta1 else {
            throw GoogleError(
                .notFound,
                "The requested URL /v1/\(resource) was not found: "
                    + "the location-less reasoningEngines/… paths are v1beta1 only.",
                reason: "METHOD_NOT_FOUND")
        }
        let parts = resource.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        let collection = Self.aliasLocation.locationPath + "/reasoningEngines"
        guard parts.count > 1 else { return collection }
        guard let engine = await store.enginePath(id: String(parts[1])) else {
            throw EmulatorStore.engineNotFound(resource.split(separator: "/").prefix(2).joined(separator: "/"))
        }
        return engine + (parts.count > 2 ? "/" + parts[2] : "")
    }

    /// Where `resource` is an operation (`X/operations/{op}`) or a list of them (`X/operations`)
    /// below an engine, the answer; nil for every other path.
    func operationsRoute(
        _ resource: String, verb: String?, method: HTTPRequest.Method,
        query: FlatDictionary<Substring, Substring>, version: APIVersion
    ) async throws -> Response? {
        let parts = resource.split(separator: "/", omittingEmptySubsequences: false)
        func isParent(_ p: ArraySlice<Substring>) -> Bool {
            p.count >= 6 && p.count % 2 == 0 && p[p.startIndex] == "projects" && p[p.startIndex + 2] == "locations"
                && p[p.startIndex + 4] == "reasoningEngines" && p.allSatisfy { !$0.isEmpty }
        }
        if parts.count >= 8, parts[parts.count - 2] == "operations", !parts[parts.count - 1].isEmpty, isParent(parts.dropLast(2)) {
            switch (method, verb) {
            case (.get, nil): return Self.json(try await store.operation(resource).json)
            case (.delete, nil):
                try await store.deleteOperation(resource)
                return Self.json([:])
            case (.post, "wait"): return Self.json(try await store.waitForOperation(resource, timeout: try Self.waitTimeout(query)).json)
            case (.post, "cancel"):
                try await store.cancelOperation(resource)
                return Self.json([:])
            default: throw methodNotAllowed(method, resource + (verb.map { ":" + $0 } ?? ""))
            }
        }
        if parts.count >= 7, parts[parts.count - 1] == "operations", isParent(parts.dropLast()) {
            guard method == .get, verb == nil else { throw methodNotAllowed(method, resource + (verb.map { ":" + $0 } ?? "")) }
            guard version == .v1beta1 else {
                throw GoogleError(
                    .notFound, "The requested URL /v1/\(resource) was not found: operations.list is a v1beta1 method.",
                    reason: "METHOD_NOT_FOUND")
            }
            if let partial = query["returnPartialSuccess"] ?? query["return_partial_success"], partial == "true" || partial == "1" {
                throw GoogleError(
                    .unimplemented, "returnPartialSuccess is not supported when listing operations.", reason: "METHOD_NOT_IMPLEMENTED")
            }
            let parent = parts.dropLast().joined(separator: "/")
            return Self.json(
                try await store.listOperations(
                    parent: parent, filter: query["filter"].map(String.init) ?? "",
                    pageSize: try pageSize(query), pageToken: query["pageToken"].map(String.init)))
        }
        return nil
    }

    /// `timeout` of `:wait` (a Duration such as `"10s"`), held to ``EmulatorStore/maxOperationWait``;
    /// absent, the longest wait.
    static func waitTimeout(_ query: FlatDictionary<Substring, Substring>) throws(GoogleError) -> Duration {
        guard let raw = query["timeout"] else { return EmulatorStore.maxOperationWait }
        let text = String(raw).removingPercentEncoding ?? String(raw)
        guard let seconds = ProtoDuration.parse(text), seconds.isFinite, seconds >= 0 else {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at 'timeout' (google.protobuf.Duration), \"\(text.prefix(64))\": expected a duration such as \"10s\".")
        }
        let limit = Double(EmulatorStore.maxOperationWait.components.seconds)
        return .nanoseconds(Int64((min(seconds, limit) * 1e9).rounded()))
    }

    /// Sandbox methods with nothing to run: `:authorizeAccess` (a no-op whose success is the answer)
    /// and `:bidiExecute` (v1beta1 only; a stream the emulator does not serve). Any other verb is not found.
    func otherSandboxMethod(_ method: HTTPRequest.Method, verb: String?, sandbox: String, version: APIVersion) async throws -> Response {
        switch (method, verb) {
        case (.post, "authorizeAccess"):
            _ = try await store.sandbox(sandbox)
            return Self.json([:])
        case (.post, "bidiExecute") where version == .v1beta1:
            _ = try await store.sandbox(sandbox)
            throw GoogleError(
                .unimplemented, "sandboxEnvironments.bidiExecute is not implemented by this emulator; use :execute.",
                reason: "METHOD_NOT_IMPLEMENTED")
        default: throw methodNotAllowed(method, sandbox + (verb.map { ":" + $0 } ?? ""))
        }
    }

    /// Refuses what a create asks for that the emulator cannot run: shell and computer-use
    /// environments (UNIMPLEMENTED; computer use is not a v1 field at all), and more than one
    /// environment at once (the spec's oneof).
    static func refuseUnsupportedEnvironments(_ body: JSONValue, version: APIVersion) throws(GoogleError) {
        guard let spec = field(body, "spec")?.objectValue else { return }
        let present = ["codeExecutionEnvironment", "shellEnvironment", "computerUseEnvironment"].filter { name in
            if case .null? = field(.object(spec), name) { return false }
            return field(.object(spec), name) != nil
        }
        if present.contains("computerUseEnvironment"), version == .v1 {
            throw GoogleError(
                .invalidArgument,
                "Invalid JSON payload received. Unknown name \"computerUseEnvironment\" at 'sandbox_environment.spec': Cannot find field.")
        }
        if present.count > 1 {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at 'sandbox_environment.spec': \(present.joined(separator: " and ")) are one field "
                    + "(oneof 'sandbox_environment_category'); give one of them."
            )
        }
        if let env = present.first, env != "codeExecutionEnvironment" {
            throw GoogleError(
                .unimplemented, "spec.\(env) is not implemented by this emulator: it runs code-execution sandboxes only.",
                reason: "ENVIRONMENT_NOT_IMPLEMENTED")
        }
    }

    /// A field of `object` by its lowerCamelCase name or its snake_case spelling.
    private static func field(_ object: JSONValue, _ camel: String) -> JSONValue? {
        object[camel] ?? object[FieldName.snake(camel)]
    }
}
