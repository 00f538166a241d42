import HarnessCore
import HarnessReports
import Testing

@Suite struct LoadTableTests {
    /// The cells of the row whose name (after indentation) is `name`.
    func row(_ table: String, _ name: String) -> [String]? {
        for line in table.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix(name + " ") else { continue }
            return trimmed.dropFirst(name.count).split(separator: " ").map(String.init)
        }
        return nil
    }

    @Test func showsKnownPercentilesForEveryOperationStepAndSession() throws {
        let table = LoadTable.render(LoadSampleRuns.result(), color: false)
        // count, rate, min, p50, p90, p99, p99.9, max, errors, failed
        let execute = try #require(row(table, "execute"))
        #expect(execute == ["1000", "100", "1.00ms", "500ms", "900ms", "990ms", "999ms", "1.00s", "10", "10"])
        #expect(try #require(row(table, "create")).suffix(2) == ["0", "0"])
        #expect(try #require(row(table, "session")).suffix(2) == ["10", "10"])
        let create = try #require(row(table, "create"))
        #expect(create[0] == "1000" && create[3] == "2.00ms")
        let ready = try #require(row(table, "ready"))
        #expect(ready[3] == "8.00ms")
        #expect(try #require(row(table, "run hello"))[3] == "500ms")
        #expect(try #require(row(table, "session"))[5] == "1.00s")

        // Operations, then step names in first-seen order, then the session row.
        let lines = table.split(separator: "\n").map(String.init)
        var next = 0
        for prefix in [
            "operations", "  create ", "  ready ", "  execute ", "  delete ", "steps", "  create sandbox ",
            "  run hello ", "  delete ", "session "
        ] {
            let found = lines[next...].firstIndex { $0.hasPrefix(prefix) }
            #expect(found != nil, "no '\(prefix)' after line \(next) in\n\(table)")
            next = (found ?? next) + 1
        }
    }

    @Test func columnsAreAligned() {
        let table = LoadTable.render(LoadSampleRuns.result(), color: false)
        let rows = table.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }.filter { $0.contains("  ") }
        #expect(rows.count == 1 + 4 + 3 + 1)
        #expect(Set(rows.map(\.count)).count == 1, "\(table)")
    }

    @Test func summaryLinesThresholdsAndVerdict() {
        let table = LoadTable.render(LoadSampleRuns.result(), color: false)
        #expect(table.contains("sessions    1000 started, 1000 finished, 10 failed, 10 errored, 0 dropped"))
        #expect(table.contains("run time    10.0s"))
        #expect(table.contains("thresholds  FAIL execute.p99 < 250ms: "))
        #expect(table.contains("            PASS errors.rate < 5%: 0.33%"))
        #expect(table.hasSuffix("result      FAILED"))
        #expect(!table.contains("\u{1B}"))
    }

    @Test func colourUsesMarksAndSGR() {
        let table = LoadTable.render(LoadSampleRuns.result(aborted: "threshold breached", leaks: ["sandboxEnvironments/a"]), color: true)
        #expect(table.contains("✗"))
        #expect(table.contains("✓"))
        #expect(table.contains("\u{1B}[31m"))
        #expect(table.contains("threshold breached"))
        #expect(table.contains("sandboxEnvironments/a"))
        #expect(table.contains("ABORTED"))
    }

    @Test func emptyRunShowsDashes() {
        let table = LoadTable.render(LoadSampleRuns.empty(), color: false)
        #expect(table.contains("session"))
        #expect(row(table, "session") == ["0", "0", "-", "-", "-", "-", "-", "-", "0", "0"])
        #expect(table.contains("aborted     interrupted"))
        #expect(table.contains("FAIL execute.p99 < 1s: no such metric in this run"))
    }

    @Test func progressLineIsCompact() throws {
        let recorder = LoadSampleRuns.recorder()
        let line = LoadProgress.line(recorder.snapshot(resetRecent: false), elapsed: 12.4, total: 60)
        #expect(line.count <= LoadProgress.maxColumns)
        #expect(line.hasPrefix("00:12/01:00 20%  sessions 1000  80.6/s  in flight 0  errors 10  failed 10  p50 "))
        #expect(line.contains("p99 "))
        #expect(!line.contains("\n"))

        let idle = LoadProgress.line(LoadRecorder(start: .now).snapshot(resetRecent: true), elapsed: 0, total: nil)
        #expect(idle == "00:00  sessions 0  0/s  in flight 0  errors 0  failed 0  p50 -  p99 -")
    }
}
