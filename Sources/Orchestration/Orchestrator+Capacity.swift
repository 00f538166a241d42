import Foundation
package import HarnessCore
package import HarnessReports

/// A capacity search: the scenario, the objectives, and how the steps are shaped.
package struct CapacityRequest: Sendable {
    package var scenario: Scenario
    /// The scenario's file, as reports name it.
    package var file: String
    /// The SLOs every step must meet (`--slo` and the file's thresholds); the implicit ones are added
    /// by ``CapacitySearch/objectives(_:)``.
    package var slos: [String]
    package var search: CapacitySearch.Configuration
    /// How long each step holds its rate.
    package var stepDuration: Duration
    /// The start of each step whose sessions are not judged.
    package var settle: Duration
    /// Most sessions in flight; an arrival beyond it is dropped and fails the step.
    package var maxInFlight: Int
    /// Poisson arrivals from this seed (each step its own stream); nil seed with Poisson: 1.
    package var seed: UInt64?
    package var poissonArrivals: Bool
    /// `--var` and environment variables.
    package var variables: Variables
    /// How many times a failing step is run again before its rate counts as failed (a pass of any run
    /// passes it), so that one stall of the target or of this machine does not end the search low.
    package var rechecks = 1

    package init(
        scenario: Scenario, file: String, slos: [String], search: CapacitySearch.Configuration, stepDuration: Duration,
        settle: Duration, maxInFlight: Int = 1000, seed: UInt64? = nil, poissonArrivals: Bool = false, variables: Variables = Variables()
    ) {
        self.scenario = scenario
        self.file = file
        self.slos = slos
        self.search = search
        self.stepDuration = stepDuration
        self.settle = settle
        self.maxInFlight = maxInFlight
        self.seed = seed
        self.poissonArrivals = poissonArrivals
        self.variables = variables
    }

    /// How long a step's sessions may run after its arrivals end before they are cancelled (the step then
    /// fails): one step duration, at least 5 s.
    package var grace: Duration { max(stepDuration, .seconds(5)) }

    /// Checks the search's shape, naming the flag at fault.
    /// - Throws: ``RunFailure`` `.configuration`.
    package static func validate(
        slos: [String], search s: CapacitySearch.Configuration, stepDuration: Duration, settle: Duration, maxInFlight: Int,
        rechecks: Int = 1
    ) throws(RunFailure) {
        for slo in slos where Threshold.parse(slo) == nil {
            throw RunFailure(
                .configuration, "--slo \"\(slo)\" is not of the form METRIC.STAT < VALUE (e.g. session.p99 < 1s, errors.rate < 1%)")
        }
        guard s.start > 0, s.start <= LoadPlan.maxRate else {
            throw RunFailure(.configuration, "--start must be positive and at most \(Int(LoadPlan.maxRate))")
        }
        guard s.max <= LoadPlan.maxRate else { throw RunFailure(.configuration, "--max must be at most \(Int(LoadPlan.maxRate))") }
        guard s.max >= s.start else { throw RunFailure(.configuration, "--start (\(s.start)) must not be above --max (\(s.max))") }
        guard s.resolution > 0, s.resolution <= 1 else {
            throw RunFailure(.configuration, "--resolution must be above 0% and at most 100%")
        }
        guard (1...100).contains(s.maxSteps) else { throw RunFailure(.configuration, "--max-steps must be 1...100") }
        guard (0...3).contains(rechecks) else { throw RunFailure(.configuration, "--rechecks must be 0...3") }
        guard (1...LoadPlan.maxVirtualUsers).contains(maxInFlight) else {
            throw RunFailure(.configuration, "--max-in-flight must be 1...\(LoadPlan.maxVirtualUsers)")
        }
        guard stepDuration > .zero, stepDuration <= .seconds(86_400) else {
            throw RunFailure(.configuration, "--step-duration must be above 0 and at most 24h")
        }
        guard settle >= .zero, settle < stepDuration else {
            throw RunFailure(.configuration, "--settle must be shorter than --step-duration")
        }
        guard s.start * (stepDuration - settle).seconds >= 1 else {
            throw RunFailure(
                .configuration,
                "--start \(s.start)/s schedules no arrival after --settle in a --step-duration step; raise --start or --step-duration")
        }
    }
}

