import HarnessCore

/// One `<testsuite>` as it will be written: cleaned, capped and with unique case names.
struct JUnitSuite {
    /// One `<testcase>` as it will be written.
    struct Case {
        /// Which child element, if any, records the outcome.
        enum Verdict: Equatable {
            case passed, failure, error, skipped
        }

        var name: String
        var classname: String
        var time: Duration
        var verdict: Verdict
        /// The `type` attribute of the outcome element (`AssertionError`, `StepError`, …).
        var type: String?
        /// The `message` attribute (never empty unless passed).
        var message: String
        /// The text of `<failure>`, `<error>` or `<skipped>` (never empty unless passed).
        var body: String
        var systemOut: String
    }

    var name: String
    var time: Duration
    var properties: [(name: String, value: String)]
    var cases: [Case]

    var failures: Int { cases.count { $0.verdict == .failure } }
    var errors: Int { cases.count { $0.verdict == .error } }
    var skipped: Int { cases.count { $0.verdict == .skipped } }

    /// Name of the suite (and classname of the case) that reports sandboxes left alive after the run.
    static let leakSuiteName = "sandbench"
    /// Name of the test case that reports sandboxes left alive after the run.
    static let leakCaseName = "sandbox leak check"

    /// One suite per scenario file in first-seen order, plus a leak suite when sandboxes leaked.
    static func suites(for run: RunResult) -> [JUnitSuite] {
        let properties = [(name: "target", value: ReportText.attribute(run.target))]
        var suites = run.byFile.map { group in
            let file = ReportText.attribute(group.file)
            var used: Set<String> = []
            let cases = group.scenarios.map { scenario in
                var testCase = Case(scenario: scenario, classname: file)
                testCase.name = uniqueName(testCase.name, among: &used)
                return testCase
            }
            let time = group.scenarios.reduce(Duration.zero) { $0 + $1.duration }
            return JUnitSuite(name: file, time: time, properties: properties, cases: cases)
        }
        if !run.leaks.isEmpty {
            suites.append(
                JUnitSuite(
                    name: leakSuiteName, time: .zero, properties: properties,
                    cases: [Case(leaks: run.leaks)]))
        }
        return suites
    }

    /// `name`, or `name (2)`, `name (3)`, … — the first not yet in `used` — recorded in `used`.
    static func uniqueName(_ name: String, among used: inout Set<String>) -> String {
        var candidate = name
        var n = 1
        while used.contains(candidate) {
            n += 1
            candidate = "\(name) (\(n))"
        }
        used.insert(candidate)
        return candidate
    }
}

extension JUnitSuite.Case {
    /// The test case for one scenario: verdict, message and body from its failing step.
    init(scenario: ScenarioResult, classname: String) {
        name = ReportText.attribute(scenario.name)
        self.classname = classname
        time = scenario.duration
        systemOut = ReportText.body(Self.stepLog(scenario))
        switch scenario.outcome {
        case .passed:
            verdict = .passed
            type = nil
            message = ""
            body = ""
        case .skipped:
            verdict = .skipped
            type = nil
            let reason = scenario.skipReason.flatMap { $0.isEmpty ? nil : $0 } ?? "skipped"
            message = ReportText.attribute(reason)
            body = ReportText.body("scenario '\(scenario.name)' skipped: \(reason)")
        case .failed, .error:
            verdict = scenario.outcome == .failed ? .failure : .error
            type = scenario.outcome == .failed ? "AssertionError" : "StepError"
            let step = scenario.steps.first { $0.outcome == scenario.outcome } ?? scenario.failingStep
            message = ReportText.attribute(Self.message(step: step, scenario: scenario).replacingLineBreaks())
            body = ReportText.body(Self.problemReport(scenario))
        }
    }

    /// The test case listing sandboxes still alive after clean-up.
    init(leaks: [String]) {
        name = JUnitSuite.leakCaseName
        classname = JUnitSuite.leakSuiteName
        time = .zero
        verdict = .failure
        type = "SandboxLeak"
        let noun = leaks.count == 1 ? "sandbox" : "sandboxes"
        message = ReportText.attribute("\(leaks.count) \(noun) still alive after clean-up: \(leaks.joined(separator: ", "))")
        let list = leaks.map { "  - \($0)" }.joined(separator: "\n")
        body = ReportText.body("\(leaks.count) \(noun) of this run still alive after clean-up (delete them by hand):\n\(list)")
        systemOut = ReportText.body("leaked sandboxes:\n\(list)")
    }

