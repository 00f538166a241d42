import Foundation
import HarnessCore
import HarnessParity
import HarnessReplay
import SandboxAPI
import Testing

/// The shipped hand-written reference cassette read as a parity record.
@Suite struct CassetteReferenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    @Test func theShippedReferenceBecomesOneRecordWithAnAnswerPerStep() throws {
        let plan = try ReplayPlan.load(path: Self.root + "/scenarios/parity/quickstart-vertex.yaml")
        let record = ScenarioRecord(plan)
        #expect(record.name == "quickstart-vertex")
        #expect(record.steps.map(\.operation) == ["request", "create", "get", "list", "get", "execute", "execute", "delete"])
        #expect(record.steps.count == plan.scenario.steps.count)
        #expect(record.steps.allSatisfy { $0.outcome == .passed && $0.response?["@status"] == 200 })

        let create = try #require(record.steps.first { $0.operation == "create" })
        #expect(create.response?["@type"] == nil, "a live create records the GET of the sandbox, which has no @type")
        #expect(create.response?["state"] == "STATE_RUNNING")
        #expect(create.latencies.map(\.operation) == ["ready", "create"])
        // The create's POST took 310.4 ms; the poll that found it done ended at 8100 + 86.3 ms.
        #expect(create.latencies[1].duration == .microseconds(310_400))
        #expect(create.latencies[0].duration == .microseconds(4_686_300))

        let executes = record.steps.filter { $0.operation == "execute" }
        #expect(executes.count == 2)
        let first = try #require(executes.first?.response?["outputs"]?.arrayValue)
        #expect(first[0] == ["msg_out": "Hello, world!\n", "msg_err": ""])
        #expect(first[1]["file_name"] == "output.txt" && first[1]["text"] == "Hello, world!" && first[1]["mime_type"] == nil)
        let second = try #require(executes.last?.response?["outputs"]?.arrayValue?.first?["msg_err"]?.stringValue)
        #expect(second.hasSuffix("NameError: name 'lines' is not defined\n"))
    }

    @Test func aRecordedAndALiveExecuteAnswerHaveOneShape() throws {
        let live = StepRecord.executeBody(
            ExecuteResponse(
                stdout: "hi\n", stderr: "",
                files: [
                    SandboxFile(name: "b.bin", content: [0, 1, 2, 0xFF], mimeType: "application/octet-stream"),
                    SandboxFile(name: "a.txt", content: Array("text".utf8), mimeType: nil)
                ]))
        let recorded = try ReplayPlan(
            yaml: """
                format: sandbench-cassette/1
                recorded_at: '2026-12-01T00:00:00Z'
                upstream: emulator
                inline_limit: 65536
                keep_bodies: false
                exchanges:
                - method: POST
                  path: /v1beta1/projects/p/locations/l/reasoningEngines/1/sandboxEnvironments
                  status: 200
                  timing: {sent_ms: 0, first_byte_ms: 1, last_byte_ms: 1}
                  request: {json: {spec: {code_execution_environment: {}}}}
                  response:
                    json:
                      name: projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2/operations/3
                      done: true
                      response: {name: projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2, state: STATE_RUNNING}
                - method: POST
                  path: /v1beta1/projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2:execute
                  status: 200
                  timing: {sent_ms: 2, first_byte_ms: 1, last_byte_ms: 1.5}
                  request: {execute: {code: 'print("hi")', files: []}}
                  response:
                    execute:
                      msg_out: "hi\\n"
                      msg_err: ''
                      files:
                      - {name: b.bin, mime_type: application/octet-stream, size: 4, \
                sha256: \(SHA256.hex([0, 1, 2, 0xFF])), base64: AAEC/w==}
                      - {name: a.txt, size: 4, sha256: \(SHA256.hex(Array("text".utf8))), text: text}
                """, path: "c.yaml")
        let record = ScenarioRecord(recorded)
        let execute = try #require(record.steps.last)
        #expect(execute.response == .object(["@status": 200, "outputs": try #require(live["outputs"])]))
        #expect(execute.latencies.map(\.duration) == [.microseconds(1500)])
    }
}
