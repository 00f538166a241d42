import Foundation
import HarnessCore
import HarnessParity
import HarnessScenarios
import SandboxAPI
import Testing

@Suite struct GapsFileTests {
    func errors(_ yaml: String) -> [String] {
        do {
            _ = try ParityGaps.parse(yaml: yaml, path: "gaps.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func readsGapsNormalisersAndUnorderedLists() throws {
        let gaps = try ParityGaps.parse(
            yaml: """
                gaps:
                  - scenario: quick*
                    step: 3-execute
                    path: outputs[*].msg_err
                    reason: tracebacks are formatted by a different kernel
                    date: 2026-11-30
                  - {scenario: '*', path: '**.expireTime', reason: no TTL means no expiry here, date: 2026-12-01}
                normalisers:
                  - {regex: 'worker-[0-9]+', replace: '<worker>', numbered: true, paths: ['outputs[*].msg_err']}
                unordered: ['outputs[*].items']
                """, path: "gaps.yaml")
        #expect(gaps.gaps.count == 2)
        #expect(gaps.gaps[0].scenario.pattern == "quick*" && gaps.gaps[0].step?.pattern == "3-execute")
        #expect(gaps.gaps[0].path.description == "outputs[*].msg_err" && gaps.gaps[0].date == "2026-11-30")
        #expect(gaps.gaps[0].location.line == 2)
        #expect(gaps.gaps[1].step == nil)
        #expect(
            gaps.rules == [
                TextRule(
                    pattern: "worker-[0-9]+", replacement: "<worker>", numbered: true,
                    paths: [try ParityPath(parsing: "outputs[*].msg_err")], location: gaps.rules.first?.location)
            ])
        #expect(gaps.unordered.map(\.description) == ["outputs[*].items"])
        #expect(gaps.gap(scenario: "quickstart", step: "3-execute", path: try ParityPath(parsing: "outputs[0].msg_err")) == gaps.gaps[0])
        #expect(gaps.gap(scenario: "quickstart", step: "4-execute", path: try ParityPath(parsing: "outputs[0].msg_err")) == nil)
    }

    @Test func aPlainListIsAListOfGapsAndAnEmptyFileHasNone() throws {
        #expect(try ParityGaps.parse(yaml: "- {scenario: a, path: x, reason: r, date: 2026-01-02}\n", path: "g").gaps.count == 1)
        #expect(try ParityGaps.parse(yaml: "", path: "g").gaps.isEmpty)
        #expect(try ParityGaps.parse(yaml: "gaps: []\n", path: "g").gaps.isEmpty)
    }

    @Test(arguments: [
        (
            "gaps:\n  - {scenario: a, path: x, reason: r, date: 2026-01-02, paht: y}\n",
            "gaps.yaml:2:57: unknown key 'paht' in a gap (did you mean 'path'?)"
        ),
        (
            "gaps:\n  - {scenario: a, path: 'x[', reason: r, date: 2026-01-02}\n",
            "gaps.yaml:2:25: path is not a JSON path: expected an index"
        ),
        ("gaps:\n  - {scenario: a, path: x, reason: r, date: 30.11.2026}\n", "gaps.yaml:2:45: date must be YYYY-MM-DD"),
        ("gaps:\n  - {scenario: a, path: x, date: 2026-01-02}\n", "gaps.yaml:2:5: a gap needs 'reason'"),
        ("gaps:\n  - {scenario: a, path: x, reason: '  ', date: 2026-01-02}\n", "gaps.yaml:2:36: reason must say why"),
        ("normalisers:\n  - {regex: '(', replace: x}\n", "gaps.yaml:2:13: regex \"(\" is not a valid regular expression"),
        ("normalisers:\n  - {regex: 'a*', replace: x}\n", "gaps.yaml:2:13: regex \"a*\" matches empty text"),
        ("normalisers:\n  - {regex: 'a'}\n", "gaps.yaml:2:5: a normaliser needs 'replace'"),
        ("gapz: []\n", "gaps.yaml:1:1: unknown key 'gapz' in the gaps file (did you mean 'gaps'?)"),
        ("gaps: [\n", "gaps.yaml:2:1: invalid YAML"),
        ("gaps: 3\n", "gaps.yaml:1:7: gaps must be a list")
    ])
    func problemsAreReportedWithFileLineAndColumn(_ example: (String, String)) {
        let found = errors(example.0)
        #expect(found.contains { $0.hasPrefix(example.1) }, "\(found)")
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: ScenarioErrors.self) { try ParityGaps.load(path: "/nonexistent/parity-gaps.yaml") }
    }
}

@Suite struct ComparisonTests {
    static let name = "projects/p/locations/us-central1/reasoningEngines/1000001/sandboxEnvironments/2000002"

