internal import Glibc

/// A small inline-SVG chart: lines and bars over a linear y axis from zero, with ticks, grid, legend and
/// script-free hover tooltips (SVG `<title>`). Every coordinate is finite: non-finite values are dropped.
struct SVGChart {
    /// How the x axis is labelled.
    enum XAxis {
        /// Seconds since the run began, from zero to `end`.
        case time(end: Double)
        /// Percentiles on a "nines" scale: x = −log10(1 − p/100), so 0 is p0, 1 is p90, 2 is p99, … up to `nines`.
        case nines(Double)
        /// A plain quantity from zero to `end`, ticks labelled with `unit` (e.g. `/s`).
        case linear(end: Double, unit: String)
    }

    /// A line (with gaps where a point is nil) or bars of the given width in x units.
    struct Series {
        enum Style {
            case line(dashed: Bool)
            case bars(width: Double)
        }
        var name: String
        var color: String
        var style: Style
        var points: [(x: Double, y: Double)?]
    }

    /// A dot with a tooltip, e.g. a labelled percentile.
    struct Marker {
        var x: Double, y: Double
        var color: String
        var tooltip: String
    }

    /// A full-height dashed vertical line at `x` with a label at its top, e.g. a found capacity.
    struct Rule {
        var x: Double
        var color: String
        var label: String
    }

    /// A full-height hover area over `[from, to)` showing `tooltip`.
    struct Band {
        var from: Double, to: Double
        var tooltip: String
    }

    var id: String
    var title: String
    var xAxis: XAxis
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var markers: [Marker] = []
    var bands: [Band] = []
    var rules: [Rule] = []

