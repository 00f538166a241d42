package import HarnessCore

/// The live progress line `sandbench load` redraws on a terminal.
///
/// ```swift
/// let line = LoadProgress.line(recorder.snapshot(resetRecent: true), elapsed: 12.4, total: 60)
/// // 00:12/01:00 20%  sessions 248  20.0/s  in flight 12  errors 3  failed 1  p50 12.3ms  p99 45.6ms
/// ```
package enum LoadProgress {
    /// The longest line returned, so it never wraps on an 80–100 column terminal redraw.
    package static let maxColumns = 99

    /// One line (no newline, no escape codes) of at most ``maxColumns`` characters.
    ///
    /// - Parameters:
    ///   - elapsed: seconds since the run started.
    ///   - total: the planned length in seconds, nil when only iterations bound the run.
    package static func line(_ snapshot: LoadSnapshot, elapsed: Double, total: Double?) -> String {
        let c = snapshot.counters
        var time = LoadText.clock(elapsed)
        if let total, total.isFinite, total > 0 {
            let percent = Int((Swift.min(1, Swift.max(0, elapsed / total)) * 100).rounded(.down))
            time += "/\(LoadText.clock(total)) \(percent)%"
        }
        let rate = elapsed > 0 && elapsed.isFinite ? Double(c.sessionsStarted) / elapsed : 0
        let recent = snapshot.recentP50 > 0 || snapshot.recentP99 > 0
        // Most important first; whatever does not fit is left off the end.
        var parts = [
            time,
            "sessions \(c.sessionsStarted)",
            "\(LoadText.number(rate))/s",
            "in flight \(c.inFlight)",
            "errors \(c.stepErrors)",
            "failed \(c.stepFailures)"
        ]
        if c.dropped > 0 { parts.append("dropped \(c.dropped)") }
        parts.append("p50 " + (recent ? LoadText.duration(snapshot.recentP50) : "-"))
        parts.append("p99 " + (recent ? LoadText.duration(snapshot.recentP99) : "-"))
        var line = ""
        for part in parts {
            let next = line.isEmpty ? part : line + "  " + part
            guard next.count <= maxColumns else { break }
            line = next
        }
        return line
    }
}
