import Foundation
import FoundationXML
import HarnessCore
import HarnessReports
import SandboxAPI
import Testing

/// Capacity reports from searches built of real recorders fed known latencies.
@Suite struct CapacityReportTests {
    let junit = JUnitReportTests()
    static let objectives = CapacitySearch.objectives(["session.p99 < 150ms"])

    /// A step at `rate` whose sessions all take `latencyMs`, with `dropped` arrivals dropped.
    static func step(_ index: Int, rate: Double, latencyMs: Int, dropped: Int = 0, attempt: Int = 1) -> CapacityStep {
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        for i in 0..<Int(rate) {
            let at = start + .milliseconds(i * 1000 / Int(rate))
            recorder.sessionStarted(at: at)
            let step = StepResult(name: "health", operation: "request", outcome: .passed, duration: .milliseconds(latencyMs))
            recorder.record(step: step, lag: .zero, endedAt: at)
            recorder.sessionFinished(outcome: .passed, service: .milliseconds(latencyMs), corrected: .milliseconds(latencyMs), at: at)
        }
        for _ in 0..<dropped { recorder.sessionDropped(at: start) }
        let plan = LoadPlan(model: .open(rate: rate, duration: .seconds(2), maxInFlight: 32), thresholds: objectives)
        let result = LoadResult(
            scenario: "health", file: "health.yaml", target: "", plan: plan, startedAt: 1_795_000_000, seconds: 1.5,
            recorder: recorder, aborted: nil, leaks: [])
        return CapacityStep(index: index, rate: rate, attempt: attempt, result: result, settled: LoadRecorder(start: start).counters)
    }

    /// 20 and 40 pass, 80 fails and fails again, 60 passes: capacity 60, bracket 60…80.
    static func search(
        steps: [CapacityStep]? = nil, stop: CapacitySearch.Stop? = .resolved, aborted: String? = nil, leaks: [String] = [],
        scenario: String = "health <&> \"check\""
    ) -> CapacityResult {
        let steps =
            steps ?? [
                step(1, rate: 20, latencyMs: 50), step(2, rate: 40, latencyMs: 52), step(3, rate: 80, latencyMs: 400, dropped: 3),
                step(4, rate: 80, latencyMs: 380, attempt: 2), step(5, rate: 60, latencyMs: 70)
            ]
        var result = CapacityResult(
            scenario: scenario, file: "health.yaml", target: "emulator", startedAt: 1_795_000_000.5, seconds: 12,
            search: CapacitySearch.Configuration(start: 20, max: 640, resolution: 0.5), stepDuration: .seconds(2),
            settle: .milliseconds(500), maxInFlight: 32, objectives: objectives, steps: steps, stop: stop, aborted: aborted,
            leaks: leaks)
        result.rechecks = 1
        return result
    }

    @Test func theResultIsTheHighestPassingRateAndTheLowestFailingAboveIt() {
        let result = Self.search()
        #expect(result.capacity == 60 && result.firstFailure == 80 && result.found)
        #expect(result.steps[2].breaches.map(\.threshold.source) == ["session.p99 < 150ms", "dropped.count < 1"])
        #expect(CapacityText.summary(result) == "capacity: 60/s (80/s failed; resolved to 50% after 5 steps)")
        #expect(CapacityText.stepLine(result.steps[3]).contains("FAIL (recheck)"))
    }

    @Test func theLiveLineNamesTheStepAndFitsTheTerminal() {
        let recorder = LoadRecorder(start: .now)
        for _ in 0..<123_456 { recorder.sessionDropped(at: .now) }
        let line = CapacityText.progressLine(12, rate: 82.5, recorder.snapshot(resetRecent: true), elapsed: 7.5, total: 20)
        #expect(line.hasPrefix("step 12 82.5/s · 00:07/00:20 37%  sessions 0"), "\(line)")
        #expect(line.count <= LoadProgress.maxColumns && !line.hasSuffix(" "))
    }

    static let variants: [CapacityResult] = [
        search(),
        search(steps: [step(1, rate: 20, latencyMs: 900), step(2, rate: 20, latencyMs: 800, attempt: 2)], stop: .startFailed),
        search(stop: nil, aborted: "interrupted", leaks: ["sandboxEnvironments/\u{1B}[31mx"]),
        search(steps: [], stop: nil, aborted: "could not create the agent engine: <refused>")
    ]

