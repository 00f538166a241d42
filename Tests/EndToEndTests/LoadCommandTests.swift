import Foundation
import Testing

/// `sandbench load` end to end against the embedded emulator.
@Suite(.serialized) struct LoadCommandTests {
    @Test func shippedLoadScenarioWritesEveryReport() async throws {
        let dir = CLI.temporaryDirectory()
        // The shipped scenario's latency thresholds are capacity goals for a release build on a quiet
        // machine (`sandbench bench` measures those); here, in a debug build beside other tests, only
        // the reports are checked, so a copy without the latency thresholds runs (errors and checks stay).
        let shipped = try String(contentsOfFile: "scenarios/load/execute-session.yaml", encoding: .utf8)
        let latencyThresholds = ["        - ready.p50 < 250ms\n", "        - execute.p99 < 250ms\n"]
        for line in latencyThresholds { #expect(shipped.contains(line), "the shipped scenario no longer has \(line)") }
        let scenario = latencyThresholds.reduce(shipped) { $0.replacingOccurrences(of: $1, with: "") }
        try scenario.write(toFile: dir + "/execute-session.yaml", atomically: true, encoding: .utf8)
        let out = try await CLI.run([
            "load", dir + "/execute-session.yaml", "--vus", "2", "--duration", "3s",
            "--json", dir + "/load.json", "--junit", dir + "/load.xml", "--html", dir + "/load.html"
        ])
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        for row in ["create", "ready", "execute", "delete", "session", "p99"] { #expect(out.stdout.contains(row), "table lacks \(row)") }
        #expect(out.stdout.contains("PASS"))
        let json = try String(contentsOfFile: dir + "/load.json", encoding: .utf8)
        #expect(json.contains("\"sandbench-load/1\"") && json.contains("corrected"))
        let (status, messages) = try CLI.validateJUnit(dir + "/load.xml")
        #expect(status == 0, "xmllint: \(messages)")
        let html = try String(contentsOfFile: dir + "/load.html", encoding: .utf8)
        for id in ["latency-over-time", "percentile-distribution", "throughput-errors"] { #expect(html.contains("id=\"\(id)\"")) }
    }

    @Test func aBreachedThresholdExitsOne() async throws {
        let dir = CLI.temporaryDirectory()
        let out = try await CLI.run([
            "load", "scenarios/load/execute-session.yaml", "--vus", "1", "--iterations", "3",
            "--threshold", "execute.p50 < 1us", "--junit", dir + "/load.xml", "--html", dir + "/l.html"
        ])
        #expect(out.status == 1, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("FAIL"))
        let xml = try String(contentsOfFile: dir + "/load.xml", encoding: .utf8)
        #expect(xml.contains("execute.p50 &lt; 1us") && xml.contains("<failure"))
    }

    @Test func abortOnFailStopsTheRunEarly() async throws {
        let dir = CLI.temporaryDirectory()
        let started = Date()
        let out = try await CLI.run([
            "load", "scenarios/load/execute-session.yaml", "--vus", "1", "--duration", "60s",
            "--threshold", "execute.p50 < 1us", "--abort-on-fail", "--html", dir + "/a.html"
        ])
        #expect(out.status == 1, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(Date().timeIntervalSince(started) < 30, "the run went on after the breach")
        #expect(out.stdout.contains("threshold breached"))
    }

    @Test func openModelWithRateRunsAndCountsSessions() async throws {
        let dir = CLI.temporaryDirectory()
        let out = try await CLI.run([
            "load", "scenarios/load/execute-session.yaml", "--scenario", "open arrivals", "--rate", "4",
            "--duration", "2s", "--json", dir + "/open.json", "--html", dir + "/o.html"
        ])
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        let json = try String(contentsOfFile: dir + "/open.json", encoding: .utf8)
        #expect(json.contains("\"sessionsStarted\""))
    }
}

/// `sandbench emulator` prints exactly one line once it accepts connections.
@Suite struct EmulatorCommandTests {
    @Test func printsOneListeningLine() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["emulator", "--port", "0", "--warm-python", "0", "--warm-javascript", "0"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        #expect(line.range(of: #"^listening on http://127\.0\.0\.1:[0-9]+\n$"#, options: .regularExpression) != nil, "\(line)")
        let health = try HTTP(base: String(line.dropFirst("listening on ".count)).trimmingCharacters(in: .whitespacesAndNewlines)).raw(
            "/healthz")
        #expect(health == "ok\n")
        p.terminate()
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        #expect(rest.isEmpty, "more output: \(String(decoding: rest, as: UTF8.self))")
    }
}
