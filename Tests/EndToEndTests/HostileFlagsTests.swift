import Foundation
import Testing

/// Out-of-range values in scenario files and flags are usage errors (exit 2) with a clear message, never a trap.
@Suite struct HostileFlagsTests {
    @Test func validateReportsOutOfRangeValuesWithTheirLocation() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/huge.yaml"
        try """
        scenarios:
          - name: huge
            sandbox: {ttl: 99999999999999999999s}
            steps:
              - create: {}
              - execute: {files: [{name: a, random: {size: 100000000000000000000}}]}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let out = try await CLI.run(["validate", file])
        #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
        let text = out.stdout + out.stderr
        #expect(text.contains("\(file):3:"), "\(text)")
        #expect(text.contains("\(file):6:"), "\(text)")
    }

    /// Each with one bad value, given last: the message must name that flag.
    static let badFlags: [[String]] = [
        ["emulator", "--port", "99999999999999999999"],
        ["emulator", "--port", "70000"],
        ["emulator", "--execute-timeout", "99999999999999999999s"],
        ["emulator", "--max-output-bytes", "9223372036854775807"],
        ["emulator", "--warm-python", "1000000000"],
        ["emulator", "--inject-jitter", "99999999999999999999s"],
        ["emulator", "--inject-jitter", "878401h"],
        ["emulator", "--inject-jitter", "-5ms"],
        ["emulator", "--inject-latency", "1e400s"],
        ["emulator", "--inject-latency", "soon"],
        ["emulator", "--isolation", "chroot"],
        ["run", "--concurrency", "0"],
        ["run", "--request-timeout", "1e400s"],
        ["run", "--poll-timeout", "5 minutes"],
        ["run", "--retries", "9223372036854775807"],
        ["run", "--max-response-bytes", "0"],
        ["run", "--max-response-bytes", "99999999999999999999"],
        ["run", "--target", "ftp://127.0.0.1:8080"],
        ["run", "--target", "vertex"], // without --project
        ["replay", "scenarios/recorded/quickstart.yaml", "--target", "localhost:8080"],
        ["load", "scenarios/load/execute-session.yaml", "--duration", "1s", "--rate", "1e300"],
        ["load", "scenarios/load/execute-session.yaml", "--vus", "1000000000000"],
        ["load", "scenarios/load/execute-session.yaml", "--duration", "100000000000000000000h"],
        ["load", "scenarios/load/execute-session.yaml", "--pacing", "often"],
        ["load", "scenarios/load/execute-session.yaml", "--grace", "30"],
        ["load", "scenarios/load/execute-session.yaml", "--shard", "3/3"],
        ["load", "scenarios/load/execute-session.yaml", "--shard", "0/0"],
        ["load", "scenarios/load/execute-session.yaml", "--shard", "-1/4"],
        ["load", "scenarios/load/execute-session.yaml", "--shard", "1"],
        ["load", "scenarios/load/execute-session.yaml", "--shard", "99999999999999999999/3"],
        ["record", "--out", "/tmp/never.yaml", "--upstream", "nowhere"],
        ["record", "--upstream", "emulator", "--out", "/tmp/never.yaml", "--shutdown-grace", "10 s"],
        ["bench", "--seconds", "9223372036854775807"],
        ["bench", "--suite", "everything"]
    ]

    @Test(arguments: badFlags)
    func outOfRangeFlagsExitTwo(_ arguments: [String]) async throws {
        let out = try await CLI.run(arguments, timeout: 60)
        #expect(out.status == 2, "\(arguments.joined(separator: " ")) → \(out.status): \(out.stderr.suffix(400))")
        #expect(out.stderr.contains("Error") || out.stderr.contains("error"), "\(out.stderr.suffix(400))")
        let flag = try #require(arguments.last { $0.hasPrefix("--") })
        #expect(
            out.stderr.contains(flag),
            "\(arguments.joined(separator: " ")): the message does not name \(flag): \(out.stderr.suffix(400))")
    }

    /// Typed options list their values in `--help`, so a user sees what is accepted before trying.
    @Test(arguments: [
        (["bench", "--help"], ["all", "emulator", "harness", "record", "replay", "soak"]),
        (["emulator", "--help"], ["bubblewrap", "unshare", "none"]),
        (["run", "--help"], ["emulator", "vertex", "http(s)://"])
    ])
    func helpListsTheValues(_ arguments: [String], _ values: [String]) async throws {
        let out = try await CLI.run(arguments, timeout: 60)
        #expect(out.status == 0, "\(out.stderr)")
        for value in values { #expect(out.stdout.contains(value), "\(arguments.joined(separator: " ")) does not list \(value)") }
    }
}

/// Binding beyond loopback: only with --allow-remote, bubblewrap and a bearer token.
@Suite struct RemoteBindTests {
    @Test func nonLoopbackNeedsAllowRemote() async throws {
        let out = try await CLI.run(["emulator", "--host", "0.0.0.0", "--port", "0"], timeout: 60)
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr.contains("--allow-remote"), "\(out.stderr)")
        let weak = try await CLI.run(["emulator", "--host", "0.0.0.0", "--port", "0", "--allow-remote", "--isolation", "none"], timeout: 60)
        #expect(weak.status == 2, "\(weak.stderr)")
        #expect(weak.stderr.contains("needs bubblewrap"), "\(weak.stderr)")
    }

    @Test func allowRemoteGeneratesAndEnforcesAToken() async throws {
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: CLI.binary)
        emulator.arguments = [
            "emulator", "--host", "0.0.0.0", "--port", "0", "--allow-remote", "--warm-python", "0", "--warm-javascript", "0"
        ]
        let out = Pipe()
        let err = Pipe()
        emulator.standardOutput = out
        emulator.standardError = err
        try emulator.run()
        defer {
            emulator.terminate()
            emulator.waitUntilExit()
        }
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(line)")
        try #require(line.hasPrefix("listening on http://0.0.0.0:"), "\(line)")
        // The token is on stderr, once, before the listening line.
        let banner = String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        let token = try #require(
            banner.split(separator: "\n").first { $0.hasPrefix("auth token") }?.split(separator: " ").last.map(String.init),
            "\(banner)")
        #expect(token.count == 64)
        let denied = HTTP(base: "http://127.0.0.1:\(port)")
        #expect(try denied.raw("/healthz").contains("UNAUTHENTICATED"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(port)/healthz"]
        let body = Pipe()
        p.standardOutput = body
        try p.run()
        let text = String(decoding: body.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text == "ok\n", "\(text)")
    }
}
