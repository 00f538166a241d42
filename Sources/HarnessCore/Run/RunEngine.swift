import SandboxAPI

/// The agent engine a run creates its sandboxes under: made for the run and deleted with it, or
/// given with `--engine` and left in place.
package struct RunEngine: Sendable, Hashable {
    /// Resource name, `projects/…/locations/…/reasoningEngines/ID`.
    package var name: String
    /// Whether the run created the engine, and so deletes it at its end.
    package var owned: Bool

    package init(name: String, owned: Bool) {
        self.name = name
        self.owned = owned
    }

    /// Reuses `existing` when given, else creates an engine named `displayName` and waits for it.
    /// - Throws: the ``APIFailure`` of the create call or of its operation.
    package static func acquire(
        _ client: SandboxClient, reusing existing: String?,
        displayName: String
    ) async throws(APIFailure) -> RunEngine {
        if let existing { return RunEngine(name: existing, owned: false) }
        return RunEngine(name: try await client.createEngine(displayName: displayName), owned: true)
    }
}

/// The end-of-run check: any sandbox of this run still alive under its engine is a leak, and is
/// deleted now; an engine the run created is then deleted with `force`.
package struct LeakSweep: Sendable {
    package var client: SandboxClient
    package var ledger: SandboxLedger
    /// The run's label: a sandbox whose display name starts with `RUNID-` is the run's too, even
    /// when the run never learnt its name (a create cut off by Ctrl-C after the server acted on it).
    package var runID: String?

    package init(client: SandboxClient, ledger: SandboxLedger, runID: String? = nil) {
        self.client = client
        self.ledger = ledger
        self.runID = runID
    }

    /// Whether `sandbox` carries this run's label in its display name.
    func isLabelled(_ sandbox: SandboxEnvironment) -> Bool {
        guard let runID, !runID.isEmpty, let displayName = sandbox.displayName else { return false }
        return displayName.hasPrefix(runID + "-")
    }

    /// Sweeps `engine` and returns the names of the leaked sandboxes. Runs to the end even when the
    /// calling task is cancelled (it works in a task of its own).
    package func run(_ engine: RunEngine) async -> [String] {
        let sweep = self
        return await Task { await sweep.sweep(engine) }.value
    }

    /// Most pages the sweep reads: 100,000 sandboxes. A server that keeps handing out page tokens
    /// cannot hold the run forever.
    package static let maxPages = 1000

    /// Longest page token the sweep sends back; a longer one ends the listing.
    package static let maxPageTokenBytes = 8192

    /// Lists the engine's sandboxes: any this run created is a leak, and is deleted. Then every
    /// sandbox the ledger still holds as alive but the listing did not show (because listing failed,
    /// or the server hid it) is deleted: a 404 means it was gone after all, anything else is a leak.
    private func sweep(_ engine: RunEngine) async -> [String] {
        var leaks: [String] = []
        var listed: Set<String> = []
        var tokens: Set<String> = []
        var token: String?
        for _ in 0..<Self.maxPages {
            let path =
                "\(engine.name)/sandboxEnvironments?pageSize=100" + (token.map { "&pageToken=\(ScenarioSession.percentEncode($0))" } ?? "")
            guard let response = try? await client.call("GET", path), response.status == 200, let json = response.json,
                let page = try? SandboxPage(json: json)
            else { break }
            for sandbox in page.sandboxes where listed.insert(sandbox.name).inserted {
                if await ledger.isOurs(sandbox.name) {
                    leaks.append(sandbox.name)
                    if case .failed = await client.deleteForCleanUp(sandbox.name) {
                    } else {
                        await ledger.deleted(sandbox.name)
                    }
                } else if isLabelled(sandbox) {
                    // Made by a create whose answer never arrived (cut off by Ctrl-C): clean-up
                    // could not know it, so it is deleted here, and is a leak only if that fails.
                    if case .failed = await client.deleteForCleanUp(sandbox.name) { leaks.append(sandbox.name) }
                }
            }
            guard let next = page.nextPageToken, !next.isEmpty, next.utf8.count <= Self.maxPageTokenBytes,
                tokens.insert(next).inserted
            else { break }
            token = next
        }
        for (name, _) in await ledger.remaining where !listed.contains(name) {
            let deletion = await client.deleteForCleanUp(name)
            if case .failed = deletion {} else { await ledger.deleted(name) }
            if deletion != .gone { leaks.append(name) }
        }
        if engine.owned { _ = try? await client.call("DELETE", "\(engine.name)?force=true") }
        return leaks
    }
}
