package import HarnessParity

/// Renders a parity comparison for a terminal: a line per scenario, a compact diff under each step
/// that differs, then stale gaps, latency per operation and a summary.
///
/// ```
/// DIFF  scenarios/parity.yaml › long output
///       2-execute: unexplained differences
///         ~ outputs[0].msg_out
///             reference: "0123456789…"
///             candidate: "0123456789abcdef\n[output truncated: …]"
/// SAME  scenarios/parity.yaml › lifecycle  (3 steps)
/// stale gap: * › outputs[*].msg_err (parity-gaps.yaml:4): no longer differs
/// latency execute: p50 0.912 ms → 0.887 ms (×0.97), …
/// parity: 5 step(s) compared: 4 same, 0 explained by known gaps, 1 different, 0 error(s) — FAIL
/// ```
package struct ParityConsole: Sendable {
    /// Whether output carries ANSI colour codes.
    package var usesColor: Bool
    /// Most differences listed per step (reports list them all).
    static let maxDifferencesShown = 20

    /// Colours only a TTY whose environment does not set `NO_COLOR`.
    package init(isTTY: Bool, environment: [String: String]) {
        usesColor = isTTY && (environment["NO_COLOR"] ?? "").isEmpty
    }

    /// The whole comparison, newline-terminated.
    package func render(_ result: ParityResult) -> String {
        var lines: [String] = []
        for scenario in result.scenarios { lines += render(scenario) }
        for problem in result.problems { lines.append(paint("ERROR", ANSI.magenta) + " " + clean(problem)) }
        for stale in result.staleGaps {
            let place = "\(stale.gap.location.file):\(stale.gap.location.line)"
            lines.append(paint("stale gap", ANSI.yellow) + ": \(clean(stale.gap.summary)) (\(clean(place))): " + clean(stale.why))
        }
        for latency in result.latency {
            let line = "latency " + ParityText.latency(latency)
            lines.append(latency.exceeded ? paint(line, ANSI.red) : line)
        }
        let verdict = result.passed ? paint("PASS", ANSI.green) : paint("FAIL", ANSI.red)
        lines.append("parity: \(clean(result.reference)) → \(clean(result.candidate)): " + ParityText.counts(result) + " — " + verdict)
        return lines.joined(separator: "\n") + "\n"
    }

    func render(_ scenario: ScenarioComparison) -> [String] {
        let title = "\(clean(scenario.file)) › \(clean(scenario.name))"
        if let reason = scenario.skipReason { return [paint("SKIP ", ANSI.yellow) + " \(title): \(clean(reason))"] }
        let (label, color) =
            switch scenario.verdict {
            case .same: ("SAME ", ANSI.green)
            case .explained: ("GAPS ", ANSI.yellow)
            case .different: ("DIFF ", ANSI.red)
            case .error: ("ERROR", ANSI.magenta)
            }
        var lines = [paint(label, color) + " \(title)  (\(scenario.steps.count) steps)"]
        lines += scenario.problems.map { "      " + clean($0) }
        for step in scenario.steps where step.verdict != .same {
            lines.append("      \(clean(step.name)): \(ParityText.describe(step.verdict))")
            lines += step.problems.map { "        " + clean($0) }
            if let shape = step.errorShape, !shape.matches {
                let (left, right) = (shape.reference?.description ?? "-", shape.candidate?.description ?? "-")
                lines.append("        error shape: \(clean(left)) → \(clean(right))")
            }
            lines += ParityText.diff(step, indent: "        ", limit: Self.maxDifferencesShown).map(clean)
        }
        return lines
    }

    private func clean(_ text: String) -> String { ReportText.sanitized(text) }

    private func paint(_ text: String, _ color: String) -> String {
        usesColor ? ANSI.bold + color + text + ANSI.reset : text
    }
}