    @Test(arguments: variants.indices)
    func junitValidatesAgainstJunit10Schema(variant: Int) throws {
        let path = try junit.temporaryFile(try CapacityJUnitReport.render(Self.variants[variant], hostname: "ci-runner-1"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lint = try junit.xmllint(path)
        #expect(lint.status == 0, "xmllint: \(lint.errors)")
    }

    @Test func junitHasACasePerStepAndTheResultCarriesTheVerdict() throws {
        func cases(_ result: CapacityResult) throws -> [XMLNode] {
            let doc = try XMLDocument(data: Data(try CapacityJUnitReport.render(result, hostname: nil)), options: [])
            return try doc.nodes(forXPath: "/testsuites/testsuite/testcase")
        }
        let found = try cases(Self.search())
        #expect(
            found.map { junit.attribute($0, "name") } == [
                "step 1: 20/s PASS", "step 2: 40/s PASS", "step 3: 80/s FAIL", "step 4: 80/s FAIL (recheck)", "step 5: 60/s PASS",
                "capacity"
            ])
        // A failing step bounds the capacity: only the result case may fail or error.
        #expect(try found.allSatisfy { try $0.nodes(forXPath: "failure|error").isEmpty })
        #expect(try found[2].nodes(forXPath: "system-out").first?.stringValue?.contains("missed session.p99 < 150ms: 40") == true)
        let none = try cases(Self.variants[1])
        #expect(try none.last?.nodes(forXPath: "failure/@type").first?.stringValue == "NoCapacity")
        let aborted = try cases(Self.variants[2])
        #expect(try aborted.last?.nodes(forXPath: "error/@type").first?.stringValue == "SearchAborted")
    }

    @Test func jsonHasEveryStepAndTheResult() throws {
        let json = try JSONValue.parse(CapacityJSONReport.render(Self.search()))
        #expect(json["format"]?.stringValue == "sandbench-capacity/1")
        #expect(json["result"]?["capacity"]?.numberValue == 60)
        #expect(json["result"]?["bracket"]?["failed"]?.numberValue == 80)
        #expect(json["result"]?["stop"]?.stringValue == "resolved")
        let steps = try #require(json["steps"]?.arrayValue)
        #expect(steps.compactMap { $0["rate"]?.numberValue } == [20, 40, 80, 80, 60])
        #expect(steps.compactMap { $0["attempt"]?.numberValue } == [1, 1, 1, 2, 1])
        let failed = try #require(steps[2]["failed"]?.arrayValue)
        #expect(failed.compactMap { $0["source"]?.stringValue } == ["session.p99 < 150ms", "dropped.count < 1"])
        // Measured values at the HDR histogram's precision (3 significant digits).
        func near(_ value: Double?, _ expected: Double) -> Bool { value.map { abs($0 - expected) <= expected * 0.002 } ?? false }
        let actual = failed.compactMap { $0["actual"]?.numberValue }
        #expect(actual.count == 2 && near(actual[0], 0.4) && actual[1] == 3, "\(actual)")
        #expect(near(steps[0]["operations"]?.arrayValue?.first?["p50Ms"]?.numberValue, 50))
        #expect(near(steps[0]["session"]?["p99Ms"]?.numberValue, 50))
        let none = try JSONValue.parse(CapacityJSONReport.render(Self.variants[1]))
        #expect(none["result"]?["capacity"] == .null && none["found"]?.boolValue == false)
    }

    @Test func htmlIsSelfContainedWithTheKneeMarked() {
        let html = CapacityHTMLReport.render(Self.search())
        #expect(html.contains("id=\"capacity-knee\"") && html.contains("capacity 60/s"))
        #expect(html.contains("health &lt;&amp;&gt; &quot;check&quot;") && !html.contains("health <&>"))
        #expect(!html.contains("<script") && !html.contains("src=\"http"))
        // One dot per run, the rule at 60/s between the dots at 40 and 80.
        #expect(html.components(separatedBy: "class=\"marker\"").count - 1 == 5)
        // Each step's operations, p50 / p99: the 80/s step's requests took 400 ms.
        #expect(html.contains("Operations per step") && html.contains("<th>request</th>"))
        #expect(html.contains("<td>400ms / 400ms</td>"))
        let empty = CapacityHTMLReport.render(Self.variants[3])
        #expect(empty.contains("no data") && empty.contains("ABORTED"))
    }
}
