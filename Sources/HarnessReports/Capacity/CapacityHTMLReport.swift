package import HarnessCore

/// Renders a capacity search as one self-contained HTML page (inline CSS and SVG, no scripts), styled
/// as the load report.
///
/// The page has a header (scenario, verdict, capacity and bracket, search, objectives), the chart
/// `capacity-knee` (session p50 and p99 against the arrival rate, one dot per step — green passed,
/// red failed, hover for its numbers — and the found capacity marked as a dashed line), and a table
/// of the steps in the order they ran with the objectives each missed.
///
/// ```swift
/// try CapacityHTMLReport.write(result, to: "reports/capacity.html")
/// ```
package enum CapacityHTMLReport {
    /// The HTML document for `result`.
    package static func render(_ result: CapacityResult) -> String {
        let verdict = result.aborted != nil ? "ABORTED" : result.found ? "FOUND" : "NONE"
        let badge = result.aborted != nil ? "aborted" : result.found ? "passed" : "failed"
        let name = HTML.escape(result.scenario)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="sandbench">
            <title>\(name) · capacity \(verdict.lowercased()) · sandbench</title>
            <style>\(LoadHTMLReport.style)</style>
            </head>
            <body>
            <main>

            """
        html += header(result, verdict: verdict, badge: badge)
        if let reason = result.aborted {
            html += "<p class=\"notice\"><strong>Aborted:</strong> \(HTML.escape(reason)). The steps below are those that finished.</p>\n"
        }
        if !result.leaks.isEmpty {
            html += "<div class=\"notice\"><strong>\(LoadText.sandboxes(result.leaks.count)) still alive after clean-up</strong>:<ul>"
            html += result.leaks.map { "<li><code>\(HTML.escape($0))</code></li>" }.joined() + "</ul></div>\n"
        }
        html += LoadHTMLReport.figure(
            "Latency against arrival rate", chart(result),
            caption: "Session latency of each step's judged part (after the settle period), measured from the intended start, "
                + "against the step's arrival rate; green dots passed every objective, red ones missed one. "
                + "The dashed line is the capacity found. Hover a dot for its numbers.")
        html += table(result)
        html += operationsTable(result)
        html += """
            <footer>sandbench capacity report · \(HTML.escape(CapacityJSONReport.format))</footer>
            </main>
            </body>
            </html>

            """
        return html
    }

    /// Renders `result` and writes it to `path`, creating missing directories.
    /// - Throws: ``ReportError`` when the file cannot be written.
    package static func write(_ result: CapacityResult, to path: String) throws {
        try ReportFile.write(Array(render(result).utf8), to: path)
    }

    static func header(_ r: CapacityResult, verdict: String, badge: String) -> String {
        let s = r.search
        let facts: [(String, String)] = [
            ("result", String(CapacityText.summary(r).trimmingPrefix("capacity: "))),
            ("file", r.file),
            ("target", r.target),
            (
                "search",
                "from \(CapacityText.rate(s.start)) ×\(LoadText.compact(s.growth)) up to \(CapacityText.rate(s.max)), then halving "
                    + "to \(LoadText.compact(s.resolution * 100))%; at most \(s.maxSteps) steps"
            ),
            (
                "steps",
                "\(LoadText.planDuration(r.stepDuration)) each, the first \(LoadText.planDuration(r.settle)) not judged; "
                    + "at most \(r.maxInFlight) in flight; a failing step is run \(r.rechecks) more time(s) before its rate fails"
            ),
            ("SLOs", r.objectives.joined(separator: ", ")),
            ("started", ReportTime.isoTimestampWithoutZone(r.startedAt).replacing("T", with: " ") + " UTC"),
            ("duration", LoadText.duration(r.seconds))
        ]
        var html = "<header>\n<p class=\"kicker\">sandbench capacity</p>\n"
        html += "<h1>\(HTML.escape(r.scenario)) <span class=\"badge \(badge)\">\(verdict)</span></h1>\n<dl class=\"facts\">\n"
        for (term, value) in facts { html += "<div><dt>\(term)</dt><dd>\(HTML.escape(value))</dd></div>\n" }
        return html + "</dl>\n</header>\n"
    }

    /// Session p50 and p99 (ms) against the rate, a dot per step, the capacity as a dashed line.
    static func chart(_ r: CapacityResult) -> String {
        let measured = r.steps.filter { $0.result.session.count > 0 }
        // The lines go through the run that decided each rate (its last: the pass, or the failure that stood).
        var deciding: [Double: CapacityStep] = [:]
        for step in measured { deciding[step.rate] = step }
        let byRate = deciding.values.sorted { $0.rate < $1.rate }
        let green = LoadHTMLReport.green
        let red = LoadHTMLReport.red
        func line(_ p: KeyPath<MetricSummary, Double>) -> [(x: Double, y: Double)?] {
            byRate.map { ($0.rate, $0.result.session[keyPath: p] * 1e3) }
        }
        let markers = measured.map { step in
            SVGChart.Marker(
                x: step.rate, y: step.result.session.p99 * 1e3, color: step.passed ? green : red,
                tooltip: CapacityText.stepLine(step))
        }
        let highest = (r.steps.map(\.rate).max() ?? 1) * 1.05
        let rules =
            r.capacity.map { [SVGChart.Rule(x: $0, color: LoadHTMLReport.purple, label: "capacity \(CapacityText.rate($0))")] } ?? []
        let chart = SVGChart(
            id: "capacity-knee", title: "Session latency against arrival rate (p50 and p99, ms), capacity marked",
            xAxis: .linear(end: SVGChart.ticks(upTo: highest).last ?? highest, unit: "/s"), xLabel: "arrival rate (sessions/s)",
            yLabel: "session latency (ms)",
            series: [
                .init(name: "p50", color: LoadHTMLReport.blue, style: .line(dashed: false), points: line(\.p50)),
                .init(name: "p99", color: LoadHTMLReport.orange, style: .line(dashed: false), points: line(\.p99))
            ],
            markers: markers, rules: rules)
        return chart.render(emptyNote: "no data: no step finished a session")
    }

    static func table(_ r: CapacityResult) -> String {
        let columns = ["step", "rate", "verdict", "sessions", "dropped", "errors", "failed", "p50", "p99", "missed"]
        var html = "<section>\n<h2>Steps</h2>\n<div class=\"scroll\"><table class=\"summary\">\n<thead><tr>"
        html += columns.map { "<th>\($0)</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for step in r.steps {
            let result = step.result
            let c = result.counters
            var missed = step.breaches.map(\.summary)
            if let aborted = result.aborted { missed.append(aborted) }
            let cells = [
                String(step.index), CapacityText.rate(step.rate), CapacityText.verdict(step), String(c.sessionsStarted),
                String(c.dropped), String(c.stepErrors), String(c.stepFailures), LoadText.duration(result.session.p50),
                LoadText.duration(result.session.p99)
            ]
            html += "<tr><th>\(cells[0])</th>"
            html += cells.dropFirst().map { cell in "<td\(cell.hasPrefix("FAIL") ? " class=\"bad\"" : "")>\(HTML.escape(cell))</td>" }
                .joined()
            let missedText = HTML.escape(missed.joined(separator: "; "))
            html += "<td style=\"text-align:left; white-space:normal; min-width:320px\">\(missedText)</td></tr>\n"
        }
        return html
            + "</tbody>\n</table></div>\n<p class=\"note\">Latencies are of whole sessions intended after each step's settle period, "
            + "measured from the intended start (coordinated-omission corrected).</p>\n</section>\n"
    }

    /// Per operation (create, execute, request, …) and step: p50 / p99 from the intended start, so
    /// the knee shows which operation gave first.
    static func operationsTable(_ r: CapacityResult) -> String {
        var names: [String] = []
        for step in r.steps {
            for operation in step.result.operations where !names.contains(operation.name) { names.append(operation.name) }
        }
        guard !names.isEmpty else { return "" }
        var html = "<section>\n<h2>Operations per step (p50 / p99)</h2>\n<div class=\"scroll\"><table class=\"summary\">\n<thead><tr>"
        html += (["step", "rate"] + names).map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for step in r.steps {
            html += "<tr><th>\(step.index)</th><td>\(HTML.escape(CapacityText.rate(step.rate)))</td>"
            for name in names {
                let cell =
                    step.result.operations.first { $0.name == name }
                    .map { "\(LoadText.duration($0.p50)) / \(LoadText.duration($0.p99))" } ?? "–"
                html += "<td>\(HTML.escape(cell))</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table></div>\n</section>\n"
    }
}
