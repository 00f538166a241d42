import HarnessCore
import HarnessReports
import Testing

/// A run that ends mid-slice: its last timeline slice holds less than a second of traffic.
@Suite struct LoadHTMLPartialSecondTests {
    /// 100 requests a second, steady, for `seconds` seconds: one single-step session every 10 ms.
    static func steadyRun(seconds: Double) -> LoadResult {
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        let count = Int((seconds * 100).rounded())
        for i in 0..<count {
            let at = start + .milliseconds(i * 10 + 5)
            recorder.sessionStarted(at: at)
            let step = StepResult(name: "ping", operation: "request", outcome: .passed, duration: .milliseconds(2))
            recorder.record(step: step, lag: .zero, endedAt: at)
            recorder.sessionFinished(outcome: .passed, service: .milliseconds(2), corrected: .milliseconds(2), at: at)
        }
        return LoadResult(
            scenario: "steady", file: "steady.yaml", target: "test",
            plan: LoadPlan(
                model: .open(
                    rate: 100,
                    duration: .seconds(seconds), maxInFlight: 10)), startedAt: 0, seconds: seconds, recorder: recorder,
            aborted: nil, leaks: [])
    }

    /// The y coordinates of the `requests/s` line of the throughput chart (SVG y grows downwards).
    func requestRateYs(_ html: String) throws -> [Double] {
        let chart = try #require(html.range(of: "<svg id=\"throughput-errors\"").map { html[$0.lowerBound...] })
        let series = try #require(chart.range(of: "<title>requests/s</title>").map { chart[$0.upperBound...] })
        let path = try #require(series.range(of: "<path d=\"").map { series[$0.upperBound...] })
        let d = path.prefix { $0 != "\"" }
        let coordinates = d.split(whereSeparator: { $0 == " " || $0 == "M" || $0 == "L" }).compactMap { Double($0) }
        return stride(from: 1, to: coordinates.count, by: 2).map { coordinates[$0] }
    }

    @Test(arguments: [2.3, 2.6, 2.95])
    func aPartialLastSecondIsScaledByItsLength(seconds: Double) throws {
        let result = Self.steadyRun(seconds: seconds)
        #expect(result.timeline.count == 3)
        #expect(result.timeline.last?.requests ?? 0 < 100, "the last slice is partial")
        let ys = try requestRateYs(LoadHTMLReport.render(result))
        #expect(ys.count == 3, "every slice drawn: \(ys)")
        let spread = (ys.max() ?? 0) - (ys.min() ?? 0)
        #expect(spread < 1, "a steady rate draws a flat line, not a collapse at the end: \(ys)")
    }

    @Test func aSliverOfALastSecondIsLeftOut() throws {
        let result = Self.steadyRun(seconds: 2.1)
        #expect(result.timeline.count == 3)
        let ys = try requestRateYs(LoadHTMLReport.render(result))
        #expect(ys.count == 2, "a tenth of a second is too short for a rate: \(ys)")
        #expect((ys.max() ?? 0) - (ys.min() ?? 0) < 1)
    }
}
