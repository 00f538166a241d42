import SandboxAPI

/// The agent engine a run creates its sandboxes under: made for the run and deleted with it, or
/// given with `--engine` and left in place.
public struct RunEngine: Sendable, Hashable {
    /// Resource name, `projects/…/locations/…/reasoningEngines/ID`.
    public var name: String
    /// Whether the run created the engine, and so deletes it at its end.
    public var owned: Bool

    public init(name: String, owned: Bool) {
        self.name = name
        self.owned = owned
    }

    /// Reuses `existing` when given, else creates an engine named `displayName` and waits for it.
    /// - Throws: the ``APIFailure`` of the create call or of its operation.
    public static func acquire(_ client: SandboxClient, reusing existing: String?,
                               displayName: String) async throws(APIFailure) -> RunEngine {
        if let existing { return RunEngine(name: existing, owned: false) }
        return RunEngine(name: try await client.createEngine(displayName: displayName), owned: true)
    }
}

/// The end-of-run check: any sandbox of this run still alive under its engine is a leak, and is
/// deleted now; an engine the run created is then deleted with `force`.
public struct LeakSweep: Sendable {
    public var client: SandboxClient
    public var ledger: SandboxLedger

    public init(client: SandboxClient, ledger: SandboxLedger) {
        self.client = client
        self.ledger = ledger
    }

    /// Sweeps `engine` and returns the names of the leaked sandboxes. Runs to the end even when the
    /// calling task is cancelled (it works in a task of its own).
    public func run(_ engine: RunEngine) async -> [String] {
        let sweep = self
        return await Task { await sweep.sweep(engine) }.value
    }

    private func sweep(_ engine: RunEngine) async -> [String] {
        var leaks: [String] = []
        var token: String?
        repeat {
            let pageToken = token.map { "&pageToken=\(ScenarioSession.percentEncode($0))" } ?? ""
            let path = "\(engine.name)/sandboxEnvironments?pageSize=100" + pageToken
            guard let response = try? await client.call("GET", path), response.status == 200, let json = response.json,
                  let page = try? SandboxPage(json: json) else { break }
            for sandbox in page.sandboxes where await ledger.isOurs(sandbox.name) {
                leaks.append(sandbox.name)
                if let r = try? await client.call("DELETE", sandbox.name), r.status == 200 || r.status == 404 {
                    await ledger.deleted(sandbox.name)
                }
            }
            token = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        if engine.owned { _ = try? await client.call("DELETE", "\(engine.name)?force=true") }
        return leaks
    }
}
