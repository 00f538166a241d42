package import HarnessCore

/// A capacity search as console text: one line per step, then the result.
package enum CapacityText {
    /// `step  3   40/s  PASS  session p50 51.2ms p99 55.0ms · 600 sessions, 0 dropped, 0 errors, 0 failed`, and
    /// for a failing step the objectives it missed with their measured values.
    package static func stepLine(_ step: CapacityStep) -> String {
        let r = step.result
        let c = r.counters
        var line = "step \(pad(String(step.index), 2))  \(pad(rate(step.rate), 9))  \(paddedVerdict(step))  "
        line +=
            "session p50 \(LoadText.duration(r.session.p50)) p99 \(LoadText.duration(r.session.p99)) · "
            + "\(c.sessionsStarted) sessions, \(c.dropped) dropped, \(c.stepErrors) errors, \(c.stepFailures) failed"
        if let aborted = r.aborted { line += " · " + LoadText.oneLine(aborted) }
        let missed = step.breaches.map { LoadText.oneLine($0.summary) }
        if !missed.isEmpty { line += " · missed: " + missed.joined(separator: "; ") }
        return line
    }

    /// The live line of a running step: `step 3 80/s · ` and the load progress line, at most
    /// ``LoadProgress/maxColumns`` characters. The numbers are of the step's judged part (after its settle period).
    package static func progressLine(_ index: Int, rate: Double, _ snapshot: LoadSnapshot, elapsed: Double, total: Double) -> String {
        // Whole fields only, as many as fit.
        var line = "step \(index) \(self.rate(rate)) ·"
        for field in LoadProgress.line(snapshot, elapsed: elapsed, total: total).split(separator: "  ") {
            let next = line + (line.hasSuffix("·") ? " " : "  ") + field
            guard next.count <= LoadProgress.maxColumns else { break }
            line = next
        }
        return String(line.prefix(LoadProgress.maxColumns))
    }

    /// The closing lines: the capacity and its bracket, or why none was found, and any leaks.
    package static func resultLines(_ result: CapacityResult) -> String {
        var text = summary(result) + "\n"
        if let aborted = result.aborted { text += "aborted: \(LoadText.oneLine(aborted))\n" }
        if !result.leaks.isEmpty {
            text += "\(LoadText.sandboxes(result.leaks.count)) still alive after clean-up: \(result.leaks.joined(separator: ", "))\n"
        }
        return text
    }

    /// One sentence: `capacity 82.5/s (85/s failed; resolved to 5% after 9 steps)` or why there is none.
    package static func summary(_ result: CapacityResult) -> String {
        let steps = "\(result.steps.count) step\(result.steps.count == 1 ? "" : "s")"
        guard let capacity = result.capacity else {
            if let first = result.steps.first {
                return "capacity: none — the start rate \(rate(first.rate)) already missed its objectives (\(steps))"
            }
            return "capacity: none — no step ran"
        }
        var text = "capacity: \(rate(capacity))"
        var notes: [String] = []
        if let fail = result.firstFailure { notes.append("\(rate(fail)) failed") } else { notes.append("no rate up to it failed") }
        switch result.stop {
        case .resolved?: notes.append("resolved to \(LoadText.compact(result.search.resolution * 100))% after \(steps)")
        case .reachedMax?: notes.append("reached --max \(rate(result.search.max)) after \(steps): the capacity is at least that")
        case .stepBudget?: notes.append("step budget of \(result.search.maxSteps) used before the bracket closed")
        case .startFailed?, nil: notes.append(steps)
        }
        text += " (" + notes.joined(separator: "; ") + ")"
        return text
    }

    /// `PASS`, `FAIL`, and for a run made again after a failure `PASS (recheck)`.
    static func verdict(_ step: CapacityStep) -> String {
        (step.passed ? "PASS" : "FAIL") + (step.attempt > 1 ? " (recheck)" : "")
    }

    /// ``verdict(_:)`` padded to the widest, so the console's columns line up.
    static func paddedVerdict(_ step: CapacityStep) -> String {
        let text = verdict(step)
        return text + String(repeating: " ", count: Swift.max(0, 14 - text.count))
    }

    /// `40/s`, `82.5/s`.
    static func rate(_ r: Double) -> String { LoadText.compact(r) + "/s" }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
