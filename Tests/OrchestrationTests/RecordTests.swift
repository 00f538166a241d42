import Foundation
import HarnessCassettes
import HarnessRecorder
import Orchestration
import Testing

/// `Orchestrator.record`: the proxy in front of the embedded target, the cassette written when it stops.
@Suite struct RecordTests {
    @Test func theCassetteIsWrittenWhenTheRecordingStops() async throws {
        let dir = NSTemporaryDirectory() + "sandbench-record-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/nested/session.yaml"
        let (ready, readyContinuation) = AsyncStream.makeStream(of: String.self)
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded), embedded: TestEmbeddedEmulator())
        let recording = Task {
            try await orchestrator.record(RecordingConfiguration(), to: path, logger: quietLogger) { readyContinuation.yield($0) }
        }
        var iterator = ready.makeAsyncIterator()
        let proxyURL = try #require(await iterator.next())
        let engines = try await withInspector(proxyURL) { try await $0.engineNames() }
        #expect(engines.isEmpty)
        recording.cancel()
        let cassette = try await recording.value
        #expect(cassette.upstream == "emulator")
        #expect(cassette.exchanges.map(\.path) == ["/v1beta1/projects/sandbench/locations/us-central1/reasoningEngines"])
        #expect(try Cassette(yaml: String(contentsOfFile: path, encoding: .utf8)) == cassette)
    }

    @Test func anOutputPathThatCannotBeWrittenFailsBeforeListening() async throws {
        let orchestrator = Orchestrator(target: TargetConfiguration(kind: .embedded), embedded: TestEmbeddedEmulator())
        for path in [NSTemporaryDirectory(), "/proc/sandbench-no-such/x.yaml"] {
            do {
                _ = try await orchestrator.record(RecordingConfiguration(), to: path, logger: quietLogger) { _ in
                    Issue.record("the proxy started although \(path) cannot be written")
                }
                Issue.record("recording to \(path) did not fail")
            } catch {
                #expect(error.code == .configuration, "\(error)")
            }
        }
    }
}
