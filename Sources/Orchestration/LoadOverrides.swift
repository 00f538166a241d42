package import HarnessCore

/// Changes the command line makes to a scenario's load plan (`--rate`, `--vus`, `--duration`, …);
/// nil keeps what the file says.
package struct LoadOverrides: Sendable, Hashable {
    /// Open model: sessions per second.
    package var rate: Double?
    /// Closed model: virtual users.
    package var vus: Int?
    package var duration: Duration?
    /// Closed model: iterations per virtual user.
    package var iterations: Int?
    /// Closed model: each VU's iterations start this far apart.
    package var pacing: Duration?
    /// Open model: most sessions in flight.
    package var maxInFlight: Int?
    package var seed: UInt64?
    /// Added to the file's thresholds.
    package var thresholds: [String] = []
    package var abortOnFail = false

    package init() {}

    /// Checks each value on its own (ranges, threshold syntax), before any file is read.
    /// - Throws: ``RunFailure`` `.configuration` naming the flag.
    package func validate() throws(RunFailure) {
        if let rate, !(rate > 0 && rate <= LoadPlan.maxRate) {
            throw RunFailure(.configuration, "--rate must be positive and at most \(Int(LoadPlan.maxRate))")
        }
        if let vus, !(1...LoadPlan.maxVirtualUsers).contains(vus) {
            throw RunFailure(.configuration, "--vus must be 1...\(LoadPlan.maxVirtualUsers)")
        }
        if let iterations, iterations < 1 { throw RunFailure(.configuration, "--iterations must be at least 1") }
        if let maxInFlight, !(1...LoadPlan.maxVirtualUsers).contains(maxInFlight) {
            throw RunFailure(.configuration, "--max-in-flight must be 1...\(LoadPlan.maxVirtualUsers)")
        }
        if rate != nil, vus != nil { throw RunFailure(.configuration, "give --rate (open model) or --vus (closed model), not both") }
        for t in thresholds where Threshold.parse(t) == nil {
            throw RunFailure(
                .configuration,
                "--threshold \"\(t)\" is not of the form METRIC.STAT < VALUE (e.g. execute.p99 < 250ms, errors.rate < 1%)")
        }
    }

    /// `plan` (the scenario's, or one session by one VU when it has none) with these changes.
    ///
    /// `--rate` makes the plan open (its duration from `--duration` or the file's open plan);
    /// `--vus` on an open plan makes it closed. `--iterations` without `--duration` drops the
    /// file's duration, and `--duration` without `--iterations` drops the file's iterations, so
    /// the flag given is the one that ends the run.
    /// - Throws: ``RunFailure`` `.configuration` for `--rate` with no duration anywhere, and for
    ///   the combinations ``validate()`` refuses.
    package func apply(to plan: LoadPlan?) throws(RunFailure) -> LoadPlan {
        try validate()
        var plan = plan ?? LoadPlan(model: .closed(vus: 1, iterations: 1, duration: nil, pacing: nil))
        if let rate {
            var maxIn = maxInFlight ?? 1000
            var total = duration
            if case .open(_, let fileDuration, let fileMax) = plan.model {
                total = total ?? fileDuration
                maxIn = maxInFlight ?? fileMax
            }
            guard let total else { throw RunFailure(.configuration, "--rate needs --duration (or a duration in the file)") }
            plan.model = .open(rate: rate, duration: total, maxInFlight: maxIn)
        } else if vus != nil || iterations != nil || duration != nil || pacing != nil || maxInFlight != nil {
            switch plan.model {
            case .closed(let fileVUs, let fileIterations, let fileDuration, let filePacing):
                let newIterations = duration != nil && iterations == nil ? nil : (iterations ?? fileIterations)
                plan.model = .closed(
                    vus: vus ?? fileVUs, iterations: newIterations,
                    duration: duration ?? (iterations != nil ? nil : fileDuration), pacing: pacing ?? filePacing)
            case .open(let fileRate, let fileDuration, let fileMax):
                if let vus {
                    plan.model = .closed(vus: vus, iterations: iterations, duration: duration, pacing: pacing)
                } else {
                    plan.model = .open(rate: fileRate, duration: duration ?? fileDuration, maxInFlight: maxInFlight ?? fileMax)
                }
            }
        }
        if let seed { plan.seed = seed }
        plan.thresholds += thresholds
        if abortOnFail { plan.abortOnFail = true }
        return plan
    }
}

extension LoadRequest {
    /// The scenario of `file` named `name`, or (no name) the first with a `load:` block, else the first.
    /// - Throws: ``RunFailure`` `.configuration` naming the scenarios the file has.
    package static func scenario(named name: String?, in file: ScenarioFile) throws(RunFailure) -> Scenario {
        if let name {
            guard let found = file.scenarios.first(where: { $0.name == name }) else {
                let have = file.scenarios.map(\.name).joined(separator: ", ")
                throw RunFailure(.configuration, "\(file.path): no scenario named \"\(name)\" (have: \(have))")
            }
            return found
        }
        guard let chosen = file.scenarios.first(where: { $0.load != nil }) ?? file.scenarios.first else {
            throw RunFailure(.configuration, "\(file.path): holds no scenario")
        }
        return chosen
    }
}

extension LoadReports {
    /// `reports/NAME.html` for a scenario: its name lowercased, runs of other characters as one `-`.
    package static func defaultHTMLPath(scenario: String) -> String {
        let allowed = scenario.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let slug = String(allowed).split(separator: "-").joined(separator: "-")
        return "reports/\(slug.isEmpty ? "load" : slug).html"
    }
}