    func side(
        _ stdout: String, status: Int = 200, outcome: Outcome = .passed, latency: Duration = .milliseconds(2),
        extraSteps: Int = 0
    ) -> ParitySide {
        var steps = [
            StepRecord(
                name: "1-create", operation: "create", outcome: .passed,
                response: ["@status": 200, "name": .string(Self.name), "state": "STATE_RUNNING"],
                latencies: [.init(operation: "create", duration: latency)]),
            StepRecord(
                name: "2-execute", operation: "execute", outcome: outcome, problem: outcome == .passed ? nil : "stdout: expected x",
                response: ["@status": .number(Double(status)), "outputs": [["msg_out": .string(stdout), "msg_err": ""]]],
                latencies: [.init(operation: "execute", duration: latency)])
        ]
        for i in 0..<extraSteps {
            steps.append(StepRecord(name: "extra-\(i)", operation: "get", outcome: .passed, response: ["@status": 200]))
        }
        return ParitySide(
            description: "side", scenarios: [ScenarioRecord(name: "quickstart", file: "q.yaml", outcome: outcome, steps: steps)])
    }

    func gaps(_ yaml: String) throws -> ParityGaps { try ParityGaps.parse(yaml: yaml, path: "gaps.yaml") }

    @Test func theSameAnswersPass() {
        let result = ParityComparison().compare(reference: side("hi\n"), candidate: side("hi\n"), startedAt: 0, duration: .zero)
        #expect(result.passed)
        #expect(result.steps.map(\.verdict) == [.same, .same])
    }

    @Test func aDifferenceFailsNamingItsPathAndAGapExplainsIt() throws {
        let plain = ParityComparison().compare(reference: side("hello world\n"), candidate: side("hello"), startedAt: 0, duration: .zero)
        #expect(!plain.passed)
        let step = try #require(plain.steps.last)
        #expect(step.verdict == .different)
        #expect(step.differences.map(\.path.description) == ["outputs[0].msg_out"])
        #expect(step.differences.first?.reference == "hello world\n" && step.differences.first?.candidate == "hello")

        let covered = ParityComparison(
            gaps: try gaps(
                """
                gaps:
                  - {scenario: quick*, path: 'outputs[*].msg_out', reason: output capped at 16 bytes, date: 2026-12-01}
                  - {scenario: quick*, path: 'outputs[*].files', reason: never returned, date: 2026-12-01}
                  - {scenario: quick*, step: no-such-step, path: 'x', reason: a step that is not there, date: 2026-12-01}
                  - {scenario: other, path: 'y', reason: a scenario this run did not compare, date: 2026-12-01}
                """)
        ).compare(reference: side("hello world\n"), candidate: side("hello"), startedAt: 0, duration: .zero)
        #expect(covered.passed)
        #expect(covered.steps.last?.verdict == .explained)
        #expect(covered.steps.last?.differences.first?.gap?.reason == "output capped at 16 bytes")
        // The gap of scenario "other" is out of this run's scope: neither used nor stale.
        #expect(covered.staleGaps.map(\.gap.path.description) == ["outputs[*].files", "x"])
        #expect(covered.staleGaps.first?.why.hasPrefix("no longer differs") == true)
        #expect(covered.staleGaps.last?.why.hasPrefix("matched no compared step") == true)
    }

    @Test func aStepThatFailsItsOwnExpectationsIsAnErrorOfTheComparison() {
        let result = ParityComparison().compare(reference: side("x"), candidate: side("y", outcome: .failed), startedAt: 0, duration: .zero)
        #expect(!result.passed)
        #expect(result.steps.last?.verdict == .error)
        #expect(result.steps.last?.problems == ["candidate: failed: stdout: expected x"])
        #expect(result.steps.last?.differences.count == 1, "the responses are still compared")
    }

    @Test func stepsOneSideDidNotRunAreErrors() {
        let result = ParityComparison().compare(reference: side("x", extraSteps: 1), candidate: side("x"), startedAt: 0, duration: .zero)
        #expect(result.steps.map(\.verdict) == [.same, .same, .error])
        #expect(result.steps.last?.problems == ["candidate: not run (the scenario stopped at step '2-execute')"])
    }

    @Test func errorShapesAreSetSideBySide() throws {
        func error(_ status: Int, _ rpc: String, _ message: String) -> ParitySide {
            ParitySide(
                description: "s",
                scenarios: [
                    ScenarioRecord(
                        name: "n", file: "f", outcome: .passed,
                        steps: [
                            StepRecord(
                                name: "get", operation: "get", outcome: .passed,
                                response: [
                                    "@status": .number(Double(status)),
                                    "error": ["code": .number(Double(status)), "status": .string(rpc), "message": .string(message)]
                                ])
                        ])
                ])
        }
        let same = ParityComparison().compare(
            reference: error(404, "NOT_FOUND", "Sandbox 123456 not found."),
            candidate: error(404, "NOT_FOUND", "Sandbox 987654 not found"), startedAt: 0, duration: .zero)
        #expect(same.passed)
        #expect(same.steps.first?.errorShape?.matches == true)
        let other = ParityComparison().compare(
            reference: error(404, "NOT_FOUND", "Requested entity was not found."),
            candidate: error(400, "FAILED_PRECONDITION", "not running"), startedAt: 0, duration: .zero)
        let shape = try #require(other.steps.first?.errorShape)
        #expect(!shape.matches)
        #expect(shape.reference?.messageClass == "requested entity was not found" && shape.candidate?.rpcStatus == "FAILED_PRECONDITION")
        #expect(other.steps.first?.differences.map(\.path.description) == ["@status", "error.code", "error.message", "error.status"])
    }

