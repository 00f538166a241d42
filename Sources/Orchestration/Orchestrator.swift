import Foundation
package import HarnessCore
import HarnessReports

/// Carries out a command's run from start to end: opens the target, creates the run's engine (or
/// reuses `--engine`), keeps the ledger of sandboxes, stops cleanly on Ctrl-C, sweeps for leaks,
/// deletes the engine it made and writes the reports. Commands only parse, call it and print.
///
/// ```swift
/// let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded), embedded: myEmulator)
/// let result = try await orchestrator.run(files, options: RunOptions(), reports: SuiteReports(junit: "reports/junit.xml"))
/// exit(result.passed ? 0 : 1)
/// ```
package struct Orchestrator: Sendable {
    /// How a run reacts to SIGINT and SIGTERM.
    package enum Interruption: Sendable {
        /// The first signal cancels the run (clean-up, sweep and reports still happen); a second
        /// forces exit 130 and prints the sandboxes that may be left.
        case signals
        /// Signals are left alone; cancelling the calling task stops the run the same way.
        case taskCancellation
    }

    package var target: TargetConfiguration
    /// Starts the server for ``TargetConfiguration/Kind/embedded``.
    package var embedded: (any EmbeddedTarget)?
    package var interruption: Interruption

    package init(target: TargetConfiguration, embedded: (any EmbeddedTarget)? = nil, interruption: Interruption = .taskCancellation) {
        self.target = target
        self.embedded = embedded
        self.interruption = interruption
    }

    /// A new run label such as `sb-1a2b3c`, the prefix of the run's display names.
    package static func newRunID() -> String {
        "sb-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }

    /// Opens the target and runs `work` with its connection and the run's ledger, in a task that
    /// the first interruption cancels; `work` is expected to clean up after itself when cancelled.
    /// - Parameter shared: the signal handling of a command that runs several targets one after the
    ///   other (parity); nil: this run's own, as ``interruption`` says.
    func withCancellableRun<T: Sendable>(
        ledger: SandboxLedger,
        interrupts shared: Interrupts? = nil,
        _ work: @escaping @Sendable (TargetConnection) async -> T
    ) async throws(RunFailure) -> T {
        let interrupts = shared ?? (interruption == .signals ? Interrupts() : nil)
        do {
            return try await target.withConnection(embedded: embedded) { connection in
                let task = Task { await work(connection) }
                interrupts?.arm(cancel: { task.cancel() }, ledger: ledger)
                return await withTaskCancellationHandler {
                    await task.value
                } onCancel: {
                    task.cancel()
                }
            }
        } catch let failure as RunFailure {
            throw failure
        } catch {
            throw RunFailure(.target, "could not reach the target: \(error)")
        }
    }
}

/// Where a `run` writes its reports.
package struct SuiteReports: Sendable {
    /// JUnit XML path (nil: none).
    package var junit: String?
    /// JSON results path (nil: none).
    package var json: String?

    package init(junit: String? = nil, json: String? = nil) {
        self.junit = junit
        self.json = json
    }
}

/// What a run tells its command while it goes on.
package struct SuiteEvents: Sendable {
    /// Each scenario as it finishes.
    package var scenarioFinished: @Sendable (ScenarioResult) -> Void = { _ in }
    /// The whole run, before the reports are written.
    package var finished: @Sendable (RunResult) -> Void = { _ in }

    package init(
        scenarioFinished: @escaping @Sendable (ScenarioResult) -> Void = { _ in },
        finished: @escaping @Sendable (RunResult) -> Void = { _ in }
    ) {
        self.scenarioFinished = scenarioFinished
        self.finished = finished
    }
}

extension Orchestrator {
    /// Runs every selected scenario of `files` (``RunOptions/concurrency`` at a time), then sweeps
    /// for leaks and writes `reports`.
    ///
    /// When the engine cannot be created, every selected scenario reports the error as its one
    /// step, so the run fails (exit 1) with the reason in each report.
    /// - Throws: ``RunFailure`` when the target cannot be opened or a report cannot be written.
    package func run(
        _ files: [ScenarioFile], options: RunOptions, reports: SuiteReports,
        events: SuiteEvents = SuiteEvents()
    ) async throws(RunFailure) -> RunResult {
        let result = try await suite(files, options: options, events: events)
        events.finished(result)
        do {
            if let junit = reports.junit { try JUnitReport.write(result, to: junit) }
            if let json = reports.json { try JSONReport.write(result, to: json) }
        } catch {
            throw RunFailure(.report, "cannot write a report: \(error)")
        }
        return result
    }

    /// The run without its reports: engine, sessions, leak sweep.
    func suite(
        _ files: [ScenarioFile], options: RunOptions, events: SuiteEvents,
        interrupts: Interrupts? = nil
    ) async throws(RunFailure) -> RunResult {
        let ledger = SandboxLedger()
        let startedAt = Date().timeIntervalSince1970
        let reuse = target.engine
        return try await withCancellableRun(ledger: ledger, interrupts: interrupts) { connection in
            let clock = ContinuousClock()
            let start = clock.now
            let client = connection.client
            let runner = SuiteRunner(options: options, onScenarioFinished: events.scenarioFinished)
            let engine: RunEngine
            do {
                engine = try await RunEngine.acquire(client, reusing: reuse, displayName: "\(options.runID)-engine")
            } catch {
                let scenarios = runner.setupFailed(
                    files, step: "setup: create agent engine",
                    message: "could not create the run's agent engine: \(error)")
                return RunResult(scenarios: scenarios, target: connection.description, startedAt: startedAt, duration: clock.now - start)
            }
            var context = SessionContext(
                client: client, engine: engine.name, variables: options.variables, ledger: ledger,
                runID: options.runID)
            context.keepsObservations = options.keepsObservations
            context.judgesExpectations = options.judgesExpectations
            let scenarios = await runner.run(files, context: context)
            let leaks = await LeakSweep(client: client, ledger: ledger, runID: options.runID).run(engine)
            return RunResult(
                scenarios: scenarios, target: connection.description, startedAt: startedAt, duration: clock.now - start,
                leaks: leaks)
        }
    }
}
