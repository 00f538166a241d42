import Foundation
import Testing

/// `--faults FILE` on the built binary: bad files exit 2 with their location, SIGHUP reloads, the
/// counts reach the console, and the embedded emulator of `run` injects too.
@Suite(.serialized) struct FaultsCLITests {
    static let badFile = """
        seed: 3
        faults:
          - match: {method: GET}
            error: {status: 503, rate: 1.5}
          - latency: soon
        """

    static let commands: [[String]] = [
        ["emulator", "--port", "0"],
        ["run", "scenarios"],
        ["load", "scenarios/load/execute-session.yaml", "--rate", "1", "--duration", "1s"]
    ]

    @Test(arguments: commands)
    func badFaultFilesExitTwoNamingFileLineColumnAndField(_ command: [String]) async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/faults.yaml"
        try Self.badFile.write(toFile: file, atomically: true, encoding: .utf8)
        let out = try await CLI.run(command + ["--faults", file], timeout: 60)
        #expect(out.status == 2, "\(out.stderr.suffix(600))")
        #expect(out.stderr.contains("\(file):4:32: faults[1].error.rate must be in 0...1"), "\(out.stderr.suffix(600))")
        #expect(out.stderr.contains("\(file):5:14: faults[2].latency"), "\(out.stderr.suffix(600))")

        let missing = try await CLI.run(command + ["--faults", dir + "/missing.yaml"], timeout: 60)
        #expect(missing.status == 2 && missing.stderr.contains("\(dir)/missing.yaml: cannot open"), "\(missing.stderr.suffix(600))")
    }

    @Test func sighupReloadsTheFileAndShutdownPrintsTheCounts() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/faults.yaml"
        func write(_ status: Int, seed: Int) throws {
            try "seed: \(seed)\nfaults:\n  - match: {method: GET, path: \"*/reasoningEngines\"}\n    error: {status: \(status)}\n"
                .write(toFile: file, atomically: true, encoding: .utf8)
        }
        try write(503, seed: 1)

        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: CLI.binary)
        emulator.arguments = ["emulator", "--port", "0", "--warm-python", "0", "--warm-javascript", "0", "--faults", file]
        let stdout = Pipe()
        let stderr = Pipe()
        emulator.standardOutput = stdout
        emulator.standardError = stderr
        try emulator.run()
        defer {
            if emulator.isRunning {
                emulator.terminate()
                emulator.waitUntilExit()
            }
        }
        let console = Locked(Data())
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while true {
                let chunk = stderr.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                console.set(console.get() + chunk)
            }
            drained.signal()
        }
        var consoleText: String { String(decoding: console.get(), as: UTF8.self) }
        let line = String(decoding: stdout.fileHandleForReading.availableData, as: UTF8.self)
        #expect(line.hasPrefix("listening on http://127.0.0.1:"))
        let base = try #require(line.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let engines = "/v1beta1/projects/p/locations/l/reasoningEngines"
        let http = HTTP(base: base)

        #expect(try http.status(engines) == 503)
        try write(429, seed: 2)
        kill(emulator.processIdentifier, SIGHUP)
        #expect(try await eventually { try http.status(engines) == 429 }, "SIGHUP did not install the new plan: \(consoleText)")
        let counters = try http.get("/healthz?faults")
        #expect(counters["reloads"] as? Int == 1 && counters["seed"] as? String == "2", "\(counters)")
        #expect(consoleText.contains("faults: SIGHUP: reloaded \(file) (1 rule, seed 2)"), "\(consoleText)")
        // Polls that arrived before the reload count for the old plan: at least one 503 fired.
        #expect(consoleText.contains("rule 1: GET */reasoningEngines → error 503 rate 1.0: fired "), "\(consoleText)")

        // A bad file on SIGHUP: its location goes to the console and the plan in force stays.
        try "seed: 3\nfaults:\n  - error: {status: 5003}\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(emulator.processIdentifier, SIGHUP)
        #expect(try await eventually { consoleText.contains("was not reloaded") }, "\(consoleText)")
        #expect(consoleText.contains("\(file):3:21: faults[1].error.status must be in 400...599"), "\(consoleText)")
        #expect(try http.status(engines) == 429)
        #expect(emulator.isRunning)

        emulator.terminate()
        emulator.waitUntilExit()
        drained.wait()
        #expect(emulator.terminationStatus == 0)
        #expect(consoleText.contains("faults (seed 2, 2 API requests): error 2"), "\(consoleText)")
        #expect(consoleText.hasSuffix("fired 2 of 2 matched  (\(file):3)\n"), "\(consoleText)")
    }

    @Test func theEmbeddedEmulatorOfRunInjectsFaults() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        scenarios:
          - name: one execute
            steps:
              - create: {}
              - execute: print(1)
        """.write(toFile: dir + "/one.yaml", atomically: true, encoding: .utf8)
        try "seed: 5\nfaults:\n  - match: {method: POST, path: \"*:execute\"}\n    error: {status: 503}\n"
            .write(toFile: dir + "/faults.yaml", atomically: true, encoding: .utf8)
        let out = try await CLI.run(
            [
                "run", dir + "/one.yaml", "--faults", dir + "/faults.yaml", "--warm-python", "1", "--warm-javascript", "0",
                "--junit", dir + "/junit.xml"
            ], timeout: 120)
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("HTTP 503 UNAVAILABLE: Injected fault"), "\(out.stdout)")
        #expect(out.stderr.contains("rule 1: POST *:execute → error 503 rate 1.0: fired 1 of 1 matched"), "\(out.stderr)")
    }

    /// Polls `condition` every 50 ms for up to 30 s.
    func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }
}

extension HTTP {
    /// The HTTP status of a GET, with curl's command-line tool.
    func status(_ path: String) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", base + path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self)) ?? 0
    }
}
