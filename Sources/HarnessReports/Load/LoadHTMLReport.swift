package import HarnessCore

/// Renders a load run as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets.
///
/// The page has a header (scenario, verdict, file, target, plan, start, duration), the thresholds, the
/// summary table, and three charts, each an `<svg>` with an `id` and a `<title>`:
/// `latency-over-time` (step p50/p99 per timeline point), `percentile-distribution` (session and
/// execute latency by percentile on a nines scale, from the HDR histograms) and `throughput-errors`
/// (requests/s and sessions finished/s as lines, errors/s as red bars). Hovering a time slice or a
/// percentile marker shows its numbers (SVG `<title>` tooltips).
///
/// ```swift
/// try LoadHTMLReport.write(result, to: "reports/hello.html")
/// ```
package enum LoadHTMLReport {
    /// The HTML document for `result`.
    package static func render(_ result: LoadResult) -> String {
        let verdict = LoadVerdict(result)
        let name = HTML.escape(result.scenario)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="sandbench">
            <title>\(name) · load \(verdict.rawValue.lowercased()) · sandbench</title>
            <style>\(style)</style>
            </head>
            <body>
            <main>

            """
        html += header(result, verdict: verdict)
        html += notices(result)
        html += thresholds(result)
        html += summary(result)
        html += figure(
            "Latency over time", latencyOverTime(result),
            caption: "Latency of every step, measured from its intended start (corrected for coordinated omission), "
                + "per \(LoadText.compact(result.timeline.first?.width ?? 1)) s slice. Hover a slice for its numbers.")
        html += figure(
            "Latency distribution", percentileDistribution(result),
            caption: "Latency by percentile from the full HDR histograms, measured from the intended start (solid) "
                + "and as service time only (dashed). Hover a dot for its value.")
        html += figure(
            "Throughput and errors", throughputAndErrors(result),
            caption: "Requests and finished sessions per second; per second, steps that errored (transport, protocol or "
                + "server errors) in red and steps whose expectation failed in orange.")
        html += """
            <footer>sandbench load report · \(HTML.escape(LoadJSONReport.format))</footer>
            </main>
            </body>
            </html>

            """
        return html
    }

    /// Renders `result` and writes it to `path`, creating missing directories.
    ///
    /// - Throws: ``ReportError`` when the file cannot be written.
    package static func write(_ result: LoadResult, to path: String) throws {
        try ReportFile.write(Array(render(result).utf8), to: path)
    }

    // MARK: - Sections

    static func header(_ r: LoadResult, verdict: LoadVerdict) -> String {
        let c = r.counters
        let facts: [(String, String)] = [
            ("file", r.file),
            ("target", r.target),
            ("plan", LoadText.plan(r.plan) + (r.shard.map { "; shard \($0)" } ?? "")),
            ("started", ReportTime.isoTimestampWithoutZone(r.startedAt).replacing("T", with: " ") + " UTC"),
            ("duration", LoadText.duration(r.seconds)),
            (
                "sessions",
                "\(c.sessionsStarted) started, \(c.sessionsFinished) finished, \(c.sessionsFailed) failed, "
                    + "\(c.sessionsErrored) errored, \(c.dropped) dropped"
            )
        ]
        var html = "<header>\n<p class=\"kicker\">sandbench load</p>\n"
        html += "<h1>\(HTML.escape(r.scenario)) <span class=\"badge \(verdict.rawValue.lowercased())\">\(verdict.rawValue)</span></h1>\n"
        html += "<dl class=\"facts\">\n"
        for (term, value) in facts {
            html += "<div><dt>\(term)</dt><dd>\(HTML.escape(value))</dd></div>\n"
        }
        return html + "</dl>\n</header>\n"
    }

    static func notices(_ r: LoadResult) -> String {
        var html = ""
        if let reason = r.aborted {
            html += "<p class=\"notice\"><strong>Aborted:</strong> \(HTML.escape(reason)). The numbers cover only part of the plan.</p>\n"
        }
        if !r.leaks.isEmpty {
            html +=
                "<div class=\"notice\"><strong>\(LoadText.sandboxes(r.leaks.count)) still alive after clean-up</strong> "
                + "(delete them by hand):<ul>"
            html += r.leaks.map { "<li><code>\(HTML.escape($0))</code></li>" }.joined()
            html += "</ul></div>\n"
        }
        return html
    }

    static func thresholds(_ r: LoadResult) -> String {
        guard !r.thresholds.isEmpty else { return "" }
        var html = "<section>\n<h2>Thresholds</h2>\n<ul class=\"thresholds\">\n"
        for t in r.thresholds {
            // The summary is `SOURCE: ACTUAL`; show the source as code and the actual beside it.
            let prefix = t.threshold.source + ": "
            let actual = t.summary.hasPrefix(prefix) ? String(t.summary.dropFirst(prefix.count)) : t.summary
            html +=
                "<li class=\"\(t.passed ? "pass" : "fail")\"><span class=\"mark\">\(t.passed ? "✓" : "✗")</span>"
                + "<code>\(HTML.escape(t.threshold.source))</code> <span class=\"actual\">\(HTML.escape(actual))</span></li>\n"
        }
        return html + "</ul>\n</section>\n"
    }

    static func summary(_ r: LoadResult) -> String {
        var html = "<section>\n<h2>Summary</h2>\n<div class=\"scroll\"><table class=\"summary\">\n<thead><tr><th>metric</th>"
        html += LoadTable.columns.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for section in LoadTable.sections(r) {
            if let title = section.title {
                html += "<tr class=\"section\"><th colspan=\"\(LoadTable.columns.count + 1)\">\(title)</th></tr>\n"
            }
            for m in section.metrics {
                let cells = LoadTable.cells(m)
                html += "<tr\(section.title == nil ? " class=\"total\"" : "")><th>\(HTML.escape(m.name))</th>"
                html += cells.enumerated().map { i, cell in
                    let bad = i >= cells.count - LoadTable.badColumns && cell != "0"
                    return "<td\(bad ? " class=\"bad\"" : "")>\(HTML.escape(cell))</td>"
                }.joined()
                html += "</tr>\n"
            }
        }
        let c = r.counters
        html +=
            "</tbody>\n</table></div>\n<p class=\"note\">Latencies are measured from each request's intended start "
            + "(coordinated-omission corrected). \(c.steps) steps, \(c.stepErrors) errors, \(c.stepFailures) failed expectations.</p>\n"
            + "</section>\n"
        return html
    }

    static func figure(_ heading: String, _ svg: String, caption: String) -> String {
        "<section>\n<h2>\(HTML.escape(heading))</h2>\n<figure>\n\(svg)\n"
            + "<figcaption>\(HTML.escape(caption))</figcaption>\n</figure>\n</section>\n"
    }

    static let style = """

        :root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--soft); color: var(--fg); \
        font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
        header, section { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; \
        padding: 16px 20px; margin-bottom: 16px; }
        .kicker { margin: 0; color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .06em; }
        h1 { margin: 4px 0 12px; font-size: 26px; overflow-wrap: anywhere; }
        h2 { margin: 0 0 12px; font-size: 18px; }
        .badge { display: inline-block; vertical-align: middle; font-size: 13px; font-weight: 600; \
        padding: 2px 10px; border-radius: 999px; color: #fff; }
        .badge.passed { background: #1a7f37; } .badge.failed { background: #cf222e; } .badge.aborted { background: #9a6700; }
        .facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 6px 24px; margin: 0; }
        .facts div { display: flex; gap: 10px; min-width: 0; }
        .facts dt { color: var(--muted); min-width: 64px; }
        .facts dd { margin: 0; overflow-wrap: anywhere; }
        .notice { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 8px; padding: 12px 16px; margin: 0 0 16px; }
        .notice ul { margin: 6px 0 0; }
        .thresholds { list-style: none; margin: 0; padding: 0; }
        .thresholds li { padding: 4px 0; }
        .thresholds .mark { display: inline-block; width: 22px; font-weight: 700; }
        .thresholds .pass .mark { color: #1a7f37; } .thresholds .fail .mark { color: #cf222e; }
        .thresholds .fail .actual { color: #cf222e; font-weight: 600; }
        code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; \
        background: var(--soft); padding: 1px 5px; border-radius: 4px; }
        .scroll { overflow-x: auto; }
        table.summary { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 14px; }
        .summary th, .summary td { padding: 5px 10px; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
        .summary th:first-child { text-align: left; font-weight: 500; max-width: 280px; overflow: hidden; text-overflow: ellipsis; }
        .summary thead th { color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); }
        .summary tr.section th { text-align: left; color: var(--muted); font-weight: 600; font-size: 12px; \
        text-transform: uppercase; letter-spacing: .05em; background: var(--soft); }
        .summary tr.total th, .summary tr.total td { font-weight: 700; border-top: 2px solid var(--line); }
        .summary td.bad { color: #cf222e; font-weight: 700; }
        .note, figcaption { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
        figure { margin: 0; }
        svg.chart { display: block; width: 100%; height: auto; }
        svg.chart text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #57606a; }
        svg.chart .label { font-size: 13px; fill: #1f2328; }
        svg.chart .legend text { font-size: 13px; fill: #1f2328; }
        svg.chart .no-data { font-size: 16px; fill: #8c959f; }
        svg.chart .plot-bg { fill: #fbfcfd; stroke: none; }
        svg.chart .grid line { stroke: #eaeef2; stroke-width: 1; }
        svg.chart .axis line { stroke: #8c959f; stroke-width: 1; }
        svg.chart .bands rect { fill: transparent; }
        svg.chart .bands rect:hover { fill: rgba(31, 35, 40, .07); }
        svg.chart .marker:hover { r: 6; }
        footer { color: var(--muted); font-size: 12px; text-align: center; }

        """
}