/// Where a capacity search writes its reports (nil: not written).
package struct CapacityReports: Sendable {
    package var json: String?
    package var junit: String?
    package var html: String?

    package init(json: String? = nil, junit: String? = nil, html: String? = nil) {
        self.json = json
        self.junit = junit
        self.html = html
    }
}

/// What a capacity search tells its command while it goes on.
package struct CapacityEvents: Sendable {
    /// About once a second during a step: its index and rate, the live numbers of its judged part,
    /// and the seconds elapsed of the step's duration.
    package var progress: @Sendable (Int, Double, LoadSnapshot, Double, Double) -> Void = { _, _, _, _, _ in }
    /// Each step as it finishes, judged.
    package var stepFinished: @Sendable (CapacityStep) -> Void = { _ in }
    /// Something the user should know that is not in the result, e.g. why the engine could not be made.
    package var warning: @Sendable (String) -> Void = { _ in }
    /// The whole search, before the reports are written.
    package var finished: @Sendable (CapacityResult) -> Void = { _ in }

    package init(
        progress: @escaping @Sendable (Int, Double, LoadSnapshot, Double, Double) -> Void = { _, _, _, _, _ in },
        stepFinished: @escaping @Sendable (CapacityStep) -> Void = { _ in },
        warning: @escaping @Sendable (String) -> Void = { _ in },
        finished: @escaping @Sendable (CapacityResult) -> Void = { _ in }
    ) {
        self.progress = progress
        self.stepFinished = stepFinished
        self.warning = warning
        self.finished = finished
    }
}

extension Orchestrator {
    /// Searches for the highest arrival rate at which every objective of `request` holds: one engine
    /// and one ledger for the whole search, each step an open-model load run whose sessions all end
    /// (or are cancelled and cleaned up) before the next begins, then a leak sweep and `reports`.
    ///
    /// - Throws: ``RunFailure`` when the target cannot be opened or a report cannot be written.
    package func capacity(
        _ request: CapacityRequest, reports: CapacityReports,
        events: CapacityEvents = CapacityEvents()
    ) async throws(RunFailure) -> CapacityResult {
        let objectives = CapacitySearch.objectives(request.slos)
        for objective in objectives where Threshold.parse(objective) == nil {
            throw RunFailure(.configuration, "\(request.file): threshold \"\(objective)\" is not of the form METRIC.STAT < VALUE")
        }
        let ledger = SandboxLedger()
        let startedAt = Date().timeIntervalSince1970
        let reuse = target.engine
        let result = try await withCancellableRun(ledger: ledger) { connection in
            let clock = ContinuousClock()
            let began = clock.now
            func finish(_ steps: [CapacityStep], _ stop: CapacitySearch.Stop?, aborted: String?, leaks: [String]) -> CapacityResult {
                var result = CapacityResult(
                    scenario: request.scenario.name, file: request.file, target: connection.description, startedAt: startedAt,
                    seconds: (clock.now - began).seconds, search: request.search, stepDuration: request.stepDuration,
                    settle: request.settle, maxInFlight: request.maxInFlight, objectives: objectives, steps: steps, stop: stop,
                    aborted: aborted, leaks: leaks)
                result.rechecks = request.rechecks
                return result
            }
            let runID = Self.newRunID()
            let client = connection.client
            let engine: RunEngine
            let context: SessionContext
            do {
                (engine, context) = try await Self.sessionContext(
                    client, reusing: reuse, runID: runID, label: "capacity", scenario: request.scenario.name,
                    variables: request.variables, ledger: ledger)
            } catch {
                events.warning("could not create the run's agent engine: \(error)")
                return finish([], nil, aborted: "could not create the agent engine: \(error)", leaks: [])
            }
            var search = CapacitySearch(request.search)
            var steps: [CapacityStep] = []
            var stop: CapacitySearch.Stop?
            var aborted: String?
            searching: while true {
                switch search.next() {
                case .finished(let why):
                    stop = why
                    break searching
                case .run(let rate):
                    var passed = false
                    for attempt in 1...(1 + max(0, request.rechecks)) where !passed {
                        let step = await Self.step(
                            steps.count + 1, rate: rate, attempt: attempt, request: request, objectives: objectives, context: context,
                            progress: events.progress)
                        // An interrupted step is neither a pass nor a failure: the search ends with what it had.
                        if Task.isCancelled {
                            aborted = "interrupted"
                            break searching
                        }
                        steps.append(step)
                        events.stepFinished(step)
                        passed = step.passed
                    }
                    search.record(rate: rate, passed: passed)
                }
            }
            let leaks = await LeakSweep(client: client, ledger: ledger, runID: runID).run(engine)
            return finish(steps, stop, aborted: aborted, leaks: leaks)
        }
        events.finished(result)
        do {
            if let json = reports.json { try CapacityJSONReport.write(result, to: json) }
            if let junit = reports.junit { try CapacityJUnitReport.write(result, to: junit) }
            if let html = reports.html { try CapacityHTMLReport.write(result, to: html) }
        } catch {
            throw RunFailure(.report, "cannot write a report: \(error)")
        }
        return result
    }

