import Foundation
import HarnessCore
import HarnessReports
import SandboxAPI
import Testing

@Suite struct LoadJSONReportTests {
    func document(_ result: LoadResult = LoadSampleRuns.result()) throws -> JSONValue {
        try JSONValue.parse(LoadJSONReport.render(result))
    }

    @Test func roundTripsThroughTheParser() throws {
        let bytes = LoadJSONReport.render(LoadSampleRuns.result())
        #expect(try JSONValue.parse(bytes).serialized() == bytes)
    }

    @Test func headerPlanAndCounters() throws {
        let doc = try document(LoadSampleRuns.result(aborted: "interrupted", leaks: ["sandboxEnvironments/x"]))
        #expect(doc["format"] == "sandbench-load/1")
        #expect(doc["scenario"] == "hello <world> & \"friends\"")
        #expect(doc["file"] == "scenarios/hello.yaml")
        #expect(doc["startedAt"] == "2026-11-18T11:06:40.250000Z")
        #expect(doc["seconds"] == 10)
        #expect(doc["aborted"] == "interrupted")
        #expect(doc["leaks"] == ["sandboxEnvironments/x"])
        #expect(doc["passed"] == false)
        #expect(
            doc["plan"] == [
                "model": "open", "rate": 100, "vus": nil, "duration": 10, "iterations": nil, "pacing": nil,
                "max_in_flight": 50, "arrivals": "uniform", "stages": [], "seed": "42", "abort_on_fail": false,
                "thresholds": .array(LoadSampleRuns.thresholds.map(JSONValue.string))
            ])
        #expect(
            doc["counters"] == [
                "sessionsStarted": 1000, "sessionsFinished": 1000, "sessionsFailed": 10, "sessionsErrored": 10, "dropped": 0,
                "steps": 3000, "stepErrors": 10, "stepFailures": 10
            ])
    }

    @Test func closedPlanWithStages() throws {
        var result = LoadSampleRuns.result(sessions: 1)
        result.plan = LoadPlan(
            model: .closed(vus: 5, iterations: 3, duration: nil, pacing: .milliseconds(500)),
            stages: [.init(duration: .seconds(30), target: 10)], abortOnFail: true)
        #expect(
            try document(result)["plan"] == [
                "model": "closed", "rate": nil, "vus": 5, "duration": nil, "iterations": 3, "pacing": 0.5,
                "max_in_flight": nil, "arrivals": nil, "stages": [["duration": 30, "target": 10]], "seed": nil,
                "abort_on_fail": true, "thresholds": []
            ])
    }

    @Test func metricsCarrySummariesAndHistograms() throws {
        let doc = try document()
        let operations = try #require(doc["operations"]?.arrayValue)
        #expect(operations.compactMap { $0["name"]?.stringValue } == ["create", "ready", "execute", "delete"])
        #expect(doc["steps"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["create sandbox", "run hello", "delete"])
        let execute = try #require(operations.first { $0["name"] == "execute" })
        #expect(execute["count"] == 1000)
        #expect(execute["rate"] == 100)
        #expect(execute["failures"] == 10)
        #expect(execute["errors"] == 10)
        #expect(doc["session"]?["failures"] == 10 && doc["session"]?["errors"] == 10)
        #expect(execute["minMs"] == 1)
        #expect(execute["p50Ms"] == 500.223)
        #expect(execute["p99Ms"] == 990.207)
        #expect(execute["histograms"]?["unit"] == "us")
        let pairs = try #require(execute["histograms"]?["corrected"]?.arrayValue)
        #expect(pairs.compactMap { $0.arrayValue?[1].numberValue }.reduce(0, +) == 1000)
        #expect(execute["histograms"]?["service"]?.arrayValue?.count == pairs.count)
        #expect(doc["session"]?["name"] == "session")
        #expect(doc["session"]?["count"] == 1000)
    }

    @Test func thresholdsAndTimeline() throws {
        let doc = try document()
        let thresholds = try #require(doc["thresholds"]?.arrayValue)
        #expect(thresholds.count == LoadSampleRuns.thresholds.count)
        #expect(thresholds[0]["source"] == "execute.p99 < 250ms")
        #expect(thresholds[0]["passed"] == false)
        #expect(thresholds[0]["actual"]?.numberValue == 0.990207)
        #expect(thresholds[2]["passed"] == true)

        let timeline = try #require(doc["timeline"]?.arrayValue)
        #expect(timeline.count == 10)
        #expect(timeline[3]["second"] == 3)
        #expect(timeline[3]["width"] == 1)
        #expect(timeline[3]["started"] == 100)
        #expect(timeline[3]["finished"] == 100)
        #expect(timeline[3]["requests"] == 300)
        #expect(timeline[3]["errors"] == 1) // i = 349
        #expect(timeline[3]["failures"] == 1) // i = 399
        #expect((timeline[3]["p50Ms"]?.numberValue ?? 0) > 0)
        #expect((timeline[3]["p99Ms"]?.numberValue ?? 0) > (timeline[3]["p50Ms"]?.numberValue ?? 0))
    }

    @Test func mergingTwoRunsEqualsRecordingEverythingOnce() throws {
        let first = try document(LoadSampleRuns.result(sessions: 1000, executeBase: 1))
        let second = try document(LoadSampleRuns.result(sessions: 500, executeBase: 2000))
        let merged = try #require(LoadJSONReport.mergeHistograms([first, second], metric: "execute"))

        var direct = LatencyHistogram()
        for ms in 1...1000 { direct.record(.milliseconds(ms)) }
        for ms in 2000..<2500 { direct.record(.milliseconds(ms)) }
        #expect(merged.count == 1500)
        for p in [10, 50, 66, 67, 90, 99, 99.9] {
            #expect(merged.percentile(p) == direct.percentile(p), "p\(p)")
        }
        // The encoding keeps each bucket's highest equivalent value, so the exact extremes move within one bucket (0.1%).
        for p in [0.0, 100] {
            #expect(abs(merged.percentile(p) - direct.percentile(p)) <= direct.percentile(p) * 0.001, "p\(p)")
        }
        #expect(merged.percentile(50) < 1.0 && merged.percentile(90) > 2.0)

        #expect(LoadJSONReport.mergeHistograms([first, second], metric: "session")?.count == 1500)
        #expect(LoadJSONReport.mergeHistograms([first, second], metric: "run hello")?.count == 1500)
        #expect(LoadJSONReport.mergeHistograms([first, second], metric: "nope") == nil)
        #expect(LoadJSONReport.mergeHistograms([["format": "sandbench-run/1"]], metric: "execute") == nil)
    }

    @Test func emptyRunIsValidJSON() throws {
        let doc = try document(LoadSampleRuns.empty())
        #expect(doc["timeline"] == [])
        #expect(doc["session"]?["count"] == 0)
        #expect(doc["session"]?["histograms"]?["corrected"] == [])
        #expect(doc["thresholds"]?.arrayValue?.first?["actual"] == .null)
    }

    @Test func writesTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("load-\(UUID().uuidString)/r.json").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let result = LoadSampleRuns.result(sessions: 10)
        try LoadJSONReport.write(result, to: path)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == LoadJSONReport.render(result))
    }
}