    @Test func latencyIsReportedAndFailsOnlyOverTheBound() throws {
        let reference = side("x", latency: .milliseconds(2))
        let candidate = side("x", latency: .milliseconds(8))
        let reported = ParityComparison().compare(reference: reference, candidate: candidate, startedAt: 0, duration: .zero)
        #expect(reported.passed)
        let execute = try #require(reported.latency.first { $0.operation == "execute" })
        #expect(abs((execute.ratioP50 ?? 0) - 4) < 0.01 && abs((execute.ratioP99 ?? 0) - 4) < 0.01)
        #expect(!execute.exceeded)
        let bounded = ParityComparison(latencyBound: 3).compare(reference: reference, candidate: candidate, startedAt: 0, duration: .zero)
        #expect(!bounded.passed)
        #expect(bounded.latency.allSatisfy { $0.exceeded })
        #expect(ParityComparison(latencyBound: 5).compare(reference: reference, candidate: candidate, startedAt: 0, duration: .zero).passed)
    }

    @Test func aScenarioWithoutAReferenceRecordAndLeaksAreErrors() {
        let result = ParityComparison().compare(
            reference: ParitySide(description: "r", scenarios: []),
            candidate: ParitySide(description: "c", scenarios: side("x").scenarios, leaks: ["sb/1"]),
            startedAt: 0, duration: .zero)
        #expect(!result.passed)
        #expect(result.scenarios.first?.verdict == .error)
        #expect(result.problems.first?.contains("sb/1") == true)
    }
}

@Suite struct SnapshotFolderTests {
    @Test func aWrittenFolderReadsBackNormalised() throws {
        let dir = NSTemporaryDirectory() + "sandbench-snapshots-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let record = ScenarioRecord(
            name: "quick start", file: "scenarios/quickstart.yaml", outcome: .passed,
            steps: [
                StepRecord(
                    name: "1-create", operation: "create", outcome: .passed,
                    response: ["@status": 200, "name": .string(ComparisonTests.name), "createTime": "2026-11-30T21:11:57Z"],
                    latencies: [
                        .init(operation: "create", duration: .microseconds(1500)), .init(operation: "ready", duration: .milliseconds(3))
                    ])
            ])
        let folder = SnapshotFolder(path: dir)
        let files = try folder.write(
            ParitySide(description: "vertex", scenarios: [record]), recordedAt: "2026-12-01T00:00:00Z", normaliser: Normaliser())
        #expect(files == [dir + "/quickstart--quick-start.json"])
        let text = try String(contentsOfFile: files[0], encoding: .utf8)
        #expect(text.contains("\n      \"response\": {\n"), "one member per line:\n\(text)")
        #expect(!text.contains("2000002") && text.contains("<sandbox:1>") && text.contains("<timestamp>"))
        let (description, scenarios) = try folder.read()
        #expect(description == "snapshots in \(dir) (recorded from vertex)")
        #expect(scenarios.count == 1 && scenarios[0].name == "quick start" && scenarios[0].file == "scenarios/quickstart.yaml")
        #expect(scenarios[0].steps[0].latencies.map(\.operation) == ["create", "ready"])
        #expect(scenarios[0].steps[0].latencies[0].duration == .microseconds(1500))
        #expect(scenarios[0].steps[0].response?["name"]?.stringValue?.hasSuffix("<sandbox:1>") == true)
    }

    @Test(arguments: [
        ("{\n  \"format\": 1,\n", "3:1: not JSON"),
        ("{\"format\": \"other/1\"}", "format is \"other/1\""),
        (
            "{\"format\": \"sandbench-parity-snapshot/1\", \"scenario\": \"s\", \"file\": \"f\", \"outcome\": \"won\"}",
            "\"outcome\" must be"
        ),
        (
            "{\"format\": \"sandbench-parity-snapshot/1\", \"scenario\": \"s\", \"file\": \"f\", \"outcome\": \"passed\", "
                + "\"steps\": [{\"name\": \"a\", \"operation\": \"get\", \"outcome\": \"passed\", \"latency_ms\": {\"get\": 1e300}}]}",
            "steps[0].latency_ms.get must be"
        )
    ])
    func aDamagedSnapshotIsAnErrorNamingFileAndPlace(_ example: (String, String)) throws {
        let dir = NSTemporaryDirectory() + "sandbench-snapshots-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try example.0.write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        do {
            _ = try SnapshotFolder(path: dir).read()
            Issue.record("no error")
        } catch {
            #expect(error.path == dir + "/a.json")
            #expect(error.message.contains(example.1), "\(error)")
        }
    }

    @Test func aMissingFolderIsAnError() {
        #expect(throws: SnapshotError.self) { try SnapshotFolder(path: "/nonexistent/snapshots").read() }
    }
}