    static let width = 960.0, height = 360.0
    static let left = 72.0, right = 24.0, top = 44.0, bottom = 52.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    /// The `<svg>` element; `emptyNote` is drawn instead of axes when no series has a finite point.
    func render(emptyNote: String) -> String {
        let values = series.flatMap { $0.points.compactMap { $0 } }.filter { $0.x.isFinite && $0.y.isFinite }
        var out =
            "<svg id=\"\(HTML.escape(id))\" class=\"chart\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\""
            + " role=\"img\" aria-labelledby=\"\(HTML.escape(id))-title\" xmlns=\"http://www.w3.org/2000/svg\">"
            + "<title id=\"\(HTML.escape(id))-title\">\(HTML.escape(title))</title>"
        out +=
            "<rect class=\"plot-bg\" x=\"\(c(Self.left))\" y=\"\(c(Self.top))\" "
            + "width=\"\(c(Self.plotWidth))\" height=\"\(c(Self.plotHeight))\"/>"
        guard !values.isEmpty else {
            out +=
                "<text class=\"no-data\" x=\"\(c(Self.left + Self.plotWidth / 2))\" y=\"\(c(Self.top + Self.plotHeight / 2))\""
                + " text-anchor=\"middle\">\(HTML.escape(emptyNote))</text></svg>"
            return out
        }
        let yTicks = Self.ticks(upTo: values.map(\.y).max() ?? 0)
        let yTop = yTicks.last ?? 1
        let (x0, x1) = xDomain
        func px(_ x: Double) -> Double { Self.left + (x - x0) / (x1 - x0) * Self.plotWidth }
        func py(_ y: Double) -> Double { Self.top + Self.plotHeight - y / yTop * Self.plotHeight }

        // Grid and y ticks.
        out += "<g class=\"grid\">"
        for t in yTicks {
            out += "<line x1=\"\(c(Self.left))\" x2=\"\(c(Self.left + Self.plotWidth))\" y1=\"\(c(py(t)))\" y2=\"\(c(py(t)))\"/>"
        }
        for (x, _) in xTicks where x > x0 {
            out += "<line x1=\"\(c(px(x)))\" x2=\"\(c(px(x)))\" y1=\"\(c(Self.top))\" y2=\"\(c(Self.top + Self.plotHeight))\"/>"
        }
        out += "</g><g class=\"axis\">"
        out += "<line x1=\"\(c(Self.left))\" x2=\"\(c(Self.left))\" y1=\"\(c(Self.top))\" y2=\"\(c(Self.top + Self.plotHeight))\"/>"
        out +=
            "<line x1=\"\(c(Self.left))\" x2=\"\(c(Self.left + Self.plotWidth))\" "
            + "y1=\"\(c(Self.top + Self.plotHeight))\" y2=\"\(c(Self.top + Self.plotHeight))\"/>"
        let places = Self.places(forStep: yTicks.count > 1 ? yTicks[1] - yTicks[0] : yTop)
        for t in yTicks {
            out +=
                "<text class=\"tick\" x=\"\(c(Self.left - 8))\" y=\"\(c(py(t) + 4))\" "
                + "text-anchor=\"end\">\(LoadText.decimal(t, places: places))</text>"
        }
        for (x, label) in xTicks {
            out +=
                "<line x1=\"\(c(px(x)))\" x2=\"\(c(px(x)))\" "
                + "y1=\"\(c(Self.top + Self.plotHeight))\" y2=\"\(c(Self.top + Self.plotHeight + 5))\"/>"
            out +=
                "<text class=\"tick\" x=\"\(c(px(x)))\" y=\"\(c(Self.top + Self.plotHeight + 19))\" "
                + "text-anchor=\"middle\">\(HTML.escape(label))</text>"
        }
        out +=
            "<text class=\"label\" x=\"\(c(Self.left + Self.plotWidth / 2))\" y=\"\(c(Self.height - 8))\" "
            + "text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"
        out +=
            "<text class=\"label\" transform=\"translate(16 \(c(Self.top + Self.plotHeight / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(HTML.escape(yLabel))</text>"
        out += "</g>"

        // Bars behind lines.
        for s in series {
            guard case .bars(let width) = s.style else { continue }
            out += "<g class=\"bars\" fill=\"\(s.color)\">"
            for case let p? in s.points where p.x.isFinite && p.y.isFinite && p.y > 0 {
                let xa = px(p.x)
                let xb = px(p.x + width)
                out +=
                    "<rect x=\"\(c(xa + 0.5))\" y=\"\(c(py(p.y)))\" "
                    + "width=\"\(c(Swift.max(1, xb - xa - 1)))\" height=\"\(c(py(0) - py(p.y)))\"/>"
            }
            out += "</g>"
        }
        for s in series {
            guard case .line(let dashed) = s.style else { continue }
            var d = ""
            var lonely: [(Double, Double)] = []
            var run: [(Double, Double)] = []
            func flush() {
                if run.count == 1 { lonely.append(run[0]) }
                if run.count > 1 {
                    d +=
                        run.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(c($0.element.0)) \(c($0.element.1))" }.joined(separator: " ")
                        + " "
                }
                run = []
            }
            for p in s.points {
                guard let p, p.x.isFinite, p.y.isFinite else {
                    flush()
                    continue
                }
                run.append((px(p.x), py(p.y)))
            }
            flush()
            let dash = dashed ? " stroke-dasharray=\"6 4\"" : ""
            out += "<g class=\"series\"><title>\(HTML.escape(s.name))</title>"
            if !d.isEmpty {
                out +=
                    "<path d=\"\(d.dropLast())\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" stroke-linejoin=\"round\"\(dash)/>"
            }
            for (x, y) in lonely {
                out += "<circle cx=\"\(c(x))\" cy=\"\(c(y))\" r=\"3\" fill=\"\(s.color)\"/>"
            }
            out += "</g>"
        }
        for r in rules where r.x.isFinite {
            out +=
                "<g class=\"rule\"><line x1=\"\(c(px(r.x)))\" x2=\"\(c(px(r.x)))\" y1=\"\(c(Self.top))\" "
                + "y2=\"\(c(Self.top + Self.plotHeight))\" stroke=\"\(r.color)\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>"
                + "<text x=\"\(c(px(r.x) + 6))\" y=\"\(c(Self.top + 14))\" fill=\"\(r.color)\">\(HTML.escape(r.label))</text></g>"
        }
        for m in markers where m.x.isFinite && m.y.isFinite {
            out +=
                "<circle class=\"marker\" cx=\"\(c(px(m.x)))\" cy=\"\(c(py(m.y)))\" r=\"4\" fill=\"#fff\" "
                + "stroke=\"\(m.color)\" stroke-width=\"2\">"
                + "<title>\(HTML.escape(m.tooltip))</title></circle>"
        }
        if !bands.isEmpty {
            out += "<g class=\"bands\">"
            for b in bands where b.from.isFinite && b.to.isFinite {
                let xa = px(b.from)
                let xb = px(b.to)
                out +=
                    "<rect x=\"\(c(xa))\" y=\"\(c(Self.top))\" width=\"\(c(Swift.max(0.5, xb - xa)))\" height=\"\(c(Self.plotHeight))\">"
                    + "<title>\(HTML.escape(b.tooltip))</title></rect>"
            }
            out += "</g>"
        }
        out += legend() + "</svg>"
        return out
    }

