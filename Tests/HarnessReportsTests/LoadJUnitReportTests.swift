import Foundation
import FoundationXML
import HarnessCore
import HarnessReports
import Testing

@Suite struct LoadJUnitReportTests {
    let junit = JUnitReportTests()

    func parse(_ result: LoadResult) throws -> XMLDocument {
        try XMLDocument(data: Data(try LoadJUnitReport.render(result, hostname: "ci-runner-1")), options: [])
    }

    func attribute(_ node: XMLNode, _ name: String) -> String? { junit.attribute(node, name) }

    static let variants: [(aborted: String?, leaks: [String], thresholds: [String])] = [
        (nil, [], LoadSampleRuns.thresholds),
        ("threshold breached: execute.p99 < 250ms", ["sandboxEnvironments/a", "sandboxEnvironments/b"], LoadSampleRuns.thresholds),
        (nil, ["sandboxEnvironments/\u{1B}[31mx"], ["not a threshold", "execute.p50 < 1s"]),
        ("interrupted", [], [])
    ]

    @Test(arguments: variants.indices)
    func validatesAgainstJunit10Schema(variant: Int) throws {
        let v = Self.variants[variant]
        let result = LoadSampleRuns.result(sessions: 100, thresholds: v.thresholds, aborted: v.aborted, leaks: v.leaks)
        let path = try junit.temporaryFile(try LoadJUnitReport.render(result, hostname: "ci-runner-1"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lint = try junit.xmllint(path)
        #expect(lint.status == 0, "xmllint: \(lint.errors)")
    }

    @Test func oneSuiteWithPropertiesAndACasePerThreshold() throws {
        let doc = try parse(LoadSampleRuns.result())
        let suites = try doc.nodes(forXPath: "/testsuites/testsuite")
        #expect(suites.count == 1)
        let suite = try #require(suites.first)
        #expect(attribute(suite, "name") == "load: hello <world> & \"friends\"")
        #expect(attribute(suite, "tests") == "6")
        #expect(attribute(suite, "failures") == "1")
        #expect(attribute(suite, "errors") == "0")
        #expect(attribute(suite, "time") == "10.000")
        #expect(attribute(suite, "hostname") == "ci-runner-1")
        #expect(attribute(suite, "timestamp") == "2026-11-18T11:06:40")
        func property(_ name: String) throws -> String? {
            try suite.nodes(forXPath: "properties/property[@name='\(name)']/@value").first?.stringValue
        }
        #expect(try property("target") == "emulator (in-process)")
        #expect(try property("model") == "open")
        #expect(try property("seed") == "42")
        #expect(try property("plan") == "open, 100/s for 10s, at most 50 in flight, uniform arrivals; seed 42")

        let cases = try suite.nodes(forXPath: "testcase[@classname='thresholds']")
        let names = cases.compactMap { attribute($0, "name") }
        #expect(names == ["execute.p99 < 250ms", "execute.p50 < 1s", "errors.rate < 5%", "execute.p50 < 1s (2)", "session.p99 <= 3s"])
        let failures = try suite.nodes(forXPath: "testcase/failure")
        #expect(failures.count == 1)
        let failure = try #require(failures.first)
        #expect(attribute(try #require(failure.parent), "name") == "execute.p99 < 250ms")
        #expect(attribute(failure, "message")?.hasPrefix("execute.p99 < 250ms: 990") == true)
        #expect(attribute(failure, "type") == "ThresholdBreached")

        let completed = try #require(try suite.nodes(forXPath: "testcase[@name='load run completed']").first)
        #expect(try completed.nodes(forXPath: "failure|error").isEmpty)
        #expect(try completed.nodes(forXPath: "system-out").first?.stringValue?.contains("run hello") == true)
    }

    @Test func abortedRunErrorsAndLeaksAreListed() throws {
        let doc = try parse(LoadSampleRuns.result(sessions: 10, thresholds: [], aborted: "interrupted", leaks: ["sandboxEnvironments/a"]))
        let completed = try #require(try doc.nodes(forXPath: "//testcase[@name='load run completed']").first)
        let error = try #require(try completed.nodes(forXPath: "error").first)
        #expect(attribute(error, "type") == "RunAborted")
        #expect(attribute(error, "message") == "run aborted: interrupted; 1 sandbox still alive after clean-up: sandboxEnvironments/a")
        #expect(attribute(try #require(doc.rootElement()), "errors") == "1")
    }

    @Test func leaksAloneFail() throws {
        let doc = try parse(LoadSampleRuns.result(sessions: 10, thresholds: [], leaks: ["sandboxEnvironments/a"]))
        let failure = try #require(try doc.nodes(forXPath: "//testcase[@name='load run completed']/failure").first)
        #expect(attribute(failure, "type") == "SandboxLeak")
        #expect(failure.stringValue?.contains("  - sandboxEnvironments/a") == true)
    }

    @Test func unparseableThresholdIsAnError() throws {
        let doc = try parse(LoadSampleRuns.result(sessions: 10, thresholds: ["not a threshold"]))
        let error = try #require(try doc.nodes(forXPath: "//testcase[@name='not a threshold']/error").first)
        #expect(attribute(error, "type") == "InvalidThreshold")
    }

    @Test func writeCreatesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("load-junit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("nested/junit.xml").path
        try LoadJUnitReport.write(LoadSampleRuns.result(sessions: 10), to: path, hostname: nil)
        #expect(try junit.xmllint(path).status == 0)
    }
}
