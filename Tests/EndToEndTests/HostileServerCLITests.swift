import Foundation
import SandboxAPI
import TestServers
import Testing

/// `sandbench run` against a server that answers every execute in a different hostile way: the
/// binary never traps or hangs, each answer is an error of its scenario in every report, and the
/// run still deletes every sandbox.
@Suite struct HostileServerCLITests {
    static let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    static let chunked = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

    static func console(_ json: String) -> String {
        "{\"outputs\":[{\"data\":\"\(Base64.encode(Array(json.utf8)))\",\"mimeType\":\"application/json\"}]}"
    }

    static func error(_ status: Int, body: [UInt8], headers: [(name: String, value: String)] = []) -> LoopbackServer.Reply {
        .response(status: status, headers: headers, body: body)
    }

    /// One hostile answer per execute, in order, with the text its error must show.
    static let answers: [(name: String, reply: LoopbackServer.Reply, says: String)] = [
        ("nesting 10,000 deep", FakeSandboxAPI.ok(deep), "nesting deeper than 512"),
        ("junk bytes", .raw((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 1) }), "protocol error"),
        (
            "truncated body", .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n{\"outputs\":[".utf8)),
            "closed the connection before"
        ),
        (
            "never-ending body",
            .endless(head: chunked, chunk: Array("4000\r\n".utf8) + [UInt8](repeating: 0x5b, count: 0x4000) + Array("\r\n".utf8)),
            "larger than the limit of 1048576 bytes"
        ),
        ("invalid base64", FakeSandboxAPI.ok("{\"outputs\":[{\"data\":\"%%%\"}]}"), "not valid base64"),
        ("msg_out of the wrong type", FakeSandboxAPI.ok(console("{\"msg_out\":[1],\"msg_err\":\"\"}")), "msg_out as a JSON array"),
        ("number out of range", FakeSandboxAPI.ok("{\"outputs\":[{\"data\":\"aGk=\",\"mimeType\":1e999}]}"), "not an execute response"),
        ("empty 200", .response(status: 200), "empty body instead of JSON"),
        (
            "503 asking to wait for ever",
            error(
                503, body: Array("{\"error\":{\"code\":503,\"message\":\"later\",\"status\":\"UNAVAILABLE\"}}".utf8),
                headers: [("Retry-After", "99999999999999999999")]), "HTTP 503 UNAVAILABLE: later"
        ),
        ("500 with a deep body", error(500, body: Array(deep.utf8)), "HTTP 500 UNKNOWN: [[[[")
    ]

    @Test(.timeLimit(.minutes(3)))
    func everyHostileAnswerIsAnErrorOfItsScenario() async throws {
        let executes = Locked(0)
        let api = FakeSandboxAPI { route, _ in
            guard route == .execute else { return nil }
            let k = executes.get()
            executes.set(k + 1)
            return Self.answers[k % Self.answers.count].reply
        }
        let server = try LoopbackServer(api.respond)
        defer { server.stop() }

        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenarios = Self.answers.map { answer in
            "  - name: \(answer.name)\n    steps:\n      - create: {}\n      - execute: print('hi')\n        expect: {stdout: \"hi\\n\"}\n"
        }.joined()
        try ("scenarios:\n" + scenarios).write(toFile: dir + "/hostile.yaml", atomically: true, encoding: .utf8)
        let out = try await CLI.run(
            [
                "run", dir + "/hostile.yaml", "--target", server.baseURL, "--concurrency", "1", "--retries", "3",
                "--max-response-bytes", "1048576", "--request-timeout", "30s",
                "--junit", dir + "/junit.xml", "--json", dir + "/run.json"
            ], timeout: 150)

        #expect(out.status == 1, "exit \(out.status) (a trap would be a signal): \(out.stdout.suffix(3000))\(out.stderr.suffix(1000))")
        #expect(out.stdout.contains("0 passed, 0 failed, \(Self.answers.count) errors, 0 skipped"), "\(out.stdout)")
        for answer in Self.answers {
            #expect(out.stdout.contains("ERROR \(dir)/hostile.yaml › \(answer.name)"), "\(answer.name): \(out.stdout)")
        }
        #expect(!out.stdout.contains("FAIL "))
        #expect(!out.stdout.contains("LEAK"))
        #expect(api.alive.isEmpty, "left alive: \(api.alive)")

        let junit = try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)
        #expect(junit.components(separatedBy: "<error ").count - 1 == Self.answers.count)
        #expect(!junit.contains("<failure "))
        let (lint, messages) = try CLI.validateJUnit(dir + "/junit.xml")
        #expect(lint == 0, "\(messages)")
        let report = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))))
        #expect(report["counts"]?["errors"]?.numberValue == Double(Self.answers.count))
        #expect(report["counts"]?["failed"]?.numberValue == 0)
        #expect(report["leaks"]?.arrayValue?.isEmpty == true)
        // Each scenario's execute step carries the error its answer deserves (in full, unlike the console).
        for (scenario, answer) in zip(report["scenarios"]?.arrayValue ?? [], Self.answers) {
            let step = scenario["steps"]?.arrayValue?.last
            #expect(scenario["name"]?.stringValue == answer.name)
            #expect(step?["outcome"]?.stringValue == "error" && step?["mismatches"]?.arrayValue?.isEmpty == true)
            #expect(
                step?["errorMessage"]?.stringValue?.contains(answer.says) == true,
                "\(answer.name): \(String(describing: step?["errorMessage"]))")
        }
    }
}
