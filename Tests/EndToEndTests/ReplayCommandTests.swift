import Foundation
import SandboxAPI
import Testing

/// `sandbench replay` end to end, and cassettes wherever `run`, `validate` and `load` take scenarios.
@Suite(.serialized) struct ReplayCommandTests {
    static let shipped = "scenarios/recorded/quickstart.yaml"

    @Test func theShippedRecordingReplaysWithReports() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let junit = dir + "/replay.xml"
        let json = dir + "/replay.json"
        let out = try await CLI.run(["replay", Self.shipped, "--junit", junit, "--json", json])
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.hasPrefix("replaying \(Self.shipped): 22 exchanges → 19 steps"), "\(out.stdout)")
        #expect(out.stdout.contains("PASS"))
        let (status, messages) = try CLI.validateJUnit(junit)
        #expect(status == 0, "xmllint: \(messages)")
        let report = try JSONValue.parse(try String(contentsOfFile: json, encoding: .utf8))
        #expect(report["passed"] == .bool(true))
        let steps = report["scenarios"]?.arrayValue?.first?["steps"]?.arrayValue ?? []
        #expect(steps.count == 19)
        #expect(steps.allSatisfy { $0["outcome"]?.stringValue == "passed" })
        #expect(steps.first?["location"]?["file"]?.stringValue == Self.shipped)
    }

    @Test func aRecordingTheTargetNoLongerMatchesExitsOne() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let changed = dir + "/changed.yaml"
        try String(contentsOfFile: CLI.root + "/" + Self.shipped, encoding: .utf8)
            .replacingOccurrences(
                of: "sha256: 8663bab6d124806b9727f89bb4ab9db4cbcc3862f6bbf22024dfa7212aa4ab7d",
                with: "sha256: 0000000000000000000000000000000000000000000000000000000000000000"
            )
            .write(toFile: changed, atomically: true, encoding: .utf8)
        let junit = dir + "/replay.xml"
        let out = try await CLI.run(["replay", changed, "--junit", junit])
        #expect(out.status == 1, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("FAIL") && out.stdout.contains("file output.txt"), "\(out.stdout)")
        #expect(try CLI.validateJUnit(junit).0 == 0)
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<failure"))
    }

    @Test func cassettesAreAcceptedWhereScenariosAre() async throws {
        let validate = try await CLI.run(["validate", Self.shipped])
        #expect(validate.status == 0 && validate.stdout.contains("1 file(s), 1 scenario(s): OK"), "\(validate.stdout)\(validate.stderr)")
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try await CLI.run(["run", Self.shipped, "--junit", dir + "/run.xml"])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        let json = dir + "/load.json"
        let load = try await CLI.run(["load", Self.shipped, "--vus", "2", "--iterations", "2", "--json", json, "--html", dir + "/load.html"]
        )
        #expect(load.status == 0, "stdout:\n\(load.stdout)\nstderr:\n\(load.stderr)")
        let summary = try JSONValue.parse(try String(contentsOfFile: json, encoding: .utf8))
        #expect(summary["scenario"]?.stringValue == "quickstart", "\(summary)")
    }

    @Test func usageAndCassetteErrorsExitTwo() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let omitted = dir + "/omitted.yaml"
        try String(contentsOfFile: CLI.root + "/" + Self.shipped, encoding: .utf8)
            .replacingOccurrences(of: "        text: 'Hello, '", with: "        omitted: true")
            .write(toFile: omitted, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["replay"], "Missing expected argument"),
            (["replay", dir + "/missing.yaml"], "no such file"),
            (["replay", "scenarios/quickstart.yaml"], "not a cassette"),
            (["replay", omitted], "--keep-bodies"),
            (["replay", Self.shipped, "--target", "ftp://x"], "--target"),
            (["load", omitted], "--keep-bodies")
        ]
        for (arguments, message) in cases {
            let out = try await CLI.run(arguments, timeout: 60)
            #expect(out.status == 2, "\(arguments) → \(out.status): \(out.stderr)")
            #expect(out.stderr.contains(message), "\(arguments): \(out.stderr)")
        }
        let out = try await CLI.run(["replay", omitted], timeout: 60)
        #expect(
            out.stderr.range(of: #"omitted\.yaml:[0-9]+:9: request\.execute\.files\[0\]"#, options: .regularExpression) != nil,
            "\(out.stderr)")
    }
}
