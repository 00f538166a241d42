import Foundation
import HarnessCassettes
import HarnessCore
import HarnessRecorder
import HarnessReplay
import Orchestration
import SandboxAPI
import Testing

/// `Orchestrator.replay` over real HTTP: cassettes replayed against in-process emulators.
@Suite struct ReplayTests {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last != "Tests" { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    static let shipped = root + "/scenarios/recorded/quickstart.yaml"

    @Test func theShippedQuickstartReplaysAndLeavesNothing() async throws {
        let plan = try ReplayPlan.load(path: Self.shipped)
        try await withEmulator { base in
            let result = try await Orchestrator(target: TargetConfiguration(kind: .url(base))).replay(
                [plan], options: RunOptions(),
                reports: SuiteReports())
            let failures = result.scenarios.map {
                $0.failingStep.map { "\($0.location.map(String.init(describing:)) ?? ""): \($0.summary)" } ?? ""
            }
            #expect(result.passed, "\(failures)")
            #expect(result.scenarios.first?.steps.count == plan.scenario.steps.count)
            #expect(result.leaks.isEmpty)
            let engines = try await withInspector(base) { try await $0.engineNames() }
            #expect(engines.isEmpty, "engines left: \(engines)")
        }
    }

    @Test func aTargetThatAnswersDifferentlyFailsAtTheRecordedLine() async throws {
        let text = try String(contentsOfFile: Self.shipped, encoding: .utf8)
        let changed = text.replacingOccurrences(of: "js says 42", with: "js says 41")
        let plan = try ReplayPlan(yaml: changed, path: "changed.yaml")
        let line =
            changed.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("js says 41") }.map { $0 + 1 } ?? 0
        try await withEmulator { base in
            let result = try await Orchestrator(target: TargetConfiguration(kind: .url(base))).replay(
                [plan], options: RunOptions(),
                reports: SuiteReports())
            #expect(!result.passed && result.leaks.isEmpty)
            let scenario = try #require(result.scenarios.first)
            #expect(scenario.outcome == .failed)
            let failing = try #require(scenario.failingStep)
            #expect(failing.operation == "execute" && failing.mismatches.first?.what == "stdout")
            // The step's location is its exchange, just above the recorded output.
            let location = try #require(failing.location)
            #expect(location.file == "changed.yaml" && location.line < line && line - location.line < 25, "\(location) vs line \(line)")
            let engines = try await withInspector(base) { try await $0.engineNames() }
            #expect(engines.isEmpty, "engines left: \(engines)")
        }
    }
}
