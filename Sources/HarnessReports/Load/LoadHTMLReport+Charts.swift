internal import Glibc
import HarnessCore

/// The three charts of the HTML report.
extension LoadHTMLReport {
    static let blue = "#2563eb", orange = "#ea580c", green = "#059669", purple = "#8250df", red = "#dc2626"

    /// Step latency p50 and p99 (corrected, ms) per timeline point.
    static func latencyOverTime(_ r: LoadResult) -> String {
        let points = r.timeline
        func line(_ p: Double) -> [(x: Double, y: Double)?] {
            points.map { t in t.latency.count > 0 ? (t.second + t.width / 2, t.latency.percentile(p) * 1e3) : nil }
        }
        let bands = points.filter { $0.latency.count > 0 }.map { t in
            SVGChart.Band(
                from: t.second, to: t.second + t.width,
                tooltip: "\(span(t)): \(t.latency.count) steps, p50 "
                    + LoadText.duration(t.latency.percentile(50)) + ", p99 " + LoadText.duration(t.latency.percentile(99)))
        }
        let chart = SVGChart(
            id: "latency-over-time", title: "Step latency over time (p50 and p99, ms)",
            xAxis: .time(end: timelineEnd(r)), xLabel: "time since start", yLabel: "latency (ms)",
            series: [
                .init(name: "p50", color: blue, style: .line(dashed: false), points: line(50)),
                .init(name: "p99", color: orange, style: .line(dashed: false), points: line(99))
            ],
            bands: bands)
        return chart.render(emptyNote: "no data: no step finished during the run")
    }

    /// Percentile distribution (nines scale) of session and execute latency from the HDR histograms.
    static func percentileDistribution(_ r: LoadResult) -> String {
        var metrics: [(MetricSummary, String)] = [(r.session, blue)]
        if let execute = r.operations.first(where: { $0.name == "execute" }) { metrics.append((execute, green)) }
        let nines = 4.0
        let xs = stride(from: 0.0, through: nines + 1e-9, by: 0.02).map { $0 }
        let percentiles = xs.map { 100 * (1 - pow(10, -$0)) }
        var series: [SVGChart.Series] = []
        var markers: [SVGChart.Marker] = []
        for (m, color) in metrics where m.count > 0 {
            for (histogram, service) in [(m.stats.corrected, false), (m.stats.service, true)] {
                let values = percentileCurve(histogram, at: percentiles)
                series.append(
                    .init(
                        name: m.name + (service ? " (service time)" : ""), color: color, style: .line(dashed: service),
                        points: zip(xs, values).map { ($0, $1 * 1e3) }))
            }
            for (label, p, x) in [("p50", 50.0, log10(2.0)), ("p90", 90, 1), ("p99", 99, 2), ("p99.9", 99.9, 3), ("p99.99", 99.99, 4)] {
                let value = m.stats.corrected.percentile(p)
                markers.append(
                    .init(
                        x: x, y: value * 1e3, color: color,
                        tooltip: "\(m.name) \(label): \(LoadText.duration(value)) (\(m.count) samples)"))
            }
        }
        let chart = SVGChart(
            id: "percentile-distribution", title: "Latency by percentile (session and execute, ms)",
            xAxis: .nines(nines), xLabel: "percentile", yLabel: "latency (ms)", series: series, markers: markers)
        return chart.render(emptyNote: "no data: no session finished during the run")
    }