    private var xDomain: (Double, Double) {
        switch xAxis {
        case .time(let end): (0, end.isFinite && end > 0 ? end : 1)
        case .nines(let nines): (0, nines.isFinite && nines > 0 ? nines : 4)
        case .linear(let end, _): (0, end.isFinite && end > 0 ? end : 1)
        }
    }

    /// Tick positions and labels on the x axis.
    private var xTicks: [(Double, String)] {
        switch xAxis {
        case .time:
            let end = xDomain.1
            let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400]
            let step = steps.first { end / $0 <= 10 } ?? (end / 10).rounded(.up)
            return stride(from: 0, through: end + 1e-9, by: step).map { ($0, Self.timeLabel($0)) }
        case .nines:
            var ticks: [(Double, String)] = [(0, "0%"), (log10(2), "50%")]
            var label = "9"
            var n = 1.0
            while n <= xDomain.1 + 1e-9 {
                ticks.append((n, (n == 1 ? "90" : n == 2 ? "99" : "99." + label.dropFirst(2)) + "%"))
                label += "9"
                n += 1
            }
            return ticks
        case .linear(_, let unit):
            let ticks = Self.ticks(upTo: xDomain.1)
            let places = Self.places(forStep: ticks.count > 1 ? ticks[1] - ticks[0] : 1)
            return ticks.filter { $0 <= xDomain.1 + 1e-9 }.map { ($0, LoadText.decimal($0, places: places) + unit) }
        }
    }

    /// `0s`, `45s`, `1:30`, `2m`, `1h`.
    static func timeLabel(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600, s % 3600 == 0 { return "\(s / 3600)h" }
        if s >= 60, s % 60 == 0 { return "\(s / 60)m" }
        if s > 60 { return String(LoadText.clock(Double(s)).drop { $0 == "0" }) }
        return "\(s)s"
    }

    /// Zero and evenly spaced "nice" steps (1, 2, 2.5, 5 × 10ⁿ) up to at least `maximum`; `[0, 1]` for no range.
    static func ticks(upTo maximum: Double) -> [Double] {
        guard maximum.isFinite, maximum > 0 else { return [0, 1] }
        let raw = maximum / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let normalized = raw / magnitude
        let step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10) * magnitude
        let count = Int((maximum / step - 1e-9).rounded(.up))
        return (0...Swift.max(1, count)).map { Double($0) * step }
    }

    /// Decimals needed to show multiples of `step` exactly (e.g. 2 for 0.25, 0 for 50).
    static func places(forStep step: Double) -> Int {
        guard step.isFinite, step > 0 else { return 0 }
        for places in 0...6 {
            let scaled = step * pow(10, Double(places))
            if Swift.abs(scaled - scaled.rounded()) < 1e-6 { return places }
        }
        return 6
    }

    private func legend() -> String {
        var out = "<g class=\"legend\">"
        var x = Self.left
        for s in series {
            let y = 20.0
            switch s.style {
            case .line(let dashed):
                out +=
                    "<line x1=\"\(c(x))\" x2=\"\(c(x + 22))\" y1=\"\(c(y))\" y2=\"\(c(y))\" stroke=\"\(s.color)\" stroke-width=\"2.5\""
                    + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>"
            case .bars:
                out += "<rect x=\"\(c(x + 4))\" y=\"\(c(y - 6))\" width=\"14\" height=\"12\" fill=\"\(s.color)\"/>"
            }
            out += "<text x=\"\(c(x + 28))\" y=\"\(c(y + 4))\">\(HTML.escape(s.name))</text>"
            x += 28 + Double(s.name.count) * 7.2 + 22
        }
        return out + "</g>"
    }

    /// A coordinate with one decimal; anything non-finite becomes 0 so the SVG stays valid.
    private func c(_ v: Double) -> String { LoadText.decimal(v.isFinite ? v : 0, places: 1) }
}
