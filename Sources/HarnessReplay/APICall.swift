import Foundation
import HarnessCassettes
import SandboxAPI

/// What a recorded request did, in the API's terms: the call a replay step can stand for.
enum APICall: Equatable {
    case createEngine
    case getEngine(engine: String)
    case deleteEngine(engine: String, force: Bool)
    case getOperation(operation: String)
    case createSandbox(engine: String)
    case listSandboxes(engine: String)
    case getSandbox(sandbox: String)
    case deleteSandbox(sandbox: String)
    case execute(sandbox: String)
    /// Anything else: sent as a raw request.
    case other

    /// Classifies `exchange` by method and path: `/{version}/` then a resource name, a collection
    /// under one, and an optional custom verb (`:execute`, also written `/:execute`).
    init(_ exchange: Exchange) {
        guard let path = APIPath(exchange.path) else {
            self = .other
            return
        }
        let method = exchange.method.uppercased()
        let resource = path.resource
        switch (method, path.collection, path.verb) {
        case ("POST", "reasoningEngines"?, nil) where resource.engine == nil:
            self = .createEngine
        case ("POST", "sandboxEnvironments"?, nil) where resource.engine != nil && resource.sandbox == nil && resource.operation == nil:
            self = .createSandbox(engine: resource.description)
        case ("GET", "sandboxEnvironments"?, nil) where resource.engine != nil && resource.sandbox == nil && resource.operation == nil:
            self = .listSandboxes(engine: resource.description)
        case ("GET", nil, nil) where resource.operation != nil:
            self = .getOperation(operation: resource.description)
        case ("GET", nil, nil) where resource.engine != nil && resource.sandbox == nil:
            self = .getEngine(engine: resource.description)
        case ("DELETE", nil, nil) where resource.engine != nil && resource.sandbox == nil && resource.operation == nil:
            self = .deleteEngine(engine: resource.description, force: Self.forced(exchange))
        case ("GET", nil, nil) where resource.sandbox != nil && resource.operation == nil:
            self = .getSandbox(sandbox: resource.description)
        case ("DELETE", nil, nil) where resource.sandbox != nil && resource.operation == nil:
            self = .deleteSandbox(sandbox: resource.description)
        case ("POST", nil, "execute"?) where resource.sandbox != nil && resource.operation == nil:
            self = .execute(sandbox: resource.description)
        default:
            self = .other
        }
    }

    /// Whether an engine delete carried `force` (query parameter or JSON body).
    static func forced(_ exchange: Exchange) -> Bool {
        if exchange.query.contains(where: { $0.name == "force" && $0.value.lowercased() == "true" }) { return true }
        if case .json(let body) = exchange.request.body, case .bool(true)? = body["force"] { return true }
        return false
    }
}

/// A request path split into version, resource name, collection and custom verb.
struct APIPath {
    /// `v1beta1`, `v1`, …
    var version: String
    /// The resource the path names, or the parent of ``collection``.
    var resource: ResourceName
    /// `reasoningEngines`, `sandboxEnvironments` or `operations` when the path names a collection.
    var collection: String?
    /// The custom verb after `:`, such as `execute`.
    var verb: String?

    /// Longest path looked at; recorded paths are a few hundred bytes.
    static let maxBytes = 4096

    init?(_ rawPath: String) {
        guard rawPath.utf8.count <= Self.maxBytes, let decoded = rawPath.removingPercentEncoding else { return nil }
        var segments = decoded.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.count >= 2, segments[0].isEmpty, Self.isVersion(segments[1]) else { return nil }
        version = segments[1]
        segments.removeFirst(2)
        if let last = segments.last, let colon = last.firstIndex(of: ":") {
            verb = String(last[last.index(after: colon)...])
            let head = String(last[..<colon])
            segments.removeLast()
            if !head.isEmpty { segments.append(head) }
        }
        if segments.count % 2 == 1, let last = segments.last, ["reasoningEngines", "sandboxEnvironments", "operations"].contains(last) {
            collection = last
            segments.removeLast()
        }
        guard let resource = ResourceName(segments.joined(separator: "/")) else { return nil }
        self.resource = resource
    }

    /// `rawPath` without its leading `/{version}/`, as a scenario's request path relative to the
    /// target's API root; nil when it does not start with a version.
    static func relative(_ rawPath: String) -> String? {
        let segments = rawPath.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard segments.count == 3, segments[0].isEmpty, isVersion(String(segments[1])) else { return nil }
        return String(segments[2])
    }

    /// `v` and a digit: `v1`, `v1beta1`, `v2alpha`.
    static func isVersion(_ segment: String) -> Bool {
        let bytes = Array(segment.utf8)
        return bytes.count >= 2 && bytes[0] == UInt8(ascii: "v") && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[1])
    }
}
