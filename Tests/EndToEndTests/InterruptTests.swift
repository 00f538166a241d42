import Foundation
import Testing

/// Ctrl-C mid-suite leaves no sandbox alive on the emulator, faults or not.
@Suite(.serialized) struct InterruptTests {
    @Test func interruptedRunDeletesEverySandbox() async throws {
        let outcome = try await interruptMidRun(emulatorArguments: [], runArguments: [], until: { alive, _ in alive >= 4 })
        #expect(outcome.stderr.contains("interrupted: stopping and deleting this run's sandboxes"), "\(outcome.stderr)")
    }

    /// Faults everywhere (latency, 503 and 429 with Retry-After, slow bodies): Ctrl-C lands while
    /// sessions wait to retry or read a slow answer, and clean-up still deletes everything.
    @Test func interruptedFaultyRunDeletesEverySandbox() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        seed: 11
        faults:
          - match: {path: "*"}
            latency: 20ms
            jitter: 20ms
          - match: {method: POST, path: "*:execute"}
            error: {status: 503, rate: 0.3, retry_after: 1s}
          - match: {method: GET, path: "*/sandboxEnvironments/*"}
            error: {status: 429, rate: 0.2, retry_after: 1s}
          - match: {method: POST, path: "*:execute"}
            slow_body: {bytes_per_second: 2000, rate: 0.3}

        """.write(toFile: dir + "/faults.yaml", atomically: true, encoding: .utf8)
        let outcome = try await interruptMidRun(
            emulatorArguments: ["--faults", dir + "/faults.yaml"], runArguments: ["--retries", "5"],
            until: { alive, http in try alive >= 3 && http.firedErrors() >= 1 })
        #expect(outcome.stderr.contains("interrupted: stopping and deleting this run's sandboxes"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("forced exit") && !outcome.stderr.contains("leaked sandboxes"), "\(outcome.stderr)")
        #expect(outcome.firedErrors >= 1, "no fault fired, so the run was not faulty")
    }

    struct Interrupted {
        /// Error faults the emulator injected during the run.
        var firedErrors: Int
        var stderr: String
    }

    /// Starts an emulator and a run of four slow scenarios against it, sends SIGINT once `ready`
    /// holds (given the sandboxes alive), and checks the run exits 1 leaving no sandbox alive.
    func interruptMidRun(
        emulatorArguments: [String], runArguments: [String],
        until ready: (Int, HTTP) throws -> Bool
    ) async throws -> Interrupted {
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: CLI.binary)
        emulator.arguments = ["emulator", "--port", "0", "--warm-python", "2"] + emulatorArguments
        let emulatorOut = Pipe()
        emulator.standardOutput = emulatorOut
        emulator.standardError = FileHandle.nullDevice
        try emulator.run()
        defer {
            emulator.terminate()
            emulator.waitUntilExit()
        }
        let line = String(decoding: emulatorOut.fileHandleForReading.availableData, as: UTF8.self)
        let base = try #require(line.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(line.hasPrefix("listening on http://127.0.0.1:"))

        // A suite of slow scenarios, each holding a sandbox for a long time.
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/slow.yaml"
        let slow = (1...4).map { i in
            "  - name: slow \(i)\n    steps:\n      - create: {}\n"
                + "      - execute: \"print('started', flush=True)\"\n      - execute: import time; time.sleep(60)\n"
        }.joined()
        try ("scenarios:\n" + slow).write(toFile: scenario, atomically: true, encoding: .utf8)

        // The run reuses an engine it did not create, so it cannot lean on a forced engine delete:
        // only its own clean-up can leave the engine empty.
        let client = HTTP(base: base)
        let engine = try #require(
            try client.post("/v1beta1/projects/sandbench/locations/us-central1/reasoningEngines")["response"] as? [String: Any])
        let engineName = try #require(engine["name"] as? String)
        let run = Process()
        run.executableURL = URL(fileURLWithPath: CLI.binary)
        run.arguments =
            ["run", scenario, "--target", base, "--engine", engineName, "--concurrency", "4", "--junit", dir + "/j.xml"] + runArguments
        run.environment = ["NO_COLOR": "1", "PATH": "/usr/bin:/bin"]
        run.standardOutput = FileHandle.nullDevice
        let runErr = Pipe()
        run.standardError = runErr
        let stderr = Locked(Data())
        let drained = DispatchSemaphore(value: 0)
        try run.run()
        DispatchQueue.global().async {
            stderr.set(runErr.fileHandleForReading.readDataToEndOfFile())
            drained.signal()
        }

        // Wait (bounded) until the run is where the test wants it, then interrupt it.
        let deadline = Date().addingTimeInterval(60)
        var alive = 0
        var isReady = false
        while Date() < deadline {
            alive = try await client.sandboxCount()
            isReady = try ready(alive, client)
            if isReady { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(isReady, "the run never got there (\(alive) sandboxes alive)")
        kill(run.processIdentifier, SIGINT)
        let exited = await waitForExit(run, seconds: 30)
        #expect(exited, "sandbench did not stop after Ctrl-C")
        if !exited { run.terminate() }
        drained.wait()
        #expect(run.terminationStatus == 1)
        #expect(try await client.sandboxCount() == 0, "sandboxes left alive after Ctrl-C")
        return Interrupted(firedErrors: try client.firedErrors(), stderr: String(decoding: stderr.get(), as: UTF8.self))
    }

    func waitForExit(_ process: Process, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }
}

/// Counts sandboxes on an emulator through its REST API with curl's command-line tool.
struct HTTP {
    let base: String

    /// Error faults (`error` rules) fired so far, from `GET /healthz?faults`.
    func firedErrors() throws -> Int {
        (try get("/healthz?faults")["fired"] as? [String: Any])?["error"] as? Int ?? 0
    }

    func post(_ path: String) throws -> [String: Any] { try get(path, method: "POST") }

    /// The raw body of a GET.
    func raw(_ path: String) throws -> String {
        String(decoding: try send("GET", path), as: UTF8.self)
    }

    func get(_ path: String, method: String = "GET") throws -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: try send(method, path)) as? [String: Any]) ?? [:]
    }

    /// The body of any request, sent with `headers` (`Name: value`) and `body`.
    func send(_ method: String, _ path: String, headers: [String] = [], body: String? = nil) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-X", method, base + path] + headers.flatMap { ["-H", $0] } + (body.map { ["--data-binary", $0] } ?? [])
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data
    }

    /// Sandboxes alive across every engine the emulator knows.
    func sandboxCount() async throws -> Int {
        let engines =
            (try get("/v1beta1/projects/sandbench/locations/us-central1/reasoningEngines")["reasoningEngines"] as? [[String: Any]]) ?? []
        var total = 0
        for engine in engines {
            guard let name = engine["name"] as? String else { continue }
            total += ((try get("/v1beta1/\(name)/sandboxEnvironments")["sandboxEnvironments"] as? [Any]) ?? []).count
        }
        return total
    }
}
