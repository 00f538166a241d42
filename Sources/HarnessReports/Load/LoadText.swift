import HarnessCore
import SandboxAPI

/// Numbers, durations and plans as load-report text, without Foundation or the locale.
enum LoadText {
    /// `x` with exactly `places` decimals, e.g. `decimal(12.345, places: 1)` is `12.3`; non-finite is `0`.
    static func decimal(_ x: Double, places: Int) -> String {
        guard x.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Swift.min((Swift.abs(x) * scale).rounded(), 9e18)
        let n = Int64(scaled)
        return (x < 0 && n != 0 ? "-" : "") + ReportTime.fixed(n, decimals: places)
    }

    /// Three significant figures for numbers below 1000 (`1.23`, `12.3`, `123`), whole numbers above; zero is `0`.
    static func number(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return "0" }
        let magnitude = Swift.abs(x)
        return decimal(x, places: magnitude < 9.995 ? 2 : magnitude < 99.95 ? 1 : 0)
    }

    /// A whole number as an integer (`30`), anything else like ``number(_:)`` (`2.50`); for configured values.
    static func compact(_ x: Double) -> String {
        x.isFinite && x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int64(x)) : number(x)
    }

    /// A latency for people, three significant figures: `850µs`, `12.3ms`, `4.20s`; zero is `0s`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0s" }
        if seconds < 999.5e-6 { return number(seconds * 1e6) + "µs" }
        if seconds < 0.9995 { return number(seconds * 1e3) + "ms" }
        return number(seconds) + "s"
    }

    /// A configured duration as written in a plan: `1h`, `2m`, `30s`, else like ``duration(_:)``.
    static func planDuration(_ d: Duration) -> String {
        let seconds = d.seconds
        let whole = Int64(seconds.rounded())
        guard seconds >= 1, Double(whole) == seconds else { return duration(seconds) }
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }

    /// Elapsed time as a clock: `05:07`, or `1:02:03` from an hour on; negative or non-finite is `00:00`.
    static func clock(_ seconds: Double) -> String {
        let total = seconds.isFinite && seconds > 0 ? Int(Swift.min(seconds, 3.6e8)) : 0
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(two(m)):\(two(s))"
    }

    /// Seconds as milliseconds rounded to the microsecond, for JSON and charts.
    static func milliseconds(_ seconds: Double) -> Double {
        seconds.isFinite ? (seconds * 1e6).rounded() / 1e3 : 0
    }

    /// Untrusted text on one line: escape sequences and controls removed, line breaks and tabs as spaces.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for c in ReportText.sanitized(text) {
            out.append(c == "\n" || c == "\r" || c == "\r\n" || c == "\t" ? " " : c)
        }
        return out
    }

    /// `1 sandbox` / `3 sandboxes`.
    static func sandboxes(_ n: Int) -> String { n == 1 ? "1 sandbox" : "\(n) sandboxes" }

    /// The plan in one line: `open, at most 1000 in flight, poisson arrivals; stages 30s→10/s, 1m→50/s; seed 7`.
    static func plan(_ plan: LoadPlan) -> String {
        var parts: [String] = []
        switch plan.model {
        case .open(let rate, let duration, let maxInFlight):
            if plan.stages.isEmpty {
                parts.append("open, \(compact(rate))/s for \(planDuration(duration))")
            } else {
                parts.append("open")
            }
            parts.append("at most \(maxInFlight) in flight")
            parts.append(plan.poissonArrivals ? "poisson arrivals" : "uniform arrivals")
        case .closed(let vus, let iterations, let duration, let pacing):
            var text = plan.stages.isEmpty ? "closed, \(vus) VU\(vus == 1 ? "" : "s")" : "closed"
            if let iterations { text += " × \(iterations) iteration\(iterations == 1 ? "" : "s")" }
            if let duration { text += " for \(planDuration(duration))" }
            parts.append(text)
            if let pacing { parts.append("pacing \(planDuration(pacing))") }
        }
        var text = parts.joined(separator: ", ")
        if !plan.stages.isEmpty {
            let unit = model(plan) == "open" ? "/s" : " VUs"
            text += "; stages " + plan.stages.map { "\(planDuration($0.duration))→\(compact($0.target))\(unit)" }.joined(separator: ", ")
        }
        if let seed = plan.seed { text += "; seed \(seed)" }
        if plan.abortOnFail { text += "; abort on fail" }
        return text
    }

    /// `open` or `closed`.
    static func model(_ plan: LoadPlan) -> String {
        if case .open = plan.model { return "open" }
        return "closed"
    }
}

/// How a load run came out, for headers and the last console line.
enum LoadVerdict: String {
    case passed = "PASSED"
    case failed = "FAILED"
    case aborted = "ABORTED"

    /// Aborted wins over failed: an aborted run's numbers cover only part of the plan.
    init(_ result: LoadResult) {
        self = result.aborted != nil ? .aborted : result.passed ? .passed : .failed
    }
}
