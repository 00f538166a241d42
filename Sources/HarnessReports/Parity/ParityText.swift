import HarnessParity
import SandboxAPI

/// The text every parity report shares: compact diffs, values, latency lines.
enum ParityText {
    /// Longest value shown in a diff line before it is cut.
    static let maxValueLength = 300

    /// A JSON value for people: strings quoted with escapes, cut at ``maxValueLength``; nil is `(absent)`.
    static func value(_ value: JSONValue?) -> String {
        guard let value else { return "(absent)" }
        let text = value.jsonString
        guard text.count > maxValueLength else { return text }
        return String(text.prefix(maxValueLength)) + "… (\(text.utf8.count) bytes)"
    }

    /// `~ path`, `- path (reference only)`, `+ path (candidate only)`, with the gap that explains it.
    static func heading(_ difference: Difference) -> String {
        let side =
            switch difference.mark {
            case "-": " (reference only)"
            case "+": " (candidate only)"
            default: ""
            }
        let gap = difference.gap.map { "  [known gap: \($0.reason) — \($0.location.file):\($0.location.line)]" } ?? ""
        return "\(difference.mark) \(difference.path)\(side)\(gap)"
    }

    /// The compact diff of a step: each difference with both values, unexplained ones first.
    static func diff(_ step: StepComparison, indent: String = "", limit: Int = Int.max) -> [String] {
        var lines: [String] = []
        let ordered = step.unexplained + step.differences.filter { $0.gap != nil }
        for difference in ordered.prefix(limit) {
            lines.append(indent + heading(difference))
            lines.append(indent + "    reference: " + value(difference.reference))
            lines.append(indent + "    candidate: " + value(difference.candidate))
        }
        let unlisted = step.moreDifferences + max(0, ordered.count - limit)
        if unlisted > 0 {
            lines.append(indent + "… and \(unlisted) more difference(s) not listed")
        }
        return lines
    }

    /// Problems, error shape and diff of a step, as a report body.
    static func body(_ step: StepComparison, scenario: ScenarioComparison) -> String {
        var lines = [
            "step '\(step.name)' (\(step.operation)) of scenario '\(scenario.name)' in \(scenario.file): "
                + describe(step.verdict)
        ]
        lines += step.problems.map { "  " + $0 }
        if let shape = step.errorShape {
            lines.append("  error shape: \(shape.matches ? "same" : "different")")
            lines.append("    reference: " + (shape.reference?.description ?? "(no response)"))
            lines.append("    candidate: " + (shape.candidate?.description ?? "(no response)"))
        }
        lines += diff(step, indent: "  ")
        return lines.joined(separator: "\n")
    }

    /// One line per verdict, for people.
    static func describe(_ verdict: StepComparison.Verdict) -> String {
        switch verdict {
        case .same: "same"
        case .explained: "differences explained by known gaps"
        case .different: "unexplained differences"
        case .error: "error"
        }
    }

    /// `execute  p50 0.91 ms → 1.20 ms (×1.32)  p99 …`.
    static func latency(_ latency: OperationLatency) -> String {
        func ms(_ seconds: Double) -> String { ReportTime.fixed(Int64((seconds * 1e6).rounded()), decimals: 3) + " ms" }
        func ratio(_ r: Double?) -> String { r.map { "×" + ReportTime.fixed(Int64(($0 * 100).rounded()), decimals: 2) } ?? "×-" }
        var text =
            "\(latency.operation): p50 \(ms(latency.referenceP50)) → \(ms(latency.candidateP50)) (\(ratio(latency.ratioP50))), "
            + "p99 \(ms(latency.referenceP99)) → \(ms(latency.candidateP99)) (\(ratio(latency.ratioP99))); "
            + "\(latency.referenceCount) / \(latency.candidateCount) samples"
        if let bound = latency.bound {
            text += latency.exceeded ? "; over the bound ×\(bound)" : "; within the bound ×\(bound)"
        }
        return text
    }

    /// Summary counts: `4 steps: 2 same, 1 explained by gaps, 1 different, 0 errors`.
    static func counts(_ result: ParityResult) -> String {
        "\(result.steps.count) step(s) compared: \(result.count(.same)) same, \(result.count(.explained)) explained by known gaps, "
            + "\(result.count(.different)) different, \(result.count(.error)) error(s)"
    }
}
