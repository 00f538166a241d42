import Foundation
package import SandboxAPI
import Synchronization

/// The sandbox API answered correctly by a ``LoopbackServer``, except where a test makes one route
/// hostile: then that route's answer is whatever bytes the test chooses.
///
/// ```swift
/// let api = FakeSandboxAPI { route, _ in route == .execute ? .raw(junk) : nil }
/// try await LoopbackServer.with(api.respond) { server in … }
/// ```
package final class FakeSandboxAPI: Sendable {
    /// Which API call a request is.
    package enum Route: String, Sendable, CaseIterable {
        case createEngine, createSandbox, pollOperation, getSandbox, execute, list, deleteSandbox, deleteEngine, other
    }

    package static let engine = "projects/p/locations/l/reasoningEngines/1"

    private struct State {
        var alive: Set<String> = []
        var nextID = 1
        var hits: [Route: Int] = [:]
    }

    private let state = Mutex(State())
    private let hostile: @Sendable (Route, LoopbackServer.Request) -> LoopbackServer.Reply?
    /// What a correct execute prints to stdout.
    package let stdout: String

    /// - Parameters:
    ///   - stdout: the `msg_out` of every correct execute answer.
    ///   - hostile: the answer for a route, or nil to answer it correctly.
    package init(
        stdout: String = "hi\n", hostile: @escaping @Sendable (Route, LoopbackServer.Request) -> LoopbackServer.Reply? = { _, _ in nil }
    ) {
        self.stdout = stdout
        self.hostile = hostile
    }

    /// Sandboxes created and not deleted.
    package var alive: Set<String> { state.withLock { $0.alive } }

    /// How often each route was called.
    package func hits(_ route: Route) -> Int { state.withLock { $0.hits[route] ?? 0 } }

    /// The server's reply function.
    package var respond: @Sendable (LoopbackServer.Request) -> LoopbackServer.Reply {
        { [self] request in
            let route = Self.route(request)
            state.withLock { $0.hits[route, default: 0] += 1 }
            return hostile(route, request) ?? correct(route, request)
        }
    }

    package static func route(_ request: LoopbackServer.Request) -> Route {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let sandboxes = "/v1beta1/\(engine)/sandboxEnvironments"
        switch request.method {
        case "POST" where path.hasSuffix("/reasoningEngines"): return .createEngine
        case "POST" where path == sandboxes: return .createSandbox
        case "POST" where path.hasSuffix(":execute"): return .execute
        case "GET" where path.contains("/operations/"): return .pollOperation
        case "GET" where path == sandboxes: return .list
        case "GET" where path.hasPrefix(sandboxes + "/"): return .getSandbox
        case "DELETE" where path.hasPrefix(sandboxes + "/"): return .deleteSandbox
        case "DELETE" where path == "/v1beta1/\(engine)": return .deleteEngine
        default: return .other
        }
    }

    private func correct(_ route: Route, _ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        let path = String(request.path.dropFirst("/v1beta1/".count).split(separator: "?", maxSplits: 1).first ?? "")
        switch route {
        case .createEngine:
            return Self.json(["name": .string("\(Self.engine)/operations/e"), "done": true, "response": ["name": .string(Self.engine)]])
        case .createSandbox:
            let name = state.withLock { s in
                defer { s.nextID += 1 }
                let name = "\(Self.engine)/sandboxEnvironments/\(s.nextID)"
                s.alive.insert(name)
                return name
            }
            return Self.json(["name": .string("\(name)/operations/c"), "done": true, "response": ["name": .string(name)]])
        case .pollOperation:
            return Self.json(["name": .string(path), "done": true, "response": [:]])
        case .getSandbox:
            guard alive.contains(path) else { return Self.notFound }
            return Self.json(["name": .string(path), "state": "STATE_RUNNING"])
        case .execute:
            let console = JSONValue.object(["msg_out": .string(stdout), "msg_err": ""]).serialized()
            return Self.json(["outputs": [["data": .string(Base64.encode(console)), "mimeType": "application/json"]]])
        case .list:
            let names = alive.sorted()
            return Self.json(["sandboxEnvironments": .array(names.map { ["name": .string($0), "state": "STATE_RUNNING"] })])
        case .deleteSandbox:
            let existed = state.withLock { $0.alive.remove(path) != nil }
            return existed ? Self.json(["name": .string("\(path)/operations/d"), "done": true]) : Self.notFound
        case .deleteEngine:
            return Self.json(["name": .string("\(Self.engine)/operations/x"), "done": true])
        case .other:
            return Self.notFound
        }
    }

    package static func json(_ value: JSONValue, status: Int = 200) -> LoopbackServer.Reply {
        .response(status: status, headers: [("Content-Type", "application/json")], body: value.serialized())
    }

    package static let notFound = json(["error": ["code": 404, "message": "not found", "status": "NOT_FOUND"]], status: 404)

    /// A 200 answer with `text` as its body.
    package static func ok(_ text: String) -> LoopbackServer.Reply {
        .response(status: 200, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }
}