    /// One step: `rate` arrivals per second for the step's duration, sessions intended in the settle
    /// period recorded apart; returns once every session of the step has ended.
    static func step(
        _ index: Int, rate: Double, attempt: Int, request: CapacityRequest, objectives: [String], context: SessionContext,
        progress: @escaping @Sendable (Int, Double, LoadSnapshot, Double, Double) -> Void
    ) async -> CapacityStep {
        var plan = LoadPlan(model: .open(rate: rate, duration: request.stepDuration, maxInFlight: request.maxInFlight))
        plan.thresholds = objectives
        plan.poissonArrivals = request.poissonArrivals
        // Each step its own Poisson stream, repeatable from the seed.
        plan.seed = request.seed.map { $0 &+ UInt64(index) } ?? (request.poissonArrivals ? 1 &+ UInt64(index) : nil)
        let startedAt = Date().timeIntervalSince1970
        let start = ContinuousClock.now
        let judged = LoadRecorder(start: start)
        let settling = LoadRecorder(start: start)
        var runner = LoadRunner(
            scenario: request.scenario, file: request.file, plan: plan, context: context, recorder: judged, grace: request.grace)
        runner.settle = (request.settle, settling)
        let total = request.stepDuration.seconds
        let (_, aborted) = await runner.run { snapshot, elapsed in progress(index, rate, snapshot, elapsed, total) }
        let result = LoadResult(
            scenario: request.scenario.name, file: request.file, target: "", plan: plan, startedAt: startedAt,
            seconds: (request.stepDuration - request.settle).seconds, recorder: judged, aborted: aborted, leaks: [])
        return CapacityStep(index: index, rate: rate, attempt: attempt, result: result, settled: settling.counters)
    }
}

extension CapacityEvents {
    /// A capacity search's console: on a terminal a live line for the running step, rewritten in place;
    /// one line per step as it finishes, warnings to standard error, the result at the end.
    package static func console(isTTY: Bool, output: CommandOutput) -> CapacityEvents {
        CapacityEvents(
            progress: { index, rate, snapshot, elapsed, total in
                guard isTTY else { return }
                output.standardOutput(
                    "\r\u{1B}[2K" + CapacityText.progressLine(index, rate: rate, snapshot, elapsed: elapsed, total: total))
            },
            stepFinished: { output.standardOutput((isTTY ? "\r\u{1B}[2K" : "") + CapacityText.stepLine($0) + "\n") },
            warning: { output.standardError("\($0)\n") },
            finished: { output.standardOutput(CapacityText.resultLines($0)) }
        )
    }
}

extension Orchestrator {
    /// Runs `request` as ``capacity(_:reports:events:)`` does, with failures to standard error.
    /// - Returns: `.passed` when a capacity was found, `.failed` when even the start rate failed, the
    ///   search was aborted or a sandbox leaked, or the failure's status when it could not be carried out.
    package func capacityWithConsole(
        _ request: CapacityRequest, reports: CapacityReports, events: CapacityEvents, output: CommandOutput
    ) async -> ExitStatus {
        do {
            let result = try await capacity(request, reports: reports, events: events)
            if let html = reports.html { output.standardOutput("HTML report: \(html)\n") }
            return result.found ? .passed : .failed
        } catch {
            output.standardError("\(error)\n")
            return error.exitStatus
        }
    }
}
