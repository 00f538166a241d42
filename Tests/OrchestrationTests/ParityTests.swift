import Foundation
import HarnessCore
import HarnessParity
import Orchestration
import SandboxAPI
import SandboxEmulator
import Testing

/// Parity over real HTTP: two in-process emulators, one of them started with other settings.
@Suite struct ParityTests {
    static let suite = """
        scenarios:
          - name: lifecycle
            steps:
              - create: {}
              - execute: |
                  import sys
                  print("x" * 40)
                  print("warning", file=sys.stderr)
              - execute: print(undefined_name)
              - get: {}
              - list: {}
              - request: {method: GET, path: "${engine}/sandboxEnvironments/123456789"}
                expect: {status: 404}
              - delete: {}
        """

    /// Starts an emulator with `maxOutputBytes` for `body`.
    func withEmulator<T: Sendable>(maxOutputBytes: Int = 1 << 20, _ body: @Sendable (String) async throws -> T) async throws -> T {
        var configuration = testEmulatorConfiguration()
        configuration.maxOutputBytes = maxOutputBytes
        return try await Emulator.withEmulator(configuration: configuration, logger: quietLogger, body)
    }

    func live(_ base: String) -> ParitySource {
        .live(Orchestrator(target: TargetConfiguration(kind: .url(base))))
    }

    func compare(
        _ reference: ParitySource, _ candidate: ParitySource?, gaps: ParityGaps = ParityGaps(),
        snapshots: String? = nil, reports: ParityReports = ParityReports()
    ) async throws -> ParityOutcome {
        let request = ParityRequest(
            files: try scenarios(Self.suite), reference: reference, candidate: candidate, gaps: gaps,
            updateSnapshots: snapshots)
        return try await Orchestrator.parity(request, interruption: .taskCancellation, reports: reports)
    }

    @Test func emulatorAgainstEmulatorIsTheSame() async throws {
        try await withEmulator { reference in
            try await withEmulator { candidate in
                let outcome = try await compare(live(reference), live(candidate))
                let result = try #require(outcome.result)
                #expect(result.passed, "\(ParityFailures(result))")
                #expect(result.steps.count == 7)
                #expect(result.steps.allSatisfy { $0.verdict == .same }, "\(ParityFailures(result))")
                #expect(result.latency.map(\.operation).contains("execute"))
                let notFound = try #require(result.steps.first { $0.operation == "request" })
                #expect(notFound.errorShape?.matches == true)
                #expect(notFound.errorShape?.reference?.rpcStatus == "NOT_FOUND")
                let engines = try await withInspector(candidate) { try await $0.engineNames() }
                #expect(engines.isEmpty, "the candidate's engine was left: \(engines)")
            }
        }
    }

