import Foundation
import FoundationXML
import HarnessCore
import HarnessReports
import Testing

@Suite struct JUnitReportTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schema = repoRoot.appendingPathComponent("Tests/Fixtures/junit-10.xsd").path

    /// Writes `bytes` to a fresh temporary file and returns its path.
    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs `xmllint --noout --schema junit-10.xsd path`; returns its exit status and stderr.
    func xmllint(_ path: String) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        process.arguments = ["--noout", "--schema", Self.schema, path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, errors)
    }

    func parse(_ bytes: [UInt8]) throws -> XMLDocument {
        try XMLDocument(data: Data(bytes), options: [])
    }

    func attribute(_ node: XMLNode, _ name: String) -> String? {
        (node as? XMLElement)?.attribute(forName: name)?.stringValue
    }

    @Test(arguments: [["sandboxEnvironments/leaky-1"], []])
    func validatesAgainstJunit10Schema(leaks: [String]) throws {
        let bytes = try JUnitReport.render(SampleRuns.mixed(leaks: leaks), hostname: "ci-runner-1")
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try xmllint(path)
        #expect(result.status == 0, "xmllint: \(result.errors)")
    }

    @Test func hugeBodiesAreCappedAndStillValid() throws {
        let bytes = try JUnitReport.render(SampleRuns.huge(), hostname: nil)
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try xmllint(path).status == 0)
        let failure = try #require(try parse(bytes).nodes(forXPath: "//failure").first)
        let body = try #require(failure.stringValue)
        #expect(body.utf8.count <= 64 * 1024)
        #expect(body.contains("[truncated: "))
    }

    @Test func countsMatchOutcomes() throws {
        let doc = try parse(try JUnitReport.render(SampleRuns.mixed(), hostname: "h"))
        let root = try #require(doc.rootElement())
        #expect(root.name == "testsuites")
        #expect(attribute(root, "name") == "sandbench")
        #expect(attribute(root, "tests") == "9")
        #expect(attribute(root, "failures") == "3")
        #expect(attribute(root, "errors") == "1")
        #expect(attribute(root, "skipped") == nil, "junit-10.xsd has no skipped on testsuites")
        #expect(attribute(root, "time") == "1264.568")

        let suites = try doc.nodes(forXPath: "/testsuites/testsuite")
        #expect(suites.map { attribute($0, "name") } == [SampleRuns.basicFile, SampleRuns.nastyFile, "sandbench"])
        let basic = suites[0]
        #expect(attribute(basic, "tests") == "4")
        #expect(attribute(basic, "failures") == "1")
        #expect(attribute(basic, "errors") == "1")
        #expect(attribute(basic, "skipped") == "1")
        #expect(attribute(basic, "hostname") == "h")
        #expect(attribute(basic, "timestamp") == "2026-11-18T11:06:40")
        #expect(
            try basic.nodes(forXPath: "properties/property[@name='target']/@value").first?.stringValue
                == "http://127.0.0.1:8080 ")
        #expect((basic as? XMLElement)?.children?.first?.name == "properties")

        let leak = try #require(try doc.nodes(forXPath: "//testcase[@name='sandbox leak check']").first)
        #expect(try leak.nodes(forXPath: "failure").count == 1)
        #expect(try leak.nodes(forXPath: "failure").first?.stringValue?.contains("leaky-1") == true)
    }

    @Test func noLeakSuiteWithoutLeaks() throws {
        let doc = try parse(try JUnitReport.render(SampleRuns.mixed(leaks: []), hostname: nil))
        #expect(try doc.nodes(forXPath: "//testcase[@name='sandbox leak check']").isEmpty)
        #expect(try doc.nodes(forXPath: "//testsuite[@hostname]").isEmpty)
    }

    @Test func caseNamesAreUniqueWithinEachSuite() throws {
        let doc = try parse(try JUnitReport.render(SampleRuns.mixed(), hostname: nil))
        for suite in try doc.nodes(forXPath: "/testsuites/testsuite") {
            let names = try suite.nodes(forXPath: "testcase").compactMap { attribute($0, "name") }
            #expect(Set(names).count == names.count, "duplicates in \(names)")
        }
        let basicNames = try doc.nodes(forXPath: "/testsuites/testsuite[1]/testcase").compactMap { attribute($0, "name") }
        #expect(basicNames == ["create and delete", "hello", "hello (2)", "hello (3)"])
        let nastyNames = try doc.nodes(forXPath: "/testsuites/testsuite[2]/testcase").compactMap { attribute($0, "name") }
        #expect(nastyNames.suffix(3) == ["x (2)", "x", "x (3)"])
        let classnames = try doc.nodes(forXPath: "/testsuites/testsuite[1]/testcase").compactMap { attribute($0, "classname") }
        #expect(Set(classnames) == [SampleRuns.basicFile])
    }

    @Test func failureNamesTheStepAndListsEveryMismatch() throws {
        let doc = try parse(try JUnitReport.render(SampleRuns.mixed(), hostname: nil))
        let failure = try #require(try doc.nodes(forXPath: "//testcase[@name='hello']/failure").first)
        let message = try #require(attribute(failure, "message"))
        #expect(message.hasPrefix("step 'run hello' (suites/basic.yaml:12): stdout: expected"))
        #expect(attribute(failure, "type") == "AssertionError")
        let body = try #require(failure.stringValue)
        #expect(body.contains("expected: equal to"))
        #expect(body.contains("file out.txt"))
        #expect(body.contains("actual:   absent"))

        let error = try #require(try doc.nodes(forXPath: "//testcase[@name='hello (2)']/error").first)
        #expect(attribute(error, "type") == "StepError")
        #expect(attribute(error, "message")?.contains("step 'create'") == true)
        #expect(error.stringValue?.contains("could not delete") == true)

        let skipped = try #require(try doc.nodes(forXPath: "//testcase[@name='hello (3)']/skipped").first)
        #expect(attribute(skipped, "message") == "needs a GPU machine")
        #expect(skipped.stringValue?.isEmpty == false)
    }

    @Test func everyCaseHasStepLogAndNonEmptyMessages() throws {
        let doc = try parse(try JUnitReport.render(SampleRuns.mixed(), hostname: nil))
        for testCase in try doc.nodes(forXPath: "//testcase") {
            #expect(try testCase.nodes(forXPath: "system-out").first?.stringValue?.isEmpty == false)
            for outcome in try testCase.nodes(forXPath: "failure|error|skipped") {
                #expect(attribute(outcome, "message")?.isEmpty == false)
                #expect(outcome.stringValue?.isEmpty == false)
            }
        }
        let log = try doc.nodes(forXPath: "//testcase[@name='create and delete']/system-out").first?.stringValue ?? ""
        let lines = log.split(separator: "\n").map(String.init)
        #expect(lines.contains("  1. create  create  passed  812.000 ms  HTTP 200"))
        #expect(lines.contains("  2. delete  delete  passed   40.000 ms  HTTP 200"))
    }

    @Test func hostileTextIsCleaned() throws {
        let bytes = try JUnitReport.render(SampleRuns.mixed(), hostname: "host\u{1B}[0m")
        #expect(!bytes.contains(0x1B))
        #expect(!bytes.contains(0x00))
        #expect(!bytes.contains(0x0B))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("\u{FFFE}") && !text.contains("\u{FFFF}"))
        #expect(!text.contains("title"), "OSC payload should be dropped")
        let doc = try parse(bytes)
        let name = try #require(try doc.nodes(forXPath: "/testsuites/testsuite[2]/testcase[1]/@name").first?.stringValue)
        #expect(name.hasPrefix("bold red NUL:\\u{00} VT:\\u{0B} cdata:]]> xml:<&>\"' bad: osc:end"))
    }

    @Test func timesAreFixedPointSeconds() throws {
        let doc = try parse(try JUnitReport.render(SampleRuns.mixed(), hostname: nil))
        let times = try doc.nodes(forXPath: "//@time").compactMap(\.stringValue)
        #expect(times.count == 13)
        for time in times {
            #expect(time.wholeMatch(of: /[0-9]+\.[0-9]{3}/) != nil, "bad time \(time)")
        }
        #expect(times.contains("1234.568"))
        #expect(try doc.nodes(forXPath: "/testsuites/testsuite[2]/testcase[1]/@time").first?.stringValue == "0.000")
    }

    @Test func writeCreatesDirectories() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("nested/report.xml").path
        try JUnitReport.write(SampleRuns.mixed(), to: path)
        #expect(try xmllint(path).status == 0)
    }
}
