import SandboxAPI

/// How a run is carried out.
public struct RunOptions: Sendable {
    /// Scenarios run at once.
    public var concurrency: Int = 4
    /// Run only scenarios carrying one of these tags (empty: all).
    public var tags: [String] = []
    /// Values for `${NAME}` in scenarios (`--var` and the environment).
    public var variables: Variables = Variables()
    /// Label of this run (display-name prefix), e.g. `sb-1a2b3c`.
    public var runID: String = "sandbench"
    /// Keep each step's observed response in its result (for parity; off so load runs keep no bodies).
    public var keepsObservations = false
    /// Check each step's expectations (off: observe only; see ``SessionContext/judgesExpectations``).
    public var judgesExpectations = true

    /// Defaults: four scenarios at a time, every tag, run label `sandbench`, expectations judged.
    public init() {}
}

/// Runs the selected scenarios of some files as concurrent sessions under one engine. Setting up
/// the engine, sweeping for leaks and writing reports belong to the caller (the `Orchestration`
/// module's `Orchestrator`).
public struct SuiteRunner: Sendable {
    /// Concurrency, tag filter, variables and run label.
    public var options: RunOptions
    /// Called with every step result as it ends.
    public var observer: StepObserver?
    /// Called when each scenario finishes (console progress).
    public var onScenarioFinished: (@Sendable (ScenarioResult) -> Void)?

    /// A runner with `options`; `onScenarioFinished` is called as each scenario ends.
    public init(options: RunOptions, observer: StepObserver? = nil, onScenarioFinished: (@Sendable (ScenarioResult) -> Void)? = nil) {
        self.options = options
        self.observer = observer
        self.onScenarioFinished = onScenarioFinished
    }

    /// Scenarios selected by the tag filter, paired with their file.
    public func selected(_ files: [ScenarioFile]) -> [(file: String, scenario: Scenario)] {
        files.flatMap { file in
            file.scenarios.filter { s in options.tags.isEmpty || !Set(s.tags).isDisjoint(with: options.tags) }.map { (file.path, $0) }
        }
    }

    /// Runs the selected scenarios, at most ``RunOptions/concurrency`` at once, and returns their
    /// results in file order.
    public func run(_ files: [ScenarioFile], context: SessionContext) async -> [ScenarioResult] {
        let work = selected(files)
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
        return results.compactMap { $0 }
    }

    /// What each selected scenario reports when the run could not set up: one errored step named `step`.
    public func setupFailed(_ files: [ScenarioFile], step: String, message: String) -> [ScenarioResult] {
        selected(files).map { item in
            ScenarioResult(
                name: item.scenario.name, file: item.file, tags: item.scenario.tags, outcome: .error,
                steps: [StepResult(name: step, operation: "create", outcome: .error, duration: .zero, errorMessage: message)],
                duration: .zero)
        }
    }
}