    /// Sessions finished per second and requests per second as lines; errors per second as red bars
    /// beside failures per second as orange bars (each half a time slice wide).
    static func throughputAndErrors(_ r: LoadResult) -> String {
        let points = r.timeline
        let widths = points.map { coveredWidth($0, runSeconds: r.seconds) }
        func rate(_ value: @escaping (TimelinePoint) -> Int) -> [(x: Double, y: Double)?] {
            zip(points, widths).map { t, w in w.map { (t.second + $0 / 2, Double(value(t)) / $0) } }
        }
        let half = (points.first?.width ?? 1) / 2
        let errors = zip(points, widths).map { t, w in w.map { (x: t.second, y: Double(t.errors) / $0) } }
        let failures = zip(points, widths).map { t, w in w.map { (x: t.second + half, y: Double(t.failures) / $0) } }
        let series: [SVGChart.Series] = [
            .init(name: "requests/s", color: purple, style: .line(dashed: false), points: rate(\.requests)),
            .init(name: "sessions finished/s", color: blue, style: .line(dashed: false), points: rate(\.sessionsFinished)),
            .init(name: "errors/s", color: red, style: .bars(width: half), points: errors),
            .init(name: "failed/s", color: orange, style: .bars(width: half), points: failures)
        ]
        let bands = points.map { t in
            SVGChart.Band(
                from: t.second, to: t.second + t.width,
                tooltip: "\(span(t)): \(t.requests) requests, "
                    + "\(t.sessionsStarted) sessions started, \(t.sessionsFinished) finished, \(t.errors) errors, \(t.failures) failed"
                    + (t.dropped > 0 ? ", \(t.dropped) dropped" : ""))
        }
        let chart = SVGChart(
            id: "throughput-errors", title: "Throughput and errors over time (per second)",
            xAxis: .time(end: timelineEnd(r)), xLabel: "time since start", yLabel: "per second",
            series: series, bands: bands)
        return chart.render(emptyNote: "no data: the timeline is empty")
    }

    /// The values at each percentile (0–100, ascending) in seconds, in one pass over the histogram's recorded values.
    ///
    /// Matches ``LatencyHistogram/percentile(_:)``: the highest value equivalent to the bucket that holds
    /// the rank, clamped to the recorded minimum and maximum.
    static func percentileCurve(_ h: LatencyHistogram, at percentiles: [Double]) -> [Double] {
        let total = h.count
        guard total > 0 else { return percentiles.map { _ in 0 } }
        let pairs = h.encoded
        var out: [Double] = []
        var index = 0
        var seen: UInt64 = pairs.first?[1] ?? 0
        for p in percentiles {
            if p <= 0 {
                out.append(h.min)
                continue
            }
            if p >= 100 {
                out.append(h.max)
                continue
            }
            let rank = Swift.max(1, UInt64((p.nextDown * Double(total) / 100).rounded(.up)))
            while seen < rank, index + 1 < pairs.count {
                index += 1
                seen += pairs[index][1]
            }
            let value = Double(pairs[index][0]) / 1e6
            out.append(Swift.min(Swift.max(value, h.min), h.max))
        }
        return out
    }

    /// `0:12–0:13` for a timeline point.
    static func span(_ t: TimelinePoint) -> String {
        "\(SVGChart.timeLabel(t.second))–\(SVGChart.timeLabel(t.second + t.width))"
    }

    /// Where the time axis ends: the end of the last timeline point, or the run time.
    static func timelineEnd(_ r: LoadResult) -> Double {
        let last = r.timeline.last.map { $0.second + $0.width } ?? 0
        return Swift.max(1, last)
    }

    /// The seconds of `t` that the run covered, to divide its counts by; nil to leave it out of rates.
    ///
    /// A run seldom ends on a slice boundary: its last slice holds only the traffic of the part
    /// before the end, so dividing by the full width would draw a collapse in throughput that did
    /// not happen. That slice is divided by the part the run covered, or left out when that part is
    /// under a quarter slice (too short for a rate that means anything). Without a usable run time
    /// (0, not finite) the slice's own width is used.
    static func coveredWidth(_ t: TimelinePoint, runSeconds: Double) -> Double? {
        guard t.width > 0, t.width.isFinite else { return nil }
        guard runSeconds > 0, runSeconds.isFinite, t.second + t.width > runSeconds else { return t.width }
        let covered = runSeconds - t.second
        return covered >= t.width / 4 ? covered : nil
    }
}
