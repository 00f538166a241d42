import HarnessCore
import Testing

/// Coordinated-omission correction, histogram merging and thresholds.
@Suite struct LatencyTests {
    func step(_ op: String, _ d: Duration, _ outcome: Outcome = .passed) -> StepResult {
        StepResult(name: op, operation: op, outcome: outcome, duration: d)
    }

    @Test func pacedLoopAgainstAStalledServerShowsTheStallInCorrectedLatency() {
        // One virtual user paced at 10 ms; the server answers in 1 ms except one 1 s stall.
        // Measured from the actual send, only one sample is slow (0.1 %); from the intended start,
        // every iteration that should have started during the stall waits for it.
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        var clock = Duration.zero // virtual time since start
        let pacing = Duration.milliseconds(10)
        for k in 0..<1000 {
            let intended = pacing * k
            let actualStart = max(clock, intended)
            let service: Duration = k == 100 ? .seconds(1) : .milliseconds(1)
            let end = actualStart + service
            recorder.sessionStarted(at: start + actualStart)
            recorder.record(step: step("execute", service), lag: actualStart - intended, endedAt: start + end)
            recorder.sessionFinished(outcome: .passed, service: service, corrected: end - intended, at: start + end)
            clock = end
        }
        let m = recorder.metrics()
        #expect(m.session.service.percentile(99) < 0.0015)
        #expect(m.session.service.max > 0.99)
        // Iterations 101…~211 start late by up to ~990 ms: about 11 % of samples.
        #expect(m.session.corrected.percentile(90) > 0.1)
        #expect(m.session.corrected.percentile(95) > 0.4)
        #expect(m.session.corrected.percentile(50) < 0.0015)
        let execute = m.operations["execute"]!
        #expect(execute.corrected.percentile(95) > 0.4)
        #expect(execute.service.percentile(95) < 0.0015)
    }

    @Test func histogramsMergeAndSurviveEncoding() {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        var all = LatencyHistogram()
        for i in 1...1000 {
            a.record(.microseconds(i * 10))
            all.record(.microseconds(i * 10))
        }
        for i in 1...500 {
            b.record(.milliseconds(i))
            all.record(.milliseconds(i))
        }
        var merged = LatencyHistogram(encoded: a.encoded)
        merged.merge(LatencyHistogram(encoded: b.encoded))
        #expect(merged.count == 1500)
        for p in [50.0, 90, 99, 99.9] {
            #expect(abs(merged.percentile(p) - all.percentile(p)) <= all.percentile(p) * 0.002, "p\(p)")
        }
        #expect(abs(merged.max - 0.5) < 0.001)
    }

    @Test(arguments: [
        ("execute.p99 < 250ms", "execute", 0.25),
        ("create.p50 < 2s", "create", 2.0),
        ("errors.rate < 1%", "errors", 0.01),
        ("checks.rate > 99%", "checks", 0.99),
        ("session.p99.9 <= 1.5s", "session", 1.5),
        ("dropped.count < 5", "dropped", 5.0)
    ])
    func thresholdsParse(_ text: String, metric: String, value: Double) throws {
        let t = try #require(Threshold.parse(text))
        #expect(t.metric == metric)
        #expect(abs(t.value - value) < 1e-12)
    }

    @Test(arguments: ["execute < 2s", "execute.p99", "execute.p101 < 1s", ".p99 < 1s", "execute.p99 < fast", "execute.bogus < 1s"])
    func malformedThresholdsAreRejected(_ text: String) {
        #expect(Threshold.parse(text) == nil)
    }

    @Test func thresholdsEvaluateAgainstARun() {
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        for i in 0..<100 {
            recorder.sessionStarted(at: start)
            recorder.record(
                step: step("execute", .milliseconds(i < 98 ? 10 : 300), i == 0 ? .error : .passed), lag: .zero, endedAt: start + .seconds(1)
            )
            recorder.sessionFinished(outcome: .passed, service: .milliseconds(10), corrected: .milliseconds(10), at: start + .seconds(1))
        }
        let plan = LoadPlan(
            model: .closed(vus: 1, iterations: 100, duration: nil, pacing: nil),
            thresholds: ["execute.p50 < 50ms", "execute.p99 < 250ms", "errors.rate < 2%", "errors.rate < 0.5%", "nosuch.p50 < 1s"])
        let result = LoadResult(
            scenario: "s", file: "f", target: "t", plan: plan, startedAt: 0, seconds: 10, recorder: recorder, aborted: nil, leaks: [])
        #expect(result.thresholds.map(\.passed) == [true, false, true, false, false])
        #expect(result.thresholds[4].actual == nil)
        #expect(!result.passed)
        #expect(result.operations.first?.name == "execute")
        #expect(result.operations.first?.count == 100)
    }

    @Test func errorsAndFailuresAreCountedApart() {
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        let outcomes: [Outcome] = [.error, .error, .failed, .failed, .failed, .passed, .passed, .passed, .passed, .passed]
        for outcome in outcomes {
            recorder.sessionStarted(at: start)
            recorder.record(step: step("execute", .milliseconds(10), outcome), lag: .zero, endedAt: start)
            recorder.sessionFinished(outcome: outcome, service: .milliseconds(10), corrected: .milliseconds(10), at: start)
        }
        let c = recorder.counters
        #expect((c.stepErrors, c.stepFailures, c.sessionsErrored, c.sessionsFailed) == (2, 3, 2, 3))
        let metrics = recorder.metrics()
        #expect(metrics.timeline.first.map { ($0.errors, $0.failures) } ?? (0, 0) == (2, 3))
        #expect((metrics.session.errors, metrics.session.failures) == (2, 3))
        #expect(metrics.operations["execute"].map { ($0.errors, $0.failures) } ?? (0, 0) == (2, 3))
        let plan = LoadPlan(
            model: .closed(vus: 1, iterations: 10, duration: nil, pacing: nil),
            thresholds: ["errors.count <= 2", "errors.count < 2", "failures.count >= 3", "failures.rate < 30%", "checks.rate >= 50%"])
        let result = LoadResult(
            scenario: "s", file: "f", target: "t", plan: plan, startedAt: 0, seconds: 1, recorder: recorder, aborted: nil, leaks: [])
        #expect(result.thresholds.map(\.passed) == [true, false, true, false, true])
        #expect(result.thresholds[3].summary == "failures.rate < 30%: 30.00%")
    }

    @Test(arguments: [Duration.seconds(Int64.max), .seconds(Int64.min), .zero, .nanoseconds(-1), .seconds(9_223_372_036_854)])
    func anyDurationIsRecordedWithoutTrapping(duration: Duration) {
        var histogram = LatencyHistogram()
        histogram.record(duration)
        #expect(histogram.count == 1)
        #expect(histogram.percentile(100) >= 0 && histogram.percentile(100) <= Double(LatencyHistogram.highest) / 1e6 * 1.01)
        var coarse = CoarseHistogram()
        for seconds in [Double(duration.components.seconds), .infinity, -.infinity, .nan, 1e300] { coarse.record(seconds) }
        #expect(coarse.count == 5)
    }

    @Test func timelineStaysBoundedOnLongRuns() {
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        for s in 0..<10_000 {
            recorder.record(step: step("get", .milliseconds(1)), lag: .zero, endedAt: start + .seconds(s))
        }
        let timeline = recorder.metrics().timeline
        #expect(timeline.count <= LoadRecorder.maxTimelinePoints)
        #expect(timeline.reduce(0) { $0 + $1.requests } == 10_000)
    }
}
