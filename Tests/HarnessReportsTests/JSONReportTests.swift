import Foundation
import HarnessCore
import HarnessReports
import SandboxAPI
import Testing

@Suite struct JSONReportTests {
    func document() throws -> JSONValue {
        try JSONValue.parse(JSONReport.render(SampleRuns.mixed()))
    }

    @Test func roundTripsThroughTheParser() throws {
        let bytes = JSONReport.render(SampleRuns.mixed())
        let parsed = try JSONValue.parse(bytes)
        #expect(parsed.serialized() == bytes)
    }

    @Test func summaryHasCountsTargetStartAndLeaks() throws {
        let doc = try document()
        #expect(doc["format"] == "sandbench-run/1")
        #expect(doc["target"]?.stringValue == "http://127.0.0.1:8080 \u{1B}[0m")
        #expect(doc["startedAt"] == "2026-11-18T11:06:40.250000Z")
        #expect(doc["durationMs"]?.numberValue == 1_264_567.8)
        #expect(doc["passed"] == false)
        #expect(doc["leaks"] == ["sandboxEnvironments/leaky-1"])
        #expect(doc["counts"] == ["total": 8, "passed": 4, "failed": 2, "errors": 1, "skipped": 1])
    }

    @Test func scenariosAndStepsKeepEveryDetail() throws {
        let scenarios = try #require(try document()["scenarios"]?.arrayValue)
        #expect(scenarios.count == 8)
        #expect(scenarios[0]["durationMs"]?.numberValue == 1_234_567.89)
        #expect(scenarios[0]["tags"] == ["smoke"])
        #expect(scenarios[3]["skipReason"] == "needs a GPU machine")
        #expect(scenarios[2]["cleanupProblems"] == ["could not delete sandboxEnvironments/x: 503"])

        let step = try #require(scenarios[1]["steps"]?.arrayValue?[1])
        #expect(step["name"] == "run hello")
        #expect(step["operation"] == "execute")
        #expect(step["outcome"] == "failed")
        #expect(step["durationMs"]?.numberValue == 1.5)
        #expect(step["startOffsetMs"]?.numberValue == 5)
        #expect(step["httpStatus"]?.numberValue == 200)
        #expect(step["errorMessage"] == .null)
        #expect(step["location"] == ["file": "suites/basic.yaml", "line": 12, "column": 7])
        let mismatch = try #require(step["mismatches"]?.arrayValue?.first)
        #expect(mismatch["what"] == "stdout")
        #expect(mismatch["actual"]?.stringValue == "hello\n" + SampleRuns.hostile, "JSON keeps text verbatim")

        let errorStep = try #require(scenarios[2]["steps"]?.arrayValue?.first)
        #expect(errorStep["errorMessage"]?.stringValue?.hasPrefix("timed out") == true)
        #expect(errorStep["httpStatus"] == .null)
    }

    @Test func writesTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try JSONReport.write(SampleRuns.mixed(), to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes == JSONReport.render(SampleRuns.mixed()))
    }
}
