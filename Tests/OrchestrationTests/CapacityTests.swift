import Foundation
import HarnessCore
import Orchestration
import SandboxEmulator
import Testing

/// `capacity` against emulators whose capacity is known (the accuracy test runs the binary: CapacityCommandTests).
@Suite(.serialized) struct CapacityTests {
    static let healthz = """
        scenarios:
          - name: health
            steps:
              - request: {method: GET, path: /healthz}
        """

    /// An emulator serving at most `limit` requests at once, each held for `latency`: its capacity
    /// is limit / latency requests per second (Little's law).
    func withLimitedEmulator<T: Sendable>(limit: Int, latency: Duration, _ body: @Sendable (String) async throws -> T) async throws -> T {
        var configuration = EmulatorConfiguration()
        configuration.warmPool = [:]
        configuration.maxConcurrentRequests = limit
        configuration.injectedLatency = latency
        return try await Emulator.withEmulator(configuration: configuration, logger: quietLogger, body)
    }

    @Test func aStartRateThatFailsFindsNoCapacity() async throws {
        let file = try scenarios(Self.healthz)[0]
        let result = try await withLimitedEmulator(limit: 1, latency: .milliseconds(50)) { base in
            let request = CapacityRequest(
                scenario: file.scenarios[0], file: file.path, slos: ["session.p99 < 150ms"],
                search: CapacitySearch.Configuration(start: 60, max: 100), stepDuration: .seconds(1), settle: .milliseconds(200),
                maxInFlight: 8)
            return try await Orchestrator(target: TargetConfiguration(kind: .url(base))).capacity(request, reports: CapacityReports())
        }
        // The failing start rate is run once more (one recheck by default) before the search believes it.
        #expect(result.capacity == nil && result.stop == .startFailed)
        #expect(result.steps.map(\.rate) == [60, 60] && result.steps.map(\.attempt) == [1, 2])
        let missed = result.steps.first?.breaches.map(\.threshold.source) ?? []
        #expect(missed.contains("session.p99 < 150ms"), "missed: \(missed)")
    }

    @Test func cancellingBetweenStepsLeavesNoSandbox() async throws {
        let yaml = """
            scenarios:
              - name: sandbox session
                steps:
                  - create: {}
                  - execute: "import time; time.sleep(0.3)"
                  - delete: {}
            """
        let file = try scenarios(yaml)[0]
        try await withEmulator { base in
            let finished = AsyncStream.makeStream(of: Int.self)
            let request = CapacityRequest(
                scenario: file.scenarios[0], file: file.path, slos: ["session.p99 < 60s"],
                search: CapacitySearch.Configuration(start: 2, max: 64), stepDuration: .seconds(1), settle: .zero)
            let search = Task {
                try await Orchestrator(target: TargetConfiguration(kind: .url(base))).capacity(
                    request, reports: CapacityReports(), events: CapacityEvents(stepFinished: { finished.continuation.yield($0.index) }))
            }
            var steps = finished.stream.makeAsyncIterator()
            #expect(await steps.next() == 1)
            // The second step has begun (or is about to): its sessions are cut off mid-flight.
            search.cancel()
            let result = try await search.value
            #expect(result.aborted == "interrupted")
            #expect(result.steps.count == 1 && result.leaks.isEmpty)
            #expect(try await withInspector(base) { try await $0.engineNames() }.isEmpty)
        }
    }
}
