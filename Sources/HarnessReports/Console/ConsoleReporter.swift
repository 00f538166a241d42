package import HarnessCore

/// Renders results for a terminal: a line per scenario, failure details below it, then a summary.
///
/// ```swift
/// let console = ConsoleReporter(isTTY: isatty(1) == 1, environment: ProcessInfo.processInfo.environment)
/// for scenario in result.scenarios { print(console.render(scenario), terminator: "") }
/// print(console.renderSummary(result), terminator: "")
/// ```
/// Output looks like:
/// ```
/// PASS  suites/basic.yaml › create and delete  (123 ms)
/// FAIL  suites/basic.yaml › hello world  (456 ms)
///       step 'run' (execute) at suites/basic.yaml:12:7
///         stdout
///           expected: equal to "hello"
///           actual:   "hallo"
/// 1 passed, 1 failed, 0 errors, 0 skipped in 0.58s
/// ```
package struct ConsoleReporter: Sendable {
    /// Whether output carries ANSI colour codes.
    package var usesColor: Bool
    /// Longest expected/actual value shown, in characters, before it is cut with an ellipsis.
    package var maxValueLength: Int
    /// Most lines of one multi-line value shown.
    package var maxValueLines: Int

    /// Creates a reporter that colours only a TTY whose environment does not set `NO_COLOR`.
    ///
    /// - Parameters:
    ///   - isTTY: whether the output is a terminal (`isatty(1) == 1` for standard output).
    ///   - environment: the process environment; a non-empty `NO_COLOR` disables colour (no-color.org).
    package init(isTTY: Bool, environment: [String: String], maxValueLength: Int = 200, maxValueLines: Int = 20) {
        usesColor = isTTY && (environment["NO_COLOR"] ?? "").isEmpty
        self.maxValueLength = maxValueLength
        self.maxValueLines = maxValueLines
    }

    /// The whole run: every scenario, leaked sandboxes, then the summary line (newline-terminated).
    package func render(_ run: RunResult) -> String {
        run.scenarios.map(render).joined() + renderSummary(run)
    }

    /// What follows the scenario lines: leaked sandboxes, if any, then the summary line (newline-terminated).
    package func renderSummary(_ run: RunResult) -> String {
        leaks(run.leaks) + summary(run)
    }

    /// One scenario's line, with the failing step and its mismatches below it when it failed (newline-terminated).
    package func render(_ scenario: ScenarioResult) -> String {
        let (label, color) =
            switch scenario.outcome {
            case .passed: ("PASS ", ANSI.green)
            case .failed: ("FAIL ", ANSI.red)
            case .error: ("ERROR", ANSI.magenta)
            case .skipped: ("SKIP ", ANSI.yellow)
            }
        let title = "\(clean(scenario.file)) › \(clean(scenario.name))"
        let timing = "(\(ReportTime.wholeMilliseconds(scenario.duration)) ms)"
        var lines = ["\(paint(label, color, bold: true)) \(title)  \(paint(timing, ANSI.dim))"]
        switch scenario.outcome {
        case .passed:
            break
        case .skipped:
            if let reason = scenario.skipReason, !reason.isEmpty { lines.append(detail("skipped: \(clean(reason))")) }
        case .failed, .error:
            lines += failureDetails(scenario)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `N passed, N failed, N errors, N skipped in 1.23s` (newline-terminated).
    package func summary(_ run: RunResult) -> String {
        func count(_ outcome: Outcome) -> Int { run.scenarios.count { $0.outcome == outcome } }
        let (passed, failed, errors, skipped) = (count(.passed), count(.failed), count(.error), count(.skipped))
        let counts = [
            paint("\(passed) passed", passed > 0 ? ANSI.green : nil),
            paint("\(failed) failed", failed > 0 ? ANSI.red : nil),
            paint("\(errors) errors", errors > 0 ? ANSI.magenta : nil),
            paint("\(skipped) skipped", skipped > 0 ? ANSI.yellow : nil)
        ]
        return counts.joined(separator: ", ") + " in \(ReportTime.shortSeconds(run.duration))s\n"
    }

    // MARK: - Details

    private func failureDetails(_ scenario: ScenarioResult) -> [String] {
        var lines: [String] = []
        let step = scenario.steps.first { $0.outcome == scenario.outcome } ?? scenario.failingStep
        if let step {
            let place = step.location.map { " at \(clean($0.description))" } ?? ""
            let status = step.httpStatus.map { ", HTTP \($0)" } ?? ""
            lines.append(detail("step '\(clean(step.name))' (\(step.operation))\(place)\(status)"))
            if let error = step.errorMessage {
                lines.append(detail("  error: " + value(error, indent: 15)))
            }
            for mismatch in step.mismatches {
                lines.append(detail("  \(clean(mismatch.what))"))
                lines.append(detail("    " + paint("expected:", ANSI.green) + " " + value(mismatch.expected, indent: 20)))
                lines.append(detail("    " + paint("actual:", ANSI.red) + "   " + value(mismatch.actual, indent: 20)))
            }
            if let output = step.output { lines += outputTail(output) }
        }
        for problem in scenario.cleanupProblems {
            lines.append(detail("clean-up: " + value(problem, indent: 16)))
        }
        if lines.isEmpty { lines.append(detail("no step recorded a mismatch or an error")) }
        return lines
    }

    /// The failed step's stderr and stdout ends, whole (they are already capped to ``OutputTail/maxLines``).
    private func outputTail(_ output: OutputTail) -> [String] {
        var lines: [String] = []
        for (name, text) in [("stderr", output.stderr), ("stdout", output.stdout)] where !text.isEmpty {
            let count = text.split(separator: "\n", omittingEmptySubsequences: false).count
            lines.append(detail("  \(name) (last \(count) line\(count == 1 ? "" : "s")\(output.truncated ? ", cut" : "")):"))
            lines += clean(text).split(separator: "\n", omittingEmptySubsequences: false).map { detail("    | " + $0) }
        }
        return lines
    }

    private func leaks(_ leaks: [String]) -> String {
        guard !leaks.isEmpty else { return "" }
        let noun = leaks.count == 1 ? "sandbox" : "sandboxes"
        let header = paint("LEAK ", ANSI.red, bold: true) + " \(leaks.count) \(noun) still alive after clean-up"
        return ([header] + leaks.map { detail("- \(clean($0))") }).joined(separator: "\n") + "\n"
    }

    /// A value cut to the configured length and line count, continuation lines indented by `indent`.
    private func value(_ text: String, indent: Int) -> String {
        var lines = clean(text).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.count > maxValueLength ? String($0.prefix(maxValueLength)) + "…" : String($0) }
        if lines.count > maxValueLines {
            let hidden = lines.count - maxValueLines
            lines = Array(lines.prefix(maxValueLines)) + ["… (\(hidden) more lines)"]
        }
        return ReportText.indentingContinuationLines(lines.joined(separator: "\n"), by: indent)
    }

    private func detail(_ text: String) -> String { "      " + text }

    /// Untrusted text without escape sequences or raw control characters (tabs and newlines kept).
    private func clean(_ text: String) -> String {
        ReportText.sanitized(text).replacingCarriageReturns()
    }

    private func paint(_ text: String, _ color: String?, bold: Bool = false) -> String {
        guard usesColor, let color else { return text }
        return (bold ? ANSI.bold : "") + color + text + ANSI.reset
    }

}

extension String {
    /// CR moves the cursor back over what was printed; show it as a line break instead.
    fileprivate func replacingCarriageReturns() -> String {
        var out = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = scalar == "\r"
            out.append(previousWasCR ? "\n" : scalar)
        }
        return String(out)
    }
}
