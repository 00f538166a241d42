package import HarnessCore

/// The console summary printed at the end of `sandbench load`.
///
/// ```swift
/// print(LoadTable.render(result, color: isatty(1) == 1))
/// ```
/// Output looks like:
/// ```
///                   count  rate/s     min     p50     p90     p99   p99.9     max  errors  failed
/// operations
///   create            120    12.0  3.10ms  4.02ms  6.55ms  9.80ms  12.1ms  12.1ms       0       0
///   execute           120    12.0  10.2ms  20.1ms  35.0ms  80.3ms  95.0ms  95.0ms       1       1
/// steps
///   run hello         120    12.0  10.2ms  20.1ms  35.0ms  80.3ms  95.0ms  95.0ms       1       1
/// session             120    12.0  15.0ms  30.2ms  50.1ms   101ms   120ms   120ms       1       1
///
/// sessions    120 started, 120 finished, 1 failed, 1 errored, 0 dropped
/// run time    10.0s
/// thresholds  ✓ execute.p99 < 250ms: 80.3ms
///             ✗ errors.rate < 1%: 1.67%
/// result      FAILED
/// ```
/// `errors` counts steps that ended in a transport, protocol or server error; `failed` counts steps
/// whose expectation was not met.
package enum LoadTable {
    /// The table and the lines below it, without a trailing newline.
    ///
    /// - Parameter color: ANSI colours and `✓`/`✗` marks; without it, plain text with `PASS`/`FAIL`.
    package static func render(_ result: LoadResult, color: Bool) -> String {
        let paint = Paint(enabled: color)
        var lines = table(result, paint: paint)
        lines.append("")
        let c = result.counters
        lines.append(
            label("sessions") + "\(c.sessionsStarted) started, \(c.sessionsFinished) finished, "
                + paint(c.sessionsFailed > 0 ? ANSI.red : nil, "\(c.sessionsFailed) failed") + ", "
                + paint(c.sessionsErrored > 0 ? ANSI.red : nil, "\(c.sessionsErrored) errored") + ", "
                + paint(c.dropped > 0 ? ANSI.yellow : nil, "\(c.dropped) dropped"))
        lines.append(label("run time") + LoadText.duration(result.seconds))
        if let shard = result.shard { lines.append(label("shard") + "\(shard) of the plan (sandbench merge joins the shards' JSON)") }
        for (i, t) in result.thresholds.enumerated() {
            let mark = t.passed ? paint(ANSI.green, color ? "✓" : "PASS") : paint(ANSI.red, color ? "✗" : "FAIL")
            lines.append(label(i == 0 ? "thresholds" : "") + mark + " " + LoadText.oneLine(t.summary))
        }
        if let reason = result.aborted {
            lines.append(label("aborted") + paint(ANSI.red, LoadText.oneLine(reason)))
        }
        if !result.leaks.isEmpty {
            lines.append(label("leaked") + paint(ANSI.red, "\(LoadText.sandboxes(result.leaks.count)) still alive after clean-up"))
            lines += result.leaks.map { label("") + "- " + LoadText.oneLine($0) }
        }
        let verdict = LoadVerdict(result)
        lines.append(label("result") + paint(verdict == .passed ? ANSI.green : ANSI.red, verdict.rawValue, bold: true))
        return lines.joined(separator: "\n")
    }

    /// The metrics in table order: each operation, each step name, then whole sessions.
    static func sections(_ result: LoadResult) -> [(title: String?, metrics: [MetricSummary])] {
        var sections: [(title: String?, metrics: [MetricSummary])] = []
        if !result.operations.isEmpty { sections.append(("operations", result.operations)) }
        if !result.steps.isEmpty { sections.append(("steps", result.steps)) }
        sections.append((nil, [result.session]))
        return sections
    }

    /// Column titles after the name column.
    static let columns = ["count", "rate/s", "min", "p50", "p90", "p99", "p99.9", "max", "errors", "failed"]

    /// How many trailing columns are counts of bad steps (errors, failed), shown red when not 0.
    static let badColumns = 2

    /// The cells of one metric's row after its name; latencies are `-` when nothing was recorded.
    static func cells(_ m: MetricSummary) -> [String] {
        let latencies = [m.min, m.p50, m.p90, m.p99, m.p999, m.max].map { m.count == 0 ? "-" : LoadText.duration($0) }
        return [String(m.count), LoadText.number(m.rate)] + latencies + [String(m.errors), String(m.failures)]
    }

    private static func table(_ result: LoadResult, paint: Paint) -> [String] {
        typealias Row = (name: String, cells: [String])
        var rows: [Row?] = [] // nil: a section title, filled in below
        var titles: [String] = []
        for section in sections(result) {
            let indent = section.title == nil ? "" : "  "
            if let title = section.title {
                rows.append(nil)
                titles.append(title)
            }
            for m in section.metrics {
                rows.append((indent + LoadText.oneLine(m.name), cells(m)))
            }
        }
        let nameWidth = max(rows.compactMap { $0?.name.count }.max() ?? 0, titles.map(\.count).max() ?? 0)
        var widths = columns.map(\.count)
        for case let row? in rows {
            for (i, cell) in row.cells.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        func padRight(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }

        var lines = [paint(ANSI.bold, padRight("", nameWidth) + zip(columns, widths).map { "  " + pad($0, $1) }.joined())]
        var titleIndex = 0
        for row in rows {
            guard let row else {
                lines.append(paint(ANSI.dim, titles[titleIndex]))
                titleIndex += 1
                continue
            }
            var line = padRight(row.name, nameWidth)
            for (i, cell) in row.cells.enumerated() {
                let text = "  " + pad(cell, widths[i])
                line += i >= row.cells.count - badColumns && cell != "0" ? paint(ANSI.red, text) : text
            }
            lines.append(line)
        }
        return lines
    }

    private static func label(_ text: String) -> String {
        text + String(repeating: " ", count: max(1, 12 - text.count))
    }

    /// Wraps text in SGR codes when colour is on.
    private struct Paint {
        var enabled: Bool

        func callAsFunction(_ code: String?, _ text: String, bold: Bool = false) -> String {
            guard enabled, let code else { return text }
            return (bold ? ANSI.bold : "") + code + text + ANSI.reset
        }
    }

}
