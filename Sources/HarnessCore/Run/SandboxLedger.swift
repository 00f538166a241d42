/// Every sandbox a run created and whether it was deleted: the source of truth for clean-up, the
/// leak sweep and the "what was left" report after a forced exit.
public actor SandboxLedger {
    private var alive: [String: String] = [:] // sandbox name → scenario
    private var everCreated: Set<String> = []

    /// An empty ledger.
    public init() {}

    /// Records a sandbox created by `scenario`.
    public func created(_ name: String, by scenario: String) {
        alive[name] = scenario
        everCreated.insert(name)
    }

    /// Records a sandbox as gone (deleted, or answered 404).
    public func deleted(_ name: String) { alive.removeValue(forKey: name) }

    /// Sandboxes created and not yet deleted, with the scenario that made each.
    public var remaining: [(sandbox: String, scenario: String)] {
        alive.map { ($0.key, $0.value) }.sorted { $0.sandbox < $1.sandbox }
    }

    /// Whether this run created `name`.
    public func isOurs(_ name: String) -> Bool { everCreated.contains(name) }

    /// Number of sandboxes ever created.
    public var createdCount: Int { everCreated.count }
}
