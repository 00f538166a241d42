import SandboxAPI

/// How a run is carried out.
public struct RunOptions: Sendable {
    /// Scenarios run at once.
    public var concurrency: Int = 4
    /// Reuse this engine instead of creating (and deleting) one.
    public var engine: String?
    /// Run only scenarios carrying one of these tags (empty: all).
    public var tags: [String] = []
    public var variables: Variables = Variables()
    /// Label of this run (display-name prefix), e.g. `sb-1a2b3c`.
    public var runID: String = "sandbench"

    public init() {}
}

/// Runs scenario files against one target: creates the run's engine, runs scenarios concurrently,
/// then sweeps the engine for sandboxes this run left alive and deletes the engine.
public struct SuiteRunner: Sendable {
    public var client: SandboxClient
    public var options: RunOptions
    public var ledger: SandboxLedger
    public var observer: StepObserver?
    /// Called when each scenario finishes (console progress).
    public var onScenarioFinished: (@Sendable (ScenarioResult) -> Void)?

    public init(client: SandboxClient, options: RunOptions, ledger: SandboxLedger = SandboxLedger(),
                observer: StepObserver? = nil, onScenarioFinished: (@Sendable (ScenarioResult) -> Void)? = nil) {
        self.client = client
        self.options = options
        self.ledger = ledger
        self.observer = observer
        self.onScenarioFinished = onScenarioFinished
    }

    /// Scenarios selected by the tag filter, paired with their file.
    public func selected(_ files: [ScenarioFile]) -> [(file: String, scenario: Scenario)] {
        files.flatMap { file in
            file.scenarios.filter { s in options.tags.isEmpty || !Set(s.tags).isDisjoint(with: options.tags) }.map { (file.path, $0) }
        }
    }

    /// Runs everything and returns the results in file order.
    public func run(_ files: [ScenarioFile], target: String, startedAt: Double) async -> RunResult {
        let clock = ContinuousClock()
        let start = clock.now
        let work = selected(files)
        let engine: String
        let ownEngine: Bool
        if let given = options.engine {
            engine = given
            ownEngine = false
        } else {
            do {
                engine = try await client.createEngine(displayName: "\(options.runID)-engine")
                ownEngine = true
            } catch {
                let results = work.map { item in
                    ScenarioResult(name: item.scenario.name, file: item.file, tags: item.scenario.tags, outcome: .error,
                                   steps: [StepResult(name: "setup: create agent engine", operation: "create", outcome: .error, duration: .zero,
                                                      errorMessage: "could not create the run's agent engine: \(error)")],
                                   duration: .zero)
                }
                return RunResult(scenarios: results, target: target, startedAt: startedAt, duration: clock.now - start)
            }
        }
        let context = SessionContext(client: client, engine: engine, variables: options.variables, ledger: ledger, runID: options.runID)
        var results = [ScenarioResult?](repeating: nil, count: work.count)
        await withTaskGroup(of: (Int, ScenarioResult).self) { group in
            var next = 0
            func launch() {
                guard next < work.count else { return }
                let index = next
                next += 1
                let item = work[index]
                group.addTask {
                    (index, await ScenarioSession(scenario: item.scenario, file: item.file, context: context, observer: observer).run())
                }
            }
            for _ in 0..<max(1, options.concurrency) { launch() }
            while let (index, result) = await group.next() {
                results[index] = result
                onScenarioFinished?(result)
                launch()
            }
        }
        // Sweep and engine clean-up run even after cancellation.
        let leaks = await Task { await sweep(engine: engine, deleteEngine: ownEngine) }.value
        return RunResult(scenarios: results.compactMap { $0 }, target: target, startedAt: startedAt, duration: clock.now - start, leaks: leaks)
    }

    /// Most pages the leak sweep reads: 100,000 sandboxes. A server that keeps handing out page
    /// tokens cannot hold the run forever.
    public static let maxSweepPages = 1000

    /// Longest page token the sweep sends back; a longer one ends the listing.
    public static let maxPageTokenBytes = 8192

    /// Finds and deletes the sandboxes this run left alive, and returns their names (leaks).
    ///
    /// Lists the engine's sandboxes: any this run created is a leak. Then every sandbox the ledger
    /// still holds as alive but the listing did not show (because listing failed, or the server
    /// hid it) is deleted: a 404 means it was gone after all, anything else makes it a leak.
    public func sweep(engine: String, deleteEngine: Bool) async -> [String] {
        var leaks: [String] = []
        var listed: Set<String> = []
        var tokens: Set<String> = []
        var token: String?
        for _ in 0..<Self.maxSweepPages {
            let path = "\(engine)/sandboxEnvironments?pageSize=100" + (token.map { "&pageToken=\(ScenarioSession.percentEncode($0))" } ?? "")
            guard let response = try? await client.call("GET", path), response.status == 200, let json = response.json,
                  let page = try? SandboxPage(json: json) else { break }
            for sandbox in page.sandboxes where await ledger.isOurs(sandbox.name) && listed.insert(sandbox.name).inserted {
                leaks.append(sandbox.name)
                if case .failed = await client.deleteForCleanUp(sandbox.name) {} else {
                    await ledger.deleted(sandbox.name)
                }
            }
            guard let next = page.nextPageToken, !next.isEmpty, next.utf8.count <= Self.maxPageTokenBytes,
                  tokens.insert(next).inserted else { break }
            token = next
        }
        for (name, _) in await ledger.remaining where !listed.contains(name) {
            let deletion = await client.deleteForCleanUp(name)
            if case .failed = deletion {} else { await ledger.deleted(name) }
            if deletion != .gone { leaks.append(name) }
        }
        if deleteEngine { _ = try? await client.call("DELETE", "\(engine)?force=true") }
        return leaks
    }
}
