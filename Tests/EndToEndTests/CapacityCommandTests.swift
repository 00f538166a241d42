import Foundation
import Testing

/// `sandbench capacity` end to end against the embedded emulator.
@Suite(.serialized) struct CapacityCommandTests {
    /// A scenario file of one raw GET /healthz per session, in a new directory.
    func healthzScenario() throws -> (dir: String, file: String) {
        let dir = CLI.temporaryDirectory()
        let file = dir + "/health.yaml"
        try """
        scenarios:
          - name: health
            steps:
              - request: {method: GET, path: /healthz}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    /// The embedded emulator without warm workers, serving `limit` requests at once, each held `latency`.
    static func limitedEmulator(limit: Int = 4, latency: String = "20ms") -> [String] {
        ["--warm-python", "0", "--warm-javascript", "0", "--inject-latency", latency, "--max-concurrent-requests", String(limit)]
    }

    /// The search against an emulator of known capacity: 4 requests at a time × 50 ms each = 80
    /// requests/s (Little's law). Below it every request takes 50 ms; above it the queue, and p99, grows
    /// by the excess over each 2 s step, past 150 ms from about 5 % over (far above, 32 sessions in
    /// flight are reached and arrivals dropped, which keeps those steps short). A child process, so the
    /// emulator's event loops never wait on the test process's busy cooperative pool.
    @Test(.enabled(if: CLI.timingAlone, "timing-sensitive: scripts/test runs it alone, after the other tests"))
    func findsTheKnownCapacityWithinTenPercentAndWritesEveryReport() async throws {
        let truth = 4 / 0.05
        let (dir, file) = try healthzScenario()
        let out = try await CLI.run(
            [
                "capacity", file, "--slo", "session.p99 < 150ms", "--start", "20", "--max", "640", "--step-duration", "2s",
                "--settle", "500ms", "--max-in-flight", "32", "--json", dir + "/c.json", "--junit", dir + "/c.xml", "--html",
                dir + "/c.html"
            ] + Self.limitedEmulator(limit: 4, latency: "50ms"))
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/c.json"))) as? [String: Any]
        #expect(json?["format"] as? String == "sandbench-capacity/1")
        let result = json?["result"] as? [String: Any]
        let found = try #require(result?["capacity"] as? Double, "no capacity:\n\(out.stdout)")
        #expect(abs(found - truth) <= 0.1 * truth, "found \(found)/s, true capacity \(truth)/s:\n\(out.stdout)")
        #expect(result?["stop"] as? String == "resolved")
        let bracket = result?["bracket"] as? [String: Any]
        let failed = try #require(bracket?["failed"] as? Double)
        #expect(failed > found && failed - found <= 0.05 * found + 1e-9)
        // Doubling from the start, then bisecting; one console line per step, then the result.
        let steps = json?["steps"] as? [[String: Any]] ?? []
        let firstRuns = steps.filter { $0["attempt"] as? Double == 1 }.compactMap { $0["rate"] as? Double }
        #expect(Array(firstRuns.prefix(3)) == [20, 40, 80], "\(out.stdout)")
        #expect(out.stdout.split(separator: "\n").count { $0.hasPrefix("step ") } == steps.count)
        #expect(out.stdout.contains("capacity: \(CLI.compact(found))/s"), "\(out.stdout)")
        // A failing rate is run twice (one recheck) and fails only if both runs do.
        let failing = Set(steps.filter { $0["passed"] as? Bool == false }.compactMap { $0["rate"] as? Double })
        for rate in failing where rate > found {
            #expect(steps.filter { $0["rate"] as? Double == rate }.compactMap { $0["attempt"] as? Double } == [1, 2], "\(out.stdout)")
        }
        for step in steps {
            let rate = step["rate"] as? Double ?? 0
            // Arrivals intended in the first 0.5 s are run but counted apart; the other 1.5 s are judged.
            let counters = step["counters"] as? [String: Any]
            let settled = step["settled"] as? [String: Any]
            let judged = (counters?["sessionsStarted"] as? Double ?? 0) + (counters?["dropped"] as? Double ?? 0)
            let warming = (settled?["sessionsStarted"] as? Double ?? 0) + (settled?["dropped"] as? Double ?? 0)
            #expect(
                abs(warming - rate * 0.5) <= 1.5 && abs(judged - rate * 1.5) <= 1.5, "at \(rate)/s: \(warming) settled, \(judged) judged")
            let operations = step["operations"] as? [[String: Any]]
            #expect(operations?.first?["name"] as? String == "request" && operations?.first?["p99Ms"] is Double)
            // A failing step says which objective it missed and what was measured.
            if step["passed"] as? Bool == false {
                let missed = step["failed"] as? [[String: Any]] ?? []
                #expect(!missed.isEmpty && missed.allSatisfy { $0["actual"] is Double }, "\(step)")
            }
        }
        let (status, messages) = try CLI.validateJUnit(dir + "/c.xml")
        #expect(status == 0, "xmllint: \(messages)")
        let xml = try String(contentsOfFile: dir + "/c.xml", encoding: .utf8)
        #expect(xml.contains("step 1: 20/s ") && xml.contains("name=\"capacity\"") && xml.contains("failures=\"0\""))
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == steps.count + 1)
        let html = try String(contentsOfFile: dir + "/c.html", encoding: .utf8)
        #expect(html.contains("id=\"capacity-knee\"") && html.contains("capacity \(CLI.compact(found))/s"))
    }

    @Test func aSearchThatPassesMaxStopsThere() async throws {
        let (dir, file) = try healthzScenario()
        let out = try await CLI.run(
            ["capacity", file, "--slo", "session.p99 < 5s", "--start", "5", "--max", "10", "--step-duration", "1s", "--settle", "0s"]
                + ["--json", dir + "/c.json", "--junit", dir + "/c.xml", "--html", dir + "/c.html"] + Self.limitedEmulator())
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("capacity: 10/s") && out.stdout.contains("reached --max"), "\(out.stdout)")
    }

    @Test func aStartRateThatFailsExitsOne() async throws {
        let (dir, file) = try healthzScenario()
        let out = try await CLI.run(
            [
                "capacity", file, "--slo", "session.p99 < 1us", "--start", "5", "--max", "40", "--step-duration", "1s", "--settle", "0s",
                "--json", dir + "/c.json", "--junit", dir + "/c.xml", "--html", dir + "/c.html"
            ] + Self.limitedEmulator())
        #expect(out.status == 1, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("FAIL (recheck)") && out.stdout.contains("missed: session.p99 < 1us"), "\(out.stdout)")
        #expect(out.stdout.contains("capacity: none"))
        let xml = try String(contentsOfFile: dir + "/c.xml", encoding: .utf8)
        #expect(xml.contains("NoCapacity"))
        let (status, messages) = try CLI.validateJUnit(dir + "/c.xml")
        #expect(status == 0, "xmllint: \(messages)")
    }

    @Test(arguments: [
        (["--slo", "session.p99 about 1s"], "--slo"),
        (["--slo", "session.p99 < 1s", "--start", "50", "--max", "10"], "--start"),
        (["--slo", "session.p99 < 1s", "--settle", "20s", "--step-duration", "10s"], "--settle"),
        (["--slo", "session.p99 < 1s", "--resolution", "lots"], "--resolution")
    ])
    func usageErrorsExitTwoNamingTheFlag(arguments: [String], flag: String) async throws {
        let (_, file) = try healthzScenario()
        let out = try await CLI.run(["capacity", file] + arguments)
        #expect(out.status == 2, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stderr.contains(flag), "\(out.stderr)")
    }

    /// Ctrl-C in the middle of a step: its sessions are cut off and their sandboxes deleted, the
    /// reports say the search was interrupted, and the exit status is 1.
    @Test func ctrlCMidStepLeavesNoSandboxAndWritesTheReports() async throws {
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: CLI.binary)
        emulator.arguments = ["emulator", "--port", "0", "--warm-python", "2", "--warm-javascript", "0"]
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
        let client = HTTP(base: base)
        // An engine the search did not create, so only its own clean-up can leave it empty.
        let engine = try #require(
            try client.post("/v1beta1/projects/sandbench/locations/us-central1/reasoningEngines")["response"] as? [String: Any])
        let engineName = try #require(engine["name"] as? String)
        let dir = CLI.temporaryDirectory()
        try """
        scenarios:
          - name: slow
            steps:
              - create: {}
              - execute: import time; time.sleep(60)
        """.write(toFile: dir + "/slow.yaml", atomically: true, encoding: .utf8)
        let search = Process()
        search.executableURL = URL(fileURLWithPath: CLI.binary)
        search.arguments = [
            "capacity", dir + "/slow.yaml", "--slo", "session.p99 < 2m", "--target", base, "--engine", engineName, "--start", "2",
            "--step-duration", "30s", "--settle", "0s", "--json", dir + "/c.json", "--junit", dir + "/c.xml", "--html", dir + "/c.html"
        ]
        search.environment = ["NO_COLOR": "1", "PATH": "/usr/bin:/bin"]
        search.standardOutput = FileHandle.nullDevice
        search.standardError = FileHandle.nullDevice
        try search.run()
        let deadline = Date().addingTimeInterval(60)
        var alive = 0
        while Date() < deadline, search.isRunning {
            alive = try await client.sandboxCount()
            if alive >= 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(alive >= 2, "the search never had two sandboxes alive")
        kill(search.processIdentifier, SIGINT)
        let exited = await InterruptTests().waitForExit(search, seconds: 30)
        #expect(exited, "sandbench capacity did not stop after Ctrl-C")
        if !exited { search.terminate() }
        search.waitUntilExit()
        #expect(search.terminationStatus == 1)
        #expect(try await client.sandboxCount() == 0, "sandboxes left alive after Ctrl-C")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/c.json"))) as? [String: Any]
        #expect(json?["aborted"] as? String == "interrupted" && (json?["leaks"] as? [Any])?.isEmpty == true)
        let (status, messages) = try CLI.validateJUnit(dir + "/c.xml")
        #expect(status == 0, "xmllint: \(messages)")
    }
}
