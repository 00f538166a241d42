import Foundation
import FoundationXML
import HarnessCore
import HarnessParity
import HarnessReports
import SandboxAPI
import Testing

/// Parity reports from a comparison whose answers hold what sandboxes print: escapes, control
/// characters, `]]>`, markup.
@Suite struct ParityReportTests {
    static let nasty = "\u{1B}[31mred\u{1B}[0m <b>&</b> ]]> \u{01}\u{0B} \u{FFFE} end"

    static func result(latencyBound: Double? = nil) throws -> ParityResult {
        func side(_ stdout: String, _ status: Int, latency: Duration) -> ParitySide {
            ParitySide(
                description: "side \(nasty)",
                scenarios: [
                    ScenarioRecord(
                        name: "scenario \(nasty)", file: "a.yaml", outcome: .passed,
                        steps: [
                            StepRecord(
                                name: "1-execute", operation: "execute", outcome: .passed,
                                response: ["@status": 200, "outputs": [["msg_out": .string(stdout), "msg_err": ""]]],
                                latencies: [.init(operation: "execute", duration: latency)]),
                            StepRecord(
                                name: "2-execute", operation: "execute", outcome: .passed,
                                response: ["@status": 200, "outputs": [["msg_out": "same", "msg_err": .string(stdout)]]]),
                            StepRecord(
                                name: "3-get", operation: "get", outcome: .passed,
                                response: [
                                    "@status": .number(Double(status)), "error": ["status": "NOT_FOUND", "message": .string(nasty)]
                                ]),
                            StepRecord(name: "3-get", operation: "get", outcome: .passed, response: ["@status": 200])
                        ]),
                    ScenarioRecord(name: "skipped", file: "b.yaml", outcome: .skipped, skipReason: "not today", steps: [])
                ])
        }
        let gaps = try ParityGaps.parse(
            yaml: """
                gaps:
                  - {scenario: '*', step: 2-execute, path: 'outputs[0].msg_err', reason: 'stderr differs <b>&</b>', date: 2026-12-01}
                  - {scenario: '*', path: 'nothing.here', reason: stale, date: 2026-12-01}
                """, path: "gaps.yaml")
        return ParityComparison(gaps: gaps, latencyBound: latencyBound)
            .compare(
                reference: side("ref " + nasty, 404, latency: .milliseconds(1)),
                candidate: side("cand " + nasty, 400, latency: .milliseconds(5)),
                startedAt: 1_764_547_200, duration: .milliseconds(1234))
    }

    func xmllint(_ bytes: [UInt8]) throws -> (Int32, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString).xml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        process.arguments = ["--noout", "--schema", JUnitReportTests.schema, path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, errors)
    }

    @Test(arguments: [nil, 2.0])
    func junitValidatesAndHasACasePerScenarioAndStep(latencyBound: Double?) throws {
        let bytes = try ParityJUnitReport.render(try Self.result(latencyBound: latencyBound), hostname: "ci")
        let (status, errors) = try xmllint(bytes)
        #expect(status == 0, "xmllint: \(errors)")
        let doc = try XMLDocument(data: Data(bytes), options: [])
        let cases = try doc.nodes(forXPath: "//testsuite[@name='parity: a.yaml']/testcase").compactMap {
            ($0 as? XMLElement)?.attribute(forName: "name")?.stringValue
        }
        #expect(cases == ["1-execute", "2-execute", "3-get", "3-get (2)"])
        #expect(try doc.nodes(forXPath: "//testcase[@name='1-execute']/failure[@type='ParityDifference']").count == 1)
        #expect(try doc.nodes(forXPath: "//testcase[@name='2-execute']/skipped").count == 1)
        #expect(try doc.nodes(forXPath: "//testcase[@name='3-get']/failure").count == 1)
        #expect(try doc.nodes(forXPath: "//testsuite[@name='parity']/testcase[starts-with(@name, 'stale gap')]/skipped").count == 1)
        let latencyFailures = try doc.nodes(forXPath: "//testcase[@name='latency: execute']/failure").count
        #expect(latencyFailures == (latencyBound == nil ? 0 : 1))
        let body = try #require(try doc.nodes(forXPath: "//testcase[@name='1-execute']/failure").first?.stringValue)
        #expect(body.contains("~ outputs[0].msg_out") && body.contains("reference: \"ref "))
        #expect(!body.contains("\u{1B}"))
    }

    @Test func jsonCarriesEveryDifferenceWithItsGap() throws {
        let json = try JSONValue.parse(ParityJSONReport.render(try Self.result()))
        #expect(json["format"] == "sandbench-parity/1" && json["passed"] == false)
        #expect(json["counts"] == ["steps": 4, "same": 1, "explained": 1, "different": 2, "errors": 0, "staleGaps": 1])
        let steps = try #require(json["scenarios"]?.arrayValue?.first?["steps"]?.arrayValue)
        #expect(steps[0]["differences"]?.arrayValue?.first?["path"] == "outputs[0].msg_out")
        #expect(steps[1]["differences"]?.arrayValue?.first?["gap"]?["location"] == "gaps.yaml:2:5")
        #expect(steps[2]["errorShape"]?["matches"] == false)
        #expect(json["scenarios"]?.arrayValue?.last?["verdict"] == "skipped")
        #expect(json["latency"]?.arrayValue?.first?["ratioP50"]?.numberValue.map { abs($0 - 5) < 0.05 } == true)
    }

    @Test func htmlEscapesWhatSandboxesPrintAndShowsBothSides() throws {
        let html = ParityHTMLReport.render(try Self.result())
        #expect(!html.contains("<b>&</b>") && html.contains("&lt;b&gt;&amp;&lt;/b&gt;"))
        #expect(!html.contains("\u{1B}"))
        #expect(html.contains("<td><code>outputs[0].msg_out</code></td>"))
        #expect(html.contains("Responses, normalised") && html.contains("<h3>reference</h3>") && html.contains("<h3>candidate</h3>"))
        #expect(html.contains("Stale gaps") && html.contains("Latency"))
    }

    @Test func consoleShowsACompactDiffWithoutEscapes() throws {
        let text = ParityConsole(isTTY: false, environment: [:]).render(try Self.result())
        #expect(text.contains("DIFF  a.yaml › scenario"))
        #expect(text.contains("        ~ outputs[0].msg_out"))
        #expect(text.contains("SKIP  b.yaml › skipped: not today"))
        #expect(text.contains("stale gap: *: nothing.here (gaps.yaml:3): no longer differs"))
        #expect(!text.contains("\u{1B}"))
        #expect(text.hasSuffix("— FAIL\n"))
    }
}