    @Test func aCandidateWithSmallerOutputCapsDiffersAtTheOutputPath() async throws {
        try await withEmulator { reference in
            try await withEmulator(maxOutputBytes: 16) { candidate in
                let result = try #require(try await compare(live(reference), live(candidate)).result)
                #expect(!result.passed)
                let execute = try #require(result.steps.first { $0.name == "2-execute" })
                #expect(execute.verdict == .different)
                #expect(execute.unexplained.map(\.path.description) == ["outputs[0].msg_out"], "\(execute.differences)")
                #expect(execute.differences.first?.reference == .string(String(repeating: "x", count: 40) + "\n"))
                let traceback = try #require(result.steps.first { $0.name == "3-execute" })
                #expect(traceback.unexplained.map(\.path.description) == ["outputs[0].msg_err"], "\(traceback.differences)")
                #expect(
                    result.steps.filter { !$0.name.hasSuffix("-execute") }.allSatisfy { $0.verdict == .same }, "\(ParityFailures(result))")
            }
        }
    }

    @Test func aGapCoversTheDifferenceAndAStaleGapIsReported() async throws {
        let gaps = try ParityGaps.parse(
            yaml: """
                gaps:
                  - scenario: life*
                    path: 'outputs[0]'
                    reason: the candidate caps output at 16 bytes
                    date: 2026-12-01
                  - scenario: '*'
                    path: '**.expireTime'
                    reason: both emulators give no expireTime without a TTL, so this gap explains nothing
                    date: 2026-12-01
                """, path: "parity-gaps.yaml")
        let dir = NSTemporaryDirectory() + "sandbench-parity-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withEmulator { reference in
            try await withEmulator(maxOutputBytes: 16) { candidate in
                let reports = ParityReports(junit: dir + "/junit.xml", json: dir + "/parity.json", html: dir + "/parity.html")
                let result = try #require(try await compare(live(reference), live(candidate), gaps: gaps, reports: reports).result)
                #expect(result.passed, "\(ParityFailures(result))")
                let execute = try #require(result.steps.first { $0.name == "2-execute" })
                #expect(execute.verdict == .explained)
                #expect(execute.differences.first?.gap?.reason == "the candidate caps output at 16 bytes")
                #expect(result.staleGaps.map(\.gap.path.description) == ["**.expireTime"])
                let junit = try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)
                #expect(junit.contains("covered by known gaps: the candidate caps output at 16 bytes"))
                #expect(junit.contains("stale gap"))
                let json = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/parity.json"))))
                #expect(json["counts"]?["explained"] == 2 && json["counts"]?["staleGaps"] == 1)
                let html = try String(contentsOfFile: dir + "/parity.html", encoding: .utf8)
                #expect(html.contains("outputs[0].msg_out") && html.contains("the candidate caps output at 16 bytes"))
            }
        }
    }

    @Test func aSnapshotFolderIsAnOfflineReference() async throws {
        let dir = NSTemporaryDirectory() + "sandbench-snapshots-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withEmulator { reference in
            let recorded = try await compare(live(reference), nil, snapshots: dir)
            #expect(recorded.result == nil && recorded.passed)
            #expect(recorded.snapshotFiles == [dir + "/test--lifecycle.json"])
        }
        let text = try String(contentsOfFile: dir + "/test--lifecycle.json", encoding: .utf8)
        #expect(text.contains("<sandbox:1>") && text.contains("\"msg_out\": \"" + String(repeating: "x", count: 40)))
        #expect(!text.contains("sb-"), "the run label is normalised: \(text)")
        try await withEmulator { candidate in
            let same = try #require(try await compare(.snapshots(dir), live(candidate)).result)
            #expect(same.passed, "\(ParityFailures(same))")
            #expect(same.reference.hasPrefix("snapshots in \(dir)"))
        }
        try await withEmulator(maxOutputBytes: 16) { candidate in
            let different = try #require(try await compare(.snapshots(dir), live(candidate)).result)
            #expect(!different.passed)
            #expect(different.steps.first { $0.name == "2-execute" }?.unexplained.map(\.path.description) == ["outputs[0].msg_out"])
        }
    }
}

extension ParityTests {
    @Test func aRunThatOnlyObservesKeepsAnswersItsExpectationsWouldFail() async throws {
        let files = try scenarios(
            """
            scenarios:
              - name: observed
                steps:
                  - create: {}
                  - execute: print(1)
                    expect: {stdout: "2\\n"}
                  - request: {method: GET, path: "${engine}/sandboxEnvironments/987654321"}
            """)
        try await withEmulator { base in
            let orchestrator = Orchestrator(target: TargetConfiguration(kind: .url(base)))
            var options = RunOptions()
            options.keepsObservations = true
            let judged = try await orchestrator.run(files, options: options, reports: SuiteReports())
            #expect(judged.scenarios.first?.outcome == .failed)
            options.judgesExpectations = false
            let observed = try await orchestrator.run(files, options: options, reports: SuiteReports())
            #expect(observed.passed, "\(observed.scenarios.first?.failingStep?.summary ?? "")")
            let steps = try #require(observed.scenarios.first?.steps)
            #expect(steps.map { $0.observation?.status } == [200, 200, 404])
            #expect(steps[1].observation?.stdout == "1\n")
        }
    }
}

/// Every step that was not the same, for failure messages.
struct ParityFailures: CustomStringConvertible {
    let result: ParityResult
    init(_ result: ParityResult) { self.result = result }
    var description: String {
        result.problems.joined(separator: "\n") + "\n"
            + result.scenarios.flatMap { scenario in
                scenario.problems
                    + scenario.steps.filter { $0.verdict != .same }.map { step in
                        "\(step.name): \(step.verdict) \(step.problems) "
                            + step.differences.map {
                                "\($0.path): \($0.reference?.jsonString ?? "-") → \($0.candidate?.jsonString ?? "-")"
                            }
                            .joined(separator: "; ")
                    }
            }.joined(separator: "\n")
    }
}
