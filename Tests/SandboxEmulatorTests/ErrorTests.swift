import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Section 2: every error carries the right HTTP status and a Google error body; bad input never yields 5xx.
extension EmulatorTests {
    @Suite struct Errors {
        @Test func unknownResourcesAreNotFound() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let missingEngine = "\(client.locationPath)/reasoningEngines/424242"
                let missingSandbox = "\(engine)/sandboxEnvironments/424242"
                expectGoogleError(try await client.call("GET", missingEngine), 404, "NOT_FOUND", "GET unknown engine")
                expectGoogleError(try await client.call("DELETE", missingEngine + "?force=true"), 404, "NOT_FOUND", "DELETE unknown engine")
                expectGoogleError(
                    try await client.call("GET", missingEngine + "/sandboxEnvironments"), 404, "NOT_FOUND", "list under unknown engine")
                expectGoogleError(
                    try await client.call("POST", missingEngine + "/sandboxEnvironments", json: TestClient.sandboxBody()),
                    404, "NOT_FOUND", "create under unknown engine")
                expectGoogleError(try await client.call("GET", missingSandbox), 404, "NOT_FOUND", "GET unknown sandbox")
                expectGoogleError(try await client.call("DELETE", missingSandbox), 404, "NOT_FOUND", "DELETE unknown sandbox")
                expectGoogleError(
                    try await client.execute(missingSandbox, code: "print(1)").http, 404, "NOT_FOUND", "execute unknown sandbox")
                expectGoogleError(
                    try await client.execute(missingSandbox, code: "print(1)", slashVerb: true).http, 404, "NOT_FOUND",
                    "execute unknown sandbox (slash)")
                expectGoogleError(try await client.call("GET", "\(engine)/operations/999"), 404, "NOT_FOUND", "unknown engine operation")
                expectGoogleError(try await client.call("GET", "\(sandbox)/operations/999"), 404, "NOT_FOUND", "unknown sandbox operation")
                expectGoogleError(
                    try await client.call("GET", "\(missingSandbox)/operations/999"), 404, "NOT_FOUND", "op of unknown sandbox")
            }
        }

        @Test func invalidBodiesAreInvalidArgument() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let engines = "\(client.locationPath)/reasoningEngines"
                let sandboxes = "\(engine)/sandboxEnvironments"
                let cases: [(String, String, String)] = [
                    ("malformed JSON on engine create", engines, #"{"displayName": "#),
                    ("malformed JSON on sandbox create", sandboxes, #"{"spec": {"#),
                    ("malformed JSON on execute", sandbox + ":execute", "{inputs: []}"),
                    ("unknown field on engine create", engines, #"{"bogus": 1}"#),
                    ("unknown field on sandbox create", sandboxes, #"{"spec": {"code_execution_environment": {}}, "bogus": 1}"#),
                    ("unknown field in spec", sandboxes, #"{"spec": {"code_execution_environment": {"bogus": 1}}}"#),
                    ("bad language enum", sandboxes, #"{"spec": {"code_execution_environment": {"code_language": "LANGUAGE_COBOL"}}}"#),
                    ("bad machine enum", sandboxes, #"{"spec": {"codeExecutionEnvironment": {"machineConfig": "MACHINE_CONFIG_HUGE"}}}"#),
                    ("bad ttl", sandboxes, #"{"spec": {"code_execution_environment": {}}, "ttl": "an hour"}"#),
                    ("wrong type", sandboxes, #"{"spec": {"code_execution_environment": {}}, "displayName": 7}"#),
                    ("inputData on execute", sandbox + ":execute", #"{"inputData": {"code": "print(1)"}}"#),
                    ("code on execute", sandbox + "/:execute", #"{"code": "print(1)"}"#),
                    (
                        "unknown chunk field", sandbox + ":execute",
                        #"{"inputs": [{"data": "", "mimeType": "application/json", "bogus": 1}]}"#
                    ),
                    ("bad base64", sandbox + ":execute", #"{"inputs": [{"data": "!!!", "mimeType": "application/json"}]}"#),
                    // Free text is bounded: every list answer would otherwise repeat it.
                    ("engine displayName of 129", engines, #"{"displayName": "\#(String(repeating: "é", count: 129))"}"#),
                    ("engine description of 2049", engines, #"{"description": "\#(String(repeating: "d", count: 2049))"}"#),
                    (
                        "sandbox displayName of 129", sandboxes,
                        #"{"spec": {"code_execution_environment": {}}, "displayName": "\#(String(repeating: "x", count: 129))"}"#
                    )
                ]
                for (label, resource, body) in cases {
                    expectGoogleError(try await client.call("POST", resource, text: body), 400, "INVALID_ARGUMENT", label)
                }
                // At the bound is fine.
                let longest = try await client.call("POST", engines, json: ["displayName": .string(String(repeating: "é", count: 128))])
                #expect(longest.status == 200, "\(longest)")
                // A text/x-python chunk without file_name is not a code chunk.
                let python = ["inputs": [["mimeType": "text/x-python", "data": .string(stdBase64(Array("print(1)".utf8)))]]] as JSONValue
                expectGoogleError(
                    try await client.call("POST", sandbox + ":execute", json: python), 400, "INVALID_ARGUMENT",
                    "text/x-python chunk without file_name")
                let noMime = ["inputs": [["data": .string(stdBase64(Array(#"{"code":"print(1)"}"#.utf8)))]]] as JSONValue
                expectGoogleError(
                    try await client.call("POST", sandbox + ":execute", json: noMime), 400, "INVALID_ARGUMENT",
                    "code chunk without mime type")
                // An application/json chunk that is not JSON, or JSON without a string `code`.
                for data in ["print(1)", #"{"code": 1}"#, "[1]"] {
                    let chunk = ["inputs": [["mimeType": "application/json", "data": .string(stdBase64(Array(data.utf8)))]]] as JSONValue
                    expectGoogleError(
                        try await client.call("POST", sandbox + ":execute", json: chunk), 400, "INVALID_ARGUMENT",
                        "code chunk \(data)")
                }
                // File names escaping the workdir.
                for name in ["../escape.txt", "/etc/passwd", "a/../../b", ""] {
                    let r = try await client.execute(sandbox, code: "print(1)", files: [InputFile(name: name, content: [1])])
                    expectGoogleError(r.http, 400, "INVALID_ARGUMENT", "file name \(name)")
                }
                // Nothing of the above broke the sandbox.
                let ok = try await client.execute(sandbox, code: "print('still fine')")
                #expect(ok.stdout == "still fine\n", "\(ok)")
            }
        }

        @Test func engineDeleteNeedsForceWhenItHasSandboxes() async throws {
            try await withTestEmulator({ $0.warmPool = [.python: 2, .javascript: 0] }) { client in
                let engine = try await client.createEngine()
                let s1 = try await client.createSandbox(engine: engine)
                let s2 = try await client.createSandbox(engine: engine)
                let refused = try await client.call("DELETE", engine)
                expectGoogleError(refused, 400, "FAILED_PRECONDITION", "delete engine with sandboxes")
                let refusedFalse = try await client.call("DELETE", engine + "?force=false")
                expectGoogleError(refusedFalse, 400, "FAILED_PRECONDITION", "delete engine with force=false")
                // Nothing was deleted.
                _ = try await client.ok("GET", engine)
                let stillThere = try await client.execute(s1, code: "print('alive')")
                #expect(stillThere.stdout == "alive\n")
                // With force the engine and its sandboxes are gone.
                _ = try await client.ok("DELETE", engine + "?force=true")
                expectGoogleError(try await client.call("GET", engine), 404, "NOT_FOUND", "engine after forced delete")
                for sb in [s1, s2] {
                    expectGoogleError(try await client.call("GET", sb), 404, "NOT_FOUND", "sandbox after forced engine delete")
                    expectGoogleError(try await client.execute(sb, code: "print(1)").http, 404, "NOT_FOUND", "execute after forced delete")
                }
            }
        }

        /// Pause stops every process of the sandbox (a spinning thread included) and resume
        /// continues them, with the interpreter's state intact.
        @Test func pauseStopsTheSandboxsProcessesAndResumeContinuesThem() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let spin =
                    "import os, threading\ncount = 0\ndef spin():\n    global count\n    while True: count += 1\n"
                    + "threading.Thread(target=spin, daemon=True).start()\nprint(os.getuid())"
                let started = try await client.execute(sandbox, code: spin)
                let uid = try #require(Int(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.http)")
                func states() -> [Character] {
                    sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).compactMap { pid in
                        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                            let close = stat.lastIndex(of: ")")
                        else { return nil }
                        return stat[close...].dropFirst(2).first
                    }
                }
                #expect(!states().isEmpty, "no processes of uid \(uid) found")
                _ = try await client.ok("POST", sandbox + ":pause")
                let stopped = await eventually(timeout: .seconds(5)) {
                    let s = states()
                    return !s.isEmpty && s.allSatisfy { $0 == "T" }
                }
                #expect(stopped, "paused sandbox's processes are in states \(states())")
                _ = try await client.ok("POST", sandbox + ":resume")
                let running = await eventually(timeout: .seconds(5)) {
                    let s = states()
                    return !s.isEmpty && !s.contains("T")
                }
                #expect(running, "resumed sandbox's processes are in states \(states())")
                let after = try await client.execute(sandbox, code: "import time\na = count\ntime.sleep(0.2)\nprint(count > a)")
                #expect(after.stdout == "True\n", "the spinning thread did not go on after resume: \(after.http)")
            }
        }

        @Test func executeOnPausedSandboxFails() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                _ = try await client.execute(sandbox, code: "kept = 5")
                let pause = try await client.completed(try await client.ok("POST", sandbox + ":pause"))
                #expect(pause["response"]?["state"]?.stringValue == "STATE_PAUSED", "\(pause.jsonString)")
                let pauseOp = try await client.ok("GET", try #require(pause["name"]?.stringValue))
                #expect(pauseOp["done"]?.boolValue == true)
                let state = try await client.ok("GET", sandbox)
                #expect(state["state"]?.stringValue == "STATE_PAUSED", "\(state.jsonString)")
                let r = try await client.execute(sandbox, code: "print(kept)")
                expectGoogleError(r.http, 400, "FAILED_PRECONDITION", "execute on paused sandbox")
                // Resume (slash form, as the agentplatform SDK sends it) and the state is still there.
                _ = try await client.ok("POST", sandbox + "/:resume")
                let resumed = try await client.execute(sandbox, code: "print(kept)")
                #expect(resumed.stdout == "5\n", "\(resumed)")
            }
        }

        @Test func defaultFileLimitIs100MB() {
            #expect(EmulatorConfiguration().maxFileBytes == 100_000_000)
        }

        @Test func filesOverTheLimitAreRejected() async throws {
            try await withTestEmulator({ $0.maxFileBytes = 1_000_000 }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let big = [UInt8](repeating: 0x61, count: 1_500_000)
                let one = try await client.execute(sandbox, code: "print(1)", files: [InputFile(name: "big.bin", content: big)])
                expectGoogleError(one.http, 400, "INVALID_ARGUMENT", "1.5 MB file over a 1 MB limit")
                // The limit is on the total: two 600 kB files are over it too.
                let half = [UInt8](repeating: 0x62, count: 600_000)
                let two = try await client.execute(
                    sandbox, code: "print(1)",
                    files: [
                        InputFile(name: "a.bin", content: half),
                        InputFile(name: "b.bin", content: half)
                    ])
                expectGoogleError(two.http, 400, "INVALID_ARGUMENT", "2 × 600 kB over a 1 MB limit")
                // Rejected files were not written; a file under the limit is accepted.
                let ok = try await client.execute(
                    sandbox, code: "import os; print(sorted(os.listdir('.')))",
                    files: [InputFile(name: "small.bin", content: half)])
                #expect(ok.stdout == "['small.bin']\n", "\(ok)")
                // Output files over the limit are not returned, and msg_err says why.
                let out = try await client.execute(
                    sandbox, code: "open('big.out', 'wb').write(b'z' * 1_500_000)\nopen('small.out', 'w').write('s')")
                #expect(out.status == 200, "\(out)")
                #expect(out.files.map(\.name) == ["small.out"], "\(out)")
                #expect(out.stderr.contains("big.out"), "the dropped file must be mentioned: \(out)")
            }
        }

        @Test func unknownPathsAreNotFound() async throws {
            try await withTestEmulator({ $0.warmPool = [.python: 0, .javascript: 0] }) { client in
                for (method, path) in [
                    ("GET", "/"), ("GET", "/nope"), ("GET", "/v2/projects/p/locations/l/reasoningEngines"),
                    ("GET", "/v1beta1/projects/p"), ("GET", "/v1beta1/projects/p/locations/l/widgets"),
                    ("POST", "/v1/projects/p/locations/l/reasoningEngines/1:frobnicate"),
                    ("GET", "/v1beta1/projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2/files")
                ] {
                    let r = try await client.raw(method, path)
                    expectGoogleError(r, 404, "NOT_FOUND", "\(method) \(path)")
                }
            }
        }

        @Test func garbageNeverCausesServerErrors() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
                let bodies: [[UInt8]] = [
                    Array("null".utf8), Array("[]".utf8), Array("\"str\"".utf8), Array("12".utf8), Array("{".utf8),
                    Array(#"{"inputs": null}"#.utf8), Array(#"{"inputs": [null]}"#.utf8), Array(#"{"inputs": [1, "x"]}"#.utf8),
                    Array(#"{"inputs": {"a": 1}}"#.utf8), Array(#"{"spec": []}"#.utf8),
                    Array(#"{"spec": {"codeExecutionEnvironment": 5}}"#.utf8),
                    Array(#"{"inputs":[{"data":"eA==","metadata":{"attributes":{"file_name":5}}}]}"#.utf8),
                    Array(#"{"inputs":[{"data":"eA==","metadata":{"attributes":[]}}]}"#.utf8),
                    Array(#"{"ttl": "-5s", "spec": {"codeExecutionEnvironment": {}}}"#.utf8),
                    Array(#"{"ttl": "1e400s", "spec": {"codeExecutionEnvironment": {}}}"#.utf8),
                    Array(#"{"displayName": "\ud800"}"#.utf8), Array(#"{"a":"\u00"}"#.utf8),
                    [0xff, 0xfe, 0x00, 0x7b], [0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d],
                    Array(deep.utf8),
                    Array(String(repeating: "{\"a\":", count: 600).utf8)
                ]
                let targets = [
                    "\(client.locationPath)/reasoningEngines", "\(engine)/sandboxEnvironments", sandbox + ":execute",
                    sandbox + "/:execute", engine, sandbox
                ]
                for target in targets {
                    for body in bodies {
                        let r = try await client.raw("POST", "/v1beta1/\(target)", body: body)
                        #expect(r.status < 500, "POST \(target) with \(String(decoding: body.prefix(60), as: UTF8.self)) → \(r)")
                        if r.status != 200 { #expect(r.errorStatus != nil, "not a Google error: \(r)") }
                    }
                }
                let paths = [
                    "/v1beta1/%zz", "/v1beta1/projects/%2F/locations/%00/reasoningEngines", "/v1beta1//projects//",
                    "/v1beta1/projects/p/locations/l/reasoningEngines/../../../etc/passwd",
                    "/v1/projects/p/locations/l/reasoningEngines/:execute", "/v1/:execute",
                    "/v1beta1/projects/p/locations/l/reasoningEngines?pageSize=-1",
                    "/v1beta1/projects/p/locations/l/reasoningEngines?pageSize=99999999999999999999999",
                    "/v1beta1/projects/p/locations/l/reasoningEngines?pageToken=%FF%FE",
                    "/v1beta1/\(engine)/sandboxEnvironments?filter=%22%22%22", "/v1beta1/\(engine)/sandboxEnvironments?filter=bogus%3D1",
                    "/v1beta1/\(engine)/sandboxEnvironments?filter=state%3DSTATE_NOPE",
                    "/v1beta1/" + String(repeating: "a/", count: 2000), "/healthz/../v1"
                ]
                for path in paths {
                    for method in ["GET", "DELETE", "POST", "PUT", "PATCH"] {
                        let r = try await client.raw(method, path, body: method == "POST" ? Array("{}".utf8) : nil)
                        #expect(r.status < 500, "\(method) \(path) → \(r)")
                    }
                }
                // The server is still healthy and the sandbox still runs code.
                #expect(try await client.raw("GET", "/healthz").status == 200)
                let ok = try await client.execute(sandbox, code: "print('ok')")
                #expect(ok.stdout == "ok\n", "\(ok)")
            }
        }
    }
}
