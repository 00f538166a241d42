package import HarnessParity
import SandboxAPI

/// Renders a parity comparison as one self-contained HTML page (inline CSS, no scripts): a header
/// with both sides and the verdict, then per scenario each step that differs with its differences
/// side by side (path, reference, candidate, the gap that explains it) and both normalised responses
/// in two columns, then stale gaps and latency per operation.
///
/// ```swift
/// try ParityHTMLReport.write(result, to: "reports/parity.html")
/// ```
package enum ParityHTMLReport {
    /// Largest response shown in full per side, in UTF-8 bytes.
    static let maxResponseBytes = 64 * 1024

    /// The HTML document.
    package static func render(_ result: ParityResult) -> String {
        let verdict = result.passed ? "passed" : "failed"
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="sandbench">
            <title>parity \(verdict) · \(HTML.escape(result.reference)) → \(HTML.escape(result.candidate)) · sandbench</title>
            <style>\(LoadHTMLReport.style)\(style)</style>
            </head>
            <body>
            <main>

            """
        html += header(result, verdict: verdict)
        if !result.problems.isEmpty {
            html += "<div class=\"notice\"><strong>Problems</strong><ul>\n"
            html += result.problems.map { "<li>\(HTML.escape($0))</li>\n" }.joined()
            html += "</ul></div>\n"
        }
        for scenario in result.scenarios { html += section(scenario) }
        html += staleGaps(result)
        html += latency(result)
        html += "<footer>sandbench parity report · \(HTML.escape(ParityJSONReport.format))</footer>\n</main>\n</body>\n</html>\n"
        return html
    }

    /// Renders `result` and writes it to `path`, creating missing directories.
    /// - Throws: ``ReportError`` when the file cannot be written.
    package static func write(_ result: ParityResult, to path: String) throws {
        try ReportFile.write(Array(render(result).utf8), to: path)
    }

    static func header(_ result: ParityResult, verdict: String) -> String {
        let facts: [(String, String)] = [
            ("reference", result.reference),
            ("candidate", result.candidate),
            ("gaps", result.gapsFile ?? "none"),
            ("started", ReportTime.isoTimestampWithoutZone(result.startedAt).replacing("T", with: " ") + " UTC"),
            ("steps", ParityText.counts(result)),
            ("stale gaps", String(result.staleGaps.count))
        ]
        var html = "<header>\n<p class=\"kicker\">sandbench parity</p>\n"
        html +=
            "<h1>\(HTML.escape(result.candidate)) vs \(HTML.escape(result.reference)) "
            + "<span class=\"badge \(verdict)\">\(verdict.uppercased())</span></h1>\n<dl class=\"facts\">\n"
        for (term, value) in facts { html += "<div><dt>\(term)</dt><dd>\(HTML.escape(value))</dd></div>\n" }
        return html + "</dl>\n</header>\n"
    }

    static func section(_ scenario: ScenarioComparison) -> String {
        let verdict = scenario.skipReason == nil ? scenario.verdict.rawValue : "skipped"
        var html = "<section>\n<h2>\(HTML.escape(scenario.name)) <span class=\"verdict \(verdict)\">\(verdict)</span></h2>\n"
        html += "<p class=\"note\">\(HTML.escape(scenario.file))</p>\n"
        if let reason = scenario.skipReason { html += "<p>Skipped on both sides: \(HTML.escape(reason))</p>\n" }
        if !scenario.problems.isEmpty {
            html += "<ul class=\"problems\">" + scenario.problems.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
        }
        if !scenario.steps.isEmpty {
            html += "<ol class=\"steps\">\n"
            for step in scenario.steps { html += self.step(step) }
            html += "</ol>\n"
        }
        return html + "</section>\n"
    }

    static func step(_ step: StepComparison) -> String {
        var html =
            "<li class=\"\(step.verdict.rawValue)\"><span class=\"step\">\(HTML.escape(step.name))</span> "
            + "<span class=\"verdict \(step.verdict.rawValue)\">\(HTML.escape(ParityText.describe(step.verdict)))</span>"
        guard step.verdict != .same else { return html + "</li>\n" }
        if !step.problems.isEmpty {
            html += "<ul class=\"problems\">" + step.problems.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        }
        if let shape = step.errorShape {
            html +=
                "<p class=\"shape\">error shape \(shape.matches ? "same" : "<strong>different</strong>"): "
                + "<code>\(HTML.escape(shape.reference?.description ?? "(no response)"))</code> → "
                + "<code>\(HTML.escape(shape.candidate?.description ?? "(no response)"))</code></p>"
        }
        if !step.differences.isEmpty {
            html +=
                "<div class=\"scroll\"><table class=\"diff\"><thead><tr><th>path</th><th>reference</th><th>candidate</th>"
                + "<th>known gap</th></tr></thead><tbody>\n"
            for difference in step.unexplained + step.differences.filter({ $0.gap != nil }) {
                let gap =
                    difference.gap.map { gap in
                        "\(HTML.escape(gap.reason)) <span class=\"note\">(\(HTML.escape(gap.location.file)):\(gap.location.line), "
                            + "\(HTML.escape(gap.date)))</span>"
                    } ?? ""
                html +=
                    "<tr class=\"\(difference.gap == nil ? "unexplained" : "explained")\">"
                    + "<td><code>\(HTML.escape(difference.path.description))</code></td>"
                    + "<td><pre>\(HTML.escape(ParityText.value(difference.reference)))</pre></td>"
                    + "<td><pre>\(HTML.escape(ParityText.value(difference.candidate)))</pre></td><td>\(gap)</td></tr>\n"
            }
            if step.moreDifferences > 0 {
                html += "<tr><td colspan=\"4\">… and \(step.moreDifferences) more difference(s) not listed</td></tr>\n"
            }
            html += "</tbody></table></div>"
        }
        if step.reference?.response != nil || step.candidate?.response != nil {
            html += "<details><summary>Responses, normalised</summary><div class=\"sides\">"
            for (side, record) in [("reference", step.reference), ("candidate", step.candidate)] {
                let text = record?.response.map(PrettyJSON.render) ?? "(no response)"
                html += "<div><h3>\(side)</h3><pre>\(HTML.escape(ReportText.capped(text, maxBytes: maxResponseBytes)))</pre></div>"
            }
            html += "</div></details>"
        }
        return html + "</li>\n"
    }

    static func staleGaps(_ result: ParityResult) -> String {
        guard !result.staleGaps.isEmpty else { return "" }
        var html = "<section>\n<h2>Stale gaps</h2>\n<p class=\"note\">Known gaps that explained no difference in this run.</p><ul>\n"
        for stale in result.staleGaps {
            html +=
                "<li><code>\(HTML.escape(stale.gap.summary))</code> — \(HTML.escape(stale.why)) "
                + "<span class=\"note\">(\(HTML.escape(stale.gap.location.description)); \(HTML.escape(stale.gap.reason)))</span></li>\n"
        }
        return html + "</ul>\n</section>\n"
    }

    static func latency(_ result: ParityResult) -> String {
        guard !result.latency.isEmpty else { return "" }
        func ms(_ seconds: Double) -> String { ReportTime.fixed(Int64((seconds * 1e6).rounded()), decimals: 3) }
        func ratio(_ r: Double?) -> String { r.map { ReportTime.fixed(Int64(($0 * 100).rounded()), decimals: 2) } ?? "–" }
        let bound = result.latencyBound.map { "fails above ×\($0)" } ?? "reported only (no --latency-ratio)"
        var html = "<section>\n<h2>Latency</h2>\n<p class=\"note\">Candidate / reference, per operation; \(HTML.escape(bound)).</p>\n"
        html +=
            "<div class=\"scroll\"><table class=\"summary\"><thead><tr><th>operation</th>"
            + "<th>reference p50 ms</th><th>candidate p50 ms</th><th>×p50</th>"
            + "<th>reference p99 ms</th><th>candidate p99 ms</th><th>×p99</th><th>samples</th></tr></thead><tbody>\n"
        for l in result.latency {
            let bad = l.exceeded ? " class=\"bad\"" : ""
            html +=
                "<tr><th>\(HTML.escape(l.operation))</th><td>\(ms(l.referenceP50))</td><td>\(ms(l.candidateP50))</td>"
                + "<td\(bad)>\(ratio(l.ratioP50))</td><td>\(ms(l.referenceP99))</td><td>\(ms(l.candidateP99))</td>"
                + "<td\(bad)>\(ratio(l.ratioP99))</td><td>\(l.referenceCount) / \(l.candidateCount)</td></tr>\n"
        }
        return html + "</tbody></table></div>\n</section>\n"
    }

    static let style = """
        .verdict { font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 999px; background: var(--soft);
                   border: 1px solid var(--line); }
        .verdict.different, .verdict.error { color: #cf222e; border-color: #cf222e; }
        .verdict.explained { color: #9a6700; border-color: #d4a72c; }
        .verdict.same { color: #1a7f37; }
        ol.steps { padding-left: 22px; margin: 0; }
        ol.steps > li { padding: 6px 0; border-bottom: 1px solid var(--line); }
        .step { font-weight: 600; }
        table.diff { border-collapse: collapse; width: 100%; margin-top: 8px; font-size: 13px; table-layout: fixed; }
        .diff th, .diff td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; \
        text-align: left; overflow-wrap: anywhere; }
        .diff thead th { background: var(--soft); color: var(--muted); }
        .diff tr.unexplained td:first-child { border-left: 4px solid #cf222e; }
        .diff tr.explained td:first-child { border-left: 4px solid #d4a72c; }
        pre { margin: 0; white-space: pre-wrap; word-break: break-word; \
        font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        .sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
        .sides h3 { font-size: 13px; margin: 6px 0; color: var(--muted); }
        .sides pre { background: var(--soft); padding: 8px; border-radius: 6px; max-height: 480px; overflow: auto; }
        .problems { color: #cf222e; margin: 4px 0; }
        .badge.failed { background: #cf222e; } .badge.passed { background: #1a7f37; }

        """
}
