import Foundation
import HarnessCore
import HarnessReports
import Testing

@Suite struct LoadHTMLReportTests {
    static let chartIDs = ["latency-over-time", "percentile-distribution", "throughput-errors"]

    /// The text of the `<svg id="ID">…</svg>` element.
    func svg(_ html: String, id: String) -> Substring? {
        guard let start = html.range(of: "<svg id=\"\(id)\"") else { return nil }
        guard let end = html[start.upperBound...].range(of: "</svg>") else { return nil }
        return html[start.lowerBound..<end.upperBound]
    }

    func expectNoBadNumbers(_ html: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for bad in ["NaN", "nan ", "inf\"", "inf ", "Infinity", "=\"-\"", "\"\""] where html.contains(bad) {
            let at = html.range(of: bad)!.lowerBound
            Issue.record("'\(bad)' in HTML near: \(html[at...].prefix(120))", sourceLocation: sourceLocation)
        }
    }

    @Test func hasTheThreeChartsWithTitlesAndData() throws {
        let html = LoadHTMLReport.render(LoadSampleRuns.result())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for id in Self.chartIDs {
            let chart = try #require(svg(html, id: id), "no svg \(id)")
            #expect(chart.contains("<title"))
            #expect(chart.contains("<path"), "\(id) draws no line")
            #expect(chart.contains("class=\"tick\""), "\(id) has no tick labels")
            #expect(chart.contains("class=\"legend\""), "\(id) has no legend")
        }
        #expect(svg(html, id: "percentile-distribution")?.contains(">99.9%</text>") == true)
        #expect(svg(html, id: "throughput-errors")?.contains("fill=\"#dc2626\"><rect") == true, "error bars")
        #expect(svg(html, id: "throughput-errors")?.contains("fill=\"#ea580c\"><rect") == true, "failure bars")
        #expect(!html.contains("<script"))
        #expect(!html.contains(" src=") && !html.contains(" href="), "self-contained: no external assets")
        expectNoBadNumbers(html)
    }

    @Test func headerTableAndThresholds() {
        let html = LoadHTMLReport.render(LoadSampleRuns.result(aborted: "threshold breached", leaks: ["sandboxEnvironments/<x>"]))
        #expect(html.contains("<h1>hello &lt;world&gt; &amp; &quot;friends&quot; <span class=\"badge aborted\">ABORTED</span></h1>"))
        #expect(html.contains("open, 100/s for 10s, at most 50 in flight"))
        #expect(html.contains("2026-11-18 11:06:40 UTC"))
        #expect(html.contains("<code>execute.p99 &lt; 250ms</code>"))
        #expect(html.contains("<li class=\"fail\">"))
        #expect(html.contains("<td>500ms</td>"))
        #expect(html.contains("sandboxEnvironments/&lt;x&gt;"))
        #expect(!html.contains("<world>"))
    }

    @Test func hostileTextIsEscaped() {
        var result = LoadSampleRuns.result(sessions: 5)
        result.scenario = "<script>alert(1)</script>\u{1B}[31m'"
        result.target = "\"><img src=x onerror=alert(1)>"
        let html = LoadHTMLReport.render(result)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("\u{1B}"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&#39;"))
    }

    @Test(arguments: [0, 1, 2])
    func emptyAndTinyRunsRenderWithoutBadNumbers(sessions: Int) throws {
        let result = sessions == 0 ? LoadSampleRuns.empty() : LoadSampleRuns.result(sessions: sessions)
        let html = LoadHTMLReport.render(result)
        for id in Self.chartIDs { #expect(svg(html, id: id) != nil) }
        if sessions == 0 { #expect(html.contains("no data")) }
        expectNoBadNumbers(html)
    }

    @Test func writesTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("load-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = LoadSampleRuns.result(sessions: 20)
        try LoadHTMLReport.write(result, to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == LoadHTMLReport.render(result))
    }

    /// Loads the page in headless Chromium (local file only) and checks the charts survive parsing.
    @Test(.timeLimit(.minutes(1)))
    func rendersInHeadlessChromium() throws {
        let chromium = "/usr/bin/chromium"
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            Issue.record("chromium is not installed at \(chromium); .ci/run installs it (apt-get install chromium)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("load-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try LoadHTMLReport.write(LoadSampleRuns.result(), to: page.path)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
            "--dump-dom", page.absoluteString
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = DispatchTime.now() + .seconds(20)
        DispatchQueue.global().asyncAfter(deadline: deadline) { if process.isRunning { process.terminate() } }
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "chromium exited with \(process.terminationStatus)")

        for id in Self.chartIDs {
            let chart = try #require(svg(dom, id: id), "chromium's DOM has no <svg id=\"\(id)\">:\n\(dom.prefix(500))")
            #expect(chart.contains("<path") || chart.contains("<polyline"), "\(id): no line in the parsed DOM")
            #expect(chart.contains("<rect"), "\(id): no rect in the parsed DOM")
            #expect(chart.contains("<title"), "\(id): no title in the parsed DOM")
        }
        #expect(dom.contains("<table class=\"summary\">"))
    }
}