    /// `step 'NAME' (file:line): first mismatch`, or a scenario-level reason when no step failed.
    static func message(step: StepResult?, scenario: ScenarioResult) -> String {
        guard let step else {
            if let problem = scenario.cleanupProblems.first { return "clean-up: \(problem)" }
            return "scenario '\(scenario.name)' \(scenario.outcome.rawValue) without a failing step"
        }
        let place = step.location.map { "\($0.file):\($0.line)" } ?? scenario.file
        let detail = step.errorMessage ?? step.mismatches.first?.description ?? "step \(step.outcome.rawValue)"
        return "step '\(step.name)' (\(place)): \(detail)"
    }

    /// Every failing or erroring step with each mismatch as expected vs actual, then clean-up problems.
    static func problemReport(_ scenario: ScenarioResult) -> String {
        var lines: [String] = []
        for step in scenario.steps where step.outcome == .failed || step.outcome == .error || !step.mismatches.isEmpty {
            let place = step.location.map { " at \($0)" } ?? ""
            lines.append("step '\(step.name)' (\(step.operation))\(place): \(step.outcome.rawValue)")
            if let status = step.httpStatus { lines.append("  HTTP status: \(status)") }
            if let error = step.errorMessage {
                lines.append("  error: " + ReportText.indentingContinuationLines(error, by: 9))
            }
            for mismatch in step.mismatches {
                lines.append("  \(mismatch.what)")
                lines.append("    expected: " + ReportText.indentingContinuationLines(mismatch.expected, by: 14))
                lines.append("    actual:   " + ReportText.indentingContinuationLines(mismatch.actual, by: 14))
            }
            if let output = step.output {
                for (name, text) in [("stderr", output.stderr), ("stdout", output.stdout)] where !text.isEmpty {
                    lines.append("  \(name) (last lines\(output.truncated ? ", cut" : "")):")
                    lines += text.split(separator: "\n", omittingEmptySubsequences: false).map { "    | " + $0 }
                }
            }
        }
        if !scenario.cleanupProblems.isEmpty {
            lines.append("clean-up problems:")
            lines += scenario.cleanupProblems.map { "  - \($0)" }
        }
        if lines.isEmpty {
            lines.append("scenario '\(scenario.name)' \(scenario.outcome.rawValue); no step recorded a mismatch or an error")
        }
        return lines.joined(separator: "\n")
    }

    /// Every step with its operation, outcome, duration in ms and HTTP status.
    static func stepLog(_ scenario: ScenarioResult) -> String {
        var lines = [
            "scenario '\(scenario.name)' in \(scenario.file): \(scenario.outcome.rawValue) in \(ReportTime.seconds(scenario.duration)) s"
        ]
        if !scenario.tags.isEmpty { lines.append("tags: \(scenario.tags.joined(separator: ", "))") }
        if let reason = scenario.skipReason { lines.append("skip reason: \(reason)") }
        if scenario.steps.isEmpty {
            lines.append("no steps ran")
        } else {
            lines.append("steps:")
            let rows = scenario.steps.enumerated().map { i, step in
                [
                    "\(i + 1). \(step.name)", step.operation, step.outcome.rawValue,
                    "\(ReportTime.millisecondsText(step.duration)) ms", step.httpStatus.map { "HTTP \($0)" } ?? "HTTP -"
                ]
            }
            let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let cells = row.enumerated().map { column, cell in
                    let pad = String(repeating: " ", count: widths[column] - cell.count)
                    return column == 3 ? pad + cell : column == 4 ? cell : cell + pad
                }
                lines.append("  " + cells.joined(separator: "  "))
            }
        }
        if !scenario.cleanupProblems.isEmpty {
            lines.append("clean-up problems:")
            lines += scenario.cleanupProblems.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// One line: CR, LF and CRLF become a visible `\n` so CI shows the whole message in its one-line slot.
    fileprivate func replacingLineBreaks() -> String {
        replacing("\r\n", with: "\\n").replacing("\n", with: "\\n").replacing("\r", with: "\\n")
    }
}

extension JUnitSuite.Case {
    /// Writes this `<testcase>` with its verdict element and captured output.
    func write(to writer: XMLTextWriter) throws(ReportError) {
        try writer.element(
            "testcase",
            [
                ("name", name),
                ("classname", classname),
                ("time", ReportTime.seconds(time))
            ]
        ) { () throws(ReportError) in
            let element: String? =
                switch verdict {
                case .passed: nil
                case .failure: "failure"
                case .error: "error"
                case .skipped: "skipped"
                }
            if let element {
                var attributes = [("message", message)]
                if let type { attributes.append(("type", type)) }
                try writer.element(element, attributes) { () throws(ReportError) in try writer.text(body) }
            }
            if !systemOut.isEmpty {
                try writer.element("system-out") { () throws(ReportError) in try writer.text(systemOut) }
            }
        }
    }
}
