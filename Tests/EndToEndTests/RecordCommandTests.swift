import Foundation
import HarnessCassettes
import SandboxAPI
import TestServers
import Testing

/// `sandbench record` end to end: the built binary as a proxy in front of the embedded emulator.
@Suite(.serialized) struct RecordCommandTests {
    /// A running `sandbench record`, with the base URL from its one stdout line.
    struct Recorder {
        let process: Process
        let baseURL: String
        let firstLine: String
        let stdout: Pipe
        let stderr: Pipe

        /// Starts the binary and waits (bounded) for its `listening on` line.
        static func start(_ arguments: [String]) async throws -> Recorder {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["record"] + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            // Read on a Dispatch thread: the cooperative pool has two threads here.
            let line: String = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var line = ""
                    while !line.hasSuffix("\n") {
                        let chunk = stdout.fileHandleForReading.availableData
                        if chunk.isEmpty { break }
                        line += String(decoding: chunk, as: UTF8.self)
                    }
                    continuation.resume(returning: line)
                }
            }
            let prefix = "listening on "
            let base = line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            return Recorder(process: process, baseURL: base, firstLine: line, stdout: stdout, stderr: stderr)
        }

        /// Sends `signal`, waits for the exit, and returns the status, the rest of stdout and stderr.
        func stop(_ signal: Int32 = SIGINT) async -> (Int32, String, String) {
            kill(process.processIdentifier, signal)
            async let rest = CLI.readToEnd(stdout)
            async let errors = CLI.readToEnd(stderr)
            let (out, err) = await (rest, errors)
            let process = self.process
            let status: Int32 = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    process.waitUntilExit()
                    continuation.resume(returning: process.terminationStatus)
                }
            }
            return (status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func recordsAndWritesTheCassetteOnASignal(_ signal: Int32) async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/sub/session.yaml"
        let token = "ya29.end-to-end-\(UUID().uuidString)"
        let recorder = try await Recorder.start(["--upstream", "emulator", "--out", out, "--warm-python", "1", "--warm-javascript", "0"])
        #expect(
            recorder.firstLine.range(of: #"^listening on http://127\.0\.0\.1:[0-9]+\n$"#, options: .regularExpression) != nil,
            "\(recorder.firstLine)")
        let auth = "Authorization: Bearer \(token)"
        let proxy = HTTP(base: recorder.baseURL + "/v1beta1/")
        let created = try JSONValue.parse(try proxy.send("POST", "projects/p/locations/us-central1/reasoningEngines", headers: [auth]))
        let engine = try #require(created["response"]?["name"]?.stringValue)
        let sandboxOp = try JSONValue.parse(
            try proxy.send(
                "POST", "\(engine)/sandboxEnvironments", headers: [auth],
                body: #"{"spec":{"codeExecutionEnvironment":{}}}"#))
        let sandbox = try #require(sandboxOp["response"]?["name"]?.stringValue)
        let code = Base64.encode(Array(#"{"code": "print(21 * 2)"}"#.utf8))
        let executed = try proxy.send(
            "POST", "\(sandbox)/:execute", headers: [auth, "Content-Type: application/json"],
            body: #"{"inputs":[{"mimeType":"application/json","data":"\#(code)"}]}"#)
        #expect(try ExecuteResponse(json: try JSONValue.parse(executed)).stdout == "42\n")
        _ = try proxy.send("DELETE", "\(engine)?force=true", headers: [auth])
        let (status, rest, stderr) = await recorder.stop(signal)
        #expect(status == 0, "stderr: \(stderr)")
        #expect(rest.isEmpty, "more than one line on stdout: \(rest)")
        let yaml = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!yaml.contains(token), "the token reached the cassette")
        let cassette = try Cassette(yaml: yaml)
        #expect(cassette.upstream == "emulator")
        #expect(cassette.exchanges.map(\.method) == ["POST", "POST", "POST", "DELETE"])
        guard case .executeInput(let input)? = cassette.exchanges.dropFirst(2).first?.request.body,
            case .executeOutput(let output)? = cassette.exchanges.dropFirst(2).first?.response.body
        else {
            Issue.record("execute not decoded:\n\(yaml)")
            return
        }
        #expect(input.code == "print(21 * 2)")
        #expect(output.msgOut == "42\n")
    }

    @Test(.timeLimit(.minutes(2))) func aRequestInFlightAtTheSignalIsCutOffAfterTheGraceAndRecorded() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/inflight.yaml"
        let recorder = try await Recorder.start(["--upstream", "emulator", "--out", out, "--shutdown-grace", "1s", "--verbose"])
        let proxy = HTTP(base: recorder.baseURL + "/v1beta1/")
        let created = try JSONValue.parse(try proxy.send("POST", "projects/p/locations/us-central1/reasoningEngines"))
        let engine = try #require(created["response"]?["name"]?.stringValue)
        let sandboxOp = try JSONValue.parse(
            try proxy.send(
                "POST", "\(engine)/sandboxEnvironments",
                body: #"{"spec":{"codeExecutionEnvironment":{}}}"#))
        let sandbox = try #require(sandboxOp["response"]?["name"]?.stringValue)
        let code = Base64.encode(Array(#"{"code": "print('started', flush=True)\nimport time\ntime.sleep(60)"}"#.utf8))
        let slow = DispatchGroup()
        slow.enter()
        DispatchQueue.global().async {
            _ = try? proxy.send("POST", "\(sandbox)/:execute", body: #"{"inputs":[{"mimeType":"application/json","data":"\#(code)"}]}"#)
            slow.leave()
        }
        // With --verbose the proxy logs each request as it arrives: wait (bounded) for the execute's.
        var log = ""
        let deadline = Date().addingTimeInterval(30)
        while !log.contains(":execute"), Date() < deadline {
            let chunk = recorder.stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
        }
        #expect(log.contains("received POST"), "the proxy never logged the execute: \(log)")
        let started = Date()
        let (status, _, stderr) = await recorder.stop(SIGINT)
        #expect(status == 0, "\(stderr)")
        #expect(Date().timeIntervalSince(started) < 20, "the proxy waited for the in-flight request beyond its grace")
        #expect(slow.wait(timeout: .now() + 30) == .success, "the client of the cut-off request never got an answer")
        let cassette = try Cassette(yaml: try String(contentsOfFile: out, encoding: .utf8))
        let execute = cassette.exchanges.first { $0.path.hasSuffix("/:execute") }
        #expect(
            execute?.status == nil && execute?.error?.contains("cancelled") == true,
            "the cut-off execute: \(String(describing: execute))")
    }

    static let usageErrors: [[String]] = [
        ["--upstream", "emulator"],
        ["--out", "x.yaml"],
        ["--upstream", "ftp://x", "--out", "x.yaml"],
        ["--upstream", "vertex", "--out", "x.yaml"],
        ["--upstream", "emulator", "--out", "x.yaml", "--host", "0.0.0.0"],
        ["--upstream", "emulator", "--out", "x.yaml", "--port", "70000"],
        ["--upstream", "emulator", "--out", "/tmp"],
        ["--upstream", "emulator", "--out", "/proc/sandbench/x.yaml"]
    ]

    @Test(arguments: usageErrors)
    func usageErrorsExitTwo(_ arguments: [String]) async throws {
        let out = try await CLI.run(["record"] + arguments, timeout: 60)
        #expect(out.status == 2, "record \(arguments.joined(separator: " ")) → \(out.status): \(out.stderr.suffix(400))")
        #expect(out.stdout.isEmpty, "\(out.stdout)")
        #expect(!out.stderr.isEmpty)
    }

    /// The official client's quickstart recorded through `sandbench record` in front of one emulator,
    /// then replayed by `sandbench replay` against a second (embedded) one, with reports; `--emit`
    /// of the same cassette validates and runs. One Python run serves both, as the client is slow to start.
    @Test(.timeLimit(.minutes(3))) func theOfficialClientsQuickstartIsRecordedAndReplaysOnASecondEmulator() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/quickstart.yaml"
        let recorder = try await Recorder.start(["--upstream", "emulator", "--out", out])
        // The recorder is stopped whatever happens to the client, also when the environment is missing.
        let python: Result<(status: Int32, output: String), any Error>
        do { python = .success(try await ProjectVenv.runPython([CLI.root + "/Tests/compat/quickstart.py", recorder.baseURL])) } catch {
            python = .failure(error)
        }
        let (recorderStatus, _, stderr) = await recorder.stop()
        let (status, output) = try python.get()
        try #require(
            status != 3, "the official Python client is not importable in \(ProjectVenv.directory) (scripts/setup test):\n\(output)")
        #expect(status == 0, "quickstart.py through the proxy exited \(status):\n\(output)")
        #expect(recorderStatus == 0, "\(stderr)")
        let cassette = try Cassette(yaml: try String(contentsOfFile: out, encoding: .utf8))
        let executes = cassette.exchanges.filter { $0.path.hasSuffix("/:execute") }
        #expect(executes.count >= 2)
        #expect(executes.allSatisfy { if case .executeInput = $0.request.body { true } else { false } })
        #expect(cassette.exchanges.contains { $0.request.headers.contains(Field("authorization", "<redacted>")) })

        let junit = dir + "/replay.xml"
        let json = dir + "/replay.json"
        let replay = try await CLI.run(["replay", out, "--junit", junit, "--json", json])
        #expect(replay.status == 0, "stdout:\n\(replay.stdout)\nstderr:\n\(replay.stderr)")
        #expect(try CLI.validateJUnit(junit).0 == 0)
        let report = try JSONValue.parse(try String(contentsOfFile: json, encoding: .utf8))
        #expect(report["passed"] == .bool(true) && report["counts"]?["passed"] == .number(1), "\(report)")

        let emitted = dir + "/tests/quickstart.yaml"
        let emit = try await CLI.run(["replay", out, "--emit", emitted])
        #expect(emit.status == 0 && emit.stdout.hasPrefix("\(emitted): "), "\(emit.stdout)\(emit.stderr)")
        let validate = try await CLI.run(["validate", emitted])
        #expect(validate.status == 0 && validate.stdout.contains("1 scenario(s): OK"), "\(validate.stdout)\(validate.stderr)")
        let run = try await CLI.run(["run", emitted, "--junit", dir + "/run.xml"])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
    }

    @Test func theShippedRecordingReadsAsACassette() throws {
        let cassette = try Cassette(yaml: try String(contentsOfFile: CLI.root + "/scenarios/recorded/quickstart.yaml", encoding: .utf8))
        #expect(cassette.exchanges.count > 10)
        #expect(cassette.exchanges.contains { $0.path.hasSuffix("/:execute") })
    }
}
