import Foundation
import SandboxAPI
import Testing

/// `sandbench parity` end to end: the built binary comparing two `sandbench emulator` child processes
/// over real HTTP, one of them started with `--max-output-bytes 16`.
@Suite(.serialized) struct ParityCommandTests {
    /// A `sandbench emulator` child on a free loopback port. Starting and stopping wait on Dispatch
    /// threads, never on the cooperative pool (see ``CLI/run(_:environment:timeout:)``).
    final class Emulator: @unchecked Sendable {
        let process = Process()
        private(set) var base = ""

        static func start(_ arguments: [String] = []) async throws -> Emulator {
            let emulator = Emulator()
            let process = emulator.process
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["emulator", "--port", "0", "--warm-python", "1", "--warm-javascript", "0"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line: String = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var line = ""
                    while !line.hasSuffix("\n") {
                        let chunk = out.fileHandleForReading.availableData
                        if chunk.isEmpty { break }
                        line += String(decoding: chunk, as: UTF8.self)
                    }
                    continuation.resume(returning: line)
                }
            }
            emulator.base = String(line.dropFirst("listening on ".count)).trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(emulator.base.hasPrefix("http://127.0.0.1:"), "the emulator did not start: \(line)")
            return emulator
        }

        /// SIGTERM, then waits for the exit.
        func stop() async {
            guard process.isRunning else { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    self.process.terminate()
                    self.process.waitUntilExit()
                    continuation.resume()
                }
            }
        }

        deinit {
            if process.isRunning { process.terminate() }
        }
    }

    static let scenario = """
        scenarios:
          - name: long output
            steps:
              - create: {}
              - execute: print("0123456789" * 4)
              - get: {}
              - request: {method: GET, path: "${engine}/sandboxEnvironments/123456789"}
                expect: {status: 404}
        """

    /// Writes the scenario (and `gaps`, when given) to a new directory.
    func workspace(gaps: String? = nil) throws -> String {
        let dir = CLI.temporaryDirectory()
        try Self.scenario.write(toFile: dir + "/parity.yaml", atomically: true, encoding: .utf8)
        if let gaps { try gaps.write(toFile: dir + "/parity-gaps.yaml", atomically: true, encoding: .utf8) }
        return dir
    }

    func parity(_ dir: String, _ reference: String, _ candidate: String, _ extra: [String] = []) async throws -> CLI.Output {
        try await CLI.run(
            [
                "parity", dir + "/parity.yaml", "--reference", reference, "--candidate", candidate,
                "--junit", dir + "/junit.xml", "--json", dir + "/parity.json", "--html", dir + "/parity.html"
            ] + extra)
    }

    /// The reports exist; the JUnit validates against junit-10.xsd; the JSON parses.
    func checkReports(_ dir: String) throws -> (junit: String, json: JSONValue, html: String) {
        let (status, errors) = try CLI.validateJUnit(dir + "/junit.xml")
        #expect(status == 0, "junit-10.xsd: \(errors)")
        let json = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/parity.json"))))
        return (
            try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8), json,
            try String(contentsOfFile: dir + "/parity.html", encoding: .utf8)
        )
    }

    @Test func emulatorAgainstEmulatorExitsZero() async throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reference = try await Emulator.start()
        let candidate = try await Emulator.start()
        let out = try await parity(dir, reference.base, candidate.base)
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("4 step(s) compared: 4 same"), "\(out.stdout)")
        let (junit, json, html) = try checkReports(dir)
        #expect(junit.contains("testcase name=\"2-execute\""))
        #expect(json["passed"] == true)
        #expect(html.contains("PASSED"))
        await reference.stop()
        await candidate.stop()
    }

    @Test func smallerOutputCapsExitOneNamingThePathAndAGapExplainsIt() async throws {
        let dir = try workspace(
            gaps: """
                gaps:
                  - scenario: long*
                    path: outputs[*].msg_out
                    reason: the candidate keeps 16 bytes of each stream
                    date: 2026-12-01
                  - scenario: '*'
                    step: 4-request
                    path: error.message
                    reason: messages used to differ; they no longer do
                    date: 2026-11-01
                """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reference = try await Emulator.start()
        let candidate = try await Emulator.start(["--max-output-bytes", "16"])

        let different = try await parity(dir, reference.base, candidate.base)
        #expect(different.status == 1, "stdout:\n\(different.stdout)\nstderr:\n\(different.stderr)")
        #expect(different.stdout.contains("~ outputs[0].msg_out"), "\(different.stdout)")
        #expect(different.stdout.contains("reference: \"0123456789012345678901234567890123456789\\n\""), "\(different.stdout)")
        let (junit, json, _) = try checkReports(dir)
        #expect(junit.contains("type=\"ParityDifference\"") && junit.contains("outputs[0].msg_out"))
        #expect(json["counts"]?["different"] == 1)

        let explained = try await parity(dir, reference.base, candidate.base, ["--gaps", dir + "/parity-gaps.yaml"])
        #expect(explained.status == 0, "stdout:\n\(explained.stdout)\nstderr:\n\(explained.stderr)")
        #expect(explained.stdout.contains("known gap: the candidate keeps 16 bytes of each stream"), "\(explained.stdout)")
        #expect(explained.stdout.contains("stale gap: * › 4-request: error.message"), "\(explained.stdout)")
        #expect(explained.stdout.contains("no longer differs"))
        let (junit2, json2, html2) = try checkReports(dir)
        #expect(junit2.contains("<skipped message=\"1 difference(s) covered by known gaps: the candidate keeps 16 bytes of each stream\""))
        #expect(json2["counts"]?["explained"] == 1 && json2["staleGaps"]?.arrayValue?.count == 1)
        #expect(html2.contains("the candidate keeps 16 bytes of each stream"))
        await reference.stop()
        await candidate.stop()
    }

    @Test func aLatencyBoundFailsAnInjectedDelay() async throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reference = try await Emulator.start()
        let candidate = try await Emulator.start(["--inject-latency", "200ms"])
        let reported = try await parity(dir, reference.base, candidate.base)
        #expect(reported.status == 0, "latency alone is reported, not failed: \(reported.stdout)")
        #expect(reported.stdout.contains("latency execute: p50"))
        let bounded = try await parity(dir, reference.base, candidate.base, ["--latency-ratio", "3"])
        #expect(bounded.status == 1, "\(bounded.stdout)")
        #expect(bounded.stdout.contains("over the bound ×3.0"), "\(bounded.stdout)")
        let (junit, _, _) = try checkReports(dir)
        #expect(junit.contains("type=\"LatencyRatio\""))
        await reference.stop()
        await candidate.stop()
    }

    @Test func theShippedReferencePassesWithItsGapsAndFailsWithout() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let arguments = [
            "parity", "--reference", "scenarios/parity/quickstart-vertex.yaml", "--candidate", "emulator",
            "--warm-python", "1", "--warm-javascript", "0",
            "--junit", dir + "/junit.xml", "--json", dir + "/parity.json", "--html", dir + "/parity.html"
        ]
        let without = try await CLI.run(arguments)
        #expect(without.status == 1, "stdout:\n\(without.stdout)\nstderr:\n\(without.stderr)")
        #expect(without.stdout.contains("+ outputs[1].mime_type (candidate only)"), "\(without.stdout)")
        #expect(without.stdout.contains("~ metadata.@type"), "\(without.stdout)")
        #expect(without.stdout.contains("0 error(s)"), "only differences, no errors: \(without.stdout)")

        let with = try await CLI.run(arguments + ["--gaps", "parity-gaps.yaml"])
        #expect(with.status == 0, "stdout:\n\(with.stdout)\nstderr:\n\(with.stderr)")
        #expect(with.stdout.contains("0 different, 0 error(s) — PASS"), "\(with.stdout)")
        #expect(!with.stdout.contains("stale gap"), "every shipped gap still explains a difference: \(with.stdout)")
        let (junit, json, _) = try checkReports(dir)
        #expect(junit.contains("<skipped message=\""))
        #expect(json["reference"]?.stringValue?.hasPrefix("cassette scenarios/parity/quickstart-vertex.yaml") == true)
    }

    /// Ctrl-C while the reference runs: its sandbox is deleted, the candidate never starts, the
    /// reports say so, exit 1.
    @Test func anInterruptedReferenceLeavesNothingAndSkipsTheCandidate() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        scenarios:
          - name: slow
            steps:
              - create: {}
              - execute: import time; time.sleep(60)
        """.write(toFile: dir + "/slow.yaml", atomically: true, encoding: .utf8)
        let reference = try await Emulator.start()
        let candidate = try await Emulator.start()
        let parity = Process()
        parity.executableURL = URL(fileURLWithPath: CLI.binary)
        parity.arguments = [
            "parity", dir + "/slow.yaml", "--reference", reference.base, "--candidate", candidate.base,
            "--junit", dir + "/junit.xml", "--json", dir + "/parity.json", "--html", dir + "/parity.html"
        ]
        parity.environment = ["NO_COLOR": "1", "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        parity.standardOutput = out
        parity.standardError = FileHandle.nullDevice
        async let stdout = CLI.readToEnd(out)
        try parity.run()
        // Wait (bounded) for the reference's sandbox, then interrupt.
        let referenceAPI = HTTP(base: reference.base)
        let candidateAPI = HTTP(base: candidate.base)
        let deadline = Date().addingTimeInterval(60)
        while try await referenceAPI.sandboxCount() == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(try await referenceAPI.sandboxCount() == 1, "the reference never created its sandbox")
        kill(parity.processIdentifier, SIGINT)
        let text = String(decoding: await stdout, as: UTF8.self)
        let exitDeadline = Date().addingTimeInterval(30)
        while parity.isRunning, Date() < exitDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!parity.isRunning, "sandbench parity did not stop after Ctrl-C")
        if parity.isRunning { parity.terminate() }
        #expect(parity.terminationStatus == 1, "\(text)")
        #expect(try await referenceAPI.sandboxCount() == 0, "the reference's sandbox was left alive")
        let engines =
            try candidateAPI.get("/v1beta1/projects/sandbench/locations/us-central1/reasoningEngines")["reasoningEngines"] as? [Any]
        #expect((engines ?? []).isEmpty, "the candidate was started after the interruption")
        #expect(!text.contains("running the candidate"), "\(text)")
        #expect(text.contains("candidate: not run: the reference side was interrupted"), "\(text)")
        let (junit, _, _) = try checkReports(dir)
        #expect(junit.contains("ParitySideError"))
        await reference.stop()
        await candidate.stop()
    }

    @Test func cassettesAndScenarioFilesAreNotMixed() async throws {
        let out = try await CLI.run([
            "parity", "scenarios/quickstart.yaml", "scenarios/recorded/quickstart.yaml",
            "--reference", "emulator", "--candidate", "emulator"
        ])
        #expect(out.status == 2, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stderr.contains("give either cassettes or scenario files"), "\(out.stderr)")
    }

    @Test(arguments: [
        (["--reference", "emulator"], "--candidate is required"),
        (["--reference", "emulator", "--candidate", "ftp://x"], "--candidate must be emulator, vertex or an http(s):// URL"),
        (["--reference", "emulator", "--candidate", "emulator", "--latency-ratio", "0"], "--latency-ratio must be"),
        (["--reference", "emulator", "--candidate", "/tmp"], "--candidate must be emulator, a URL or vertex"),
        (["--reference", "/tmp", "--update-snapshots", "x", "--candidate", "emulator"], "--update-snapshots needs a live --reference"),
        (["--reference", "README.md", "--candidate", "emulator"], "is a file but not a cassette"),
        (["--reference", "emulator", "--candidate", "scenarios/parity/quickstart-vertex.yaml"], "a recorded side can only be the reference")
    ])
    func usageErrorsExitTwo(_ example: ([String], String)) async throws {
        let out = try await CLI.run(["parity", "scenarios/quickstart.yaml"] + example.0)
        #expect(out.status == 2, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stderr.contains(example.1), "\(out.stderr)")
    }

    @Test func aBadGapsFileExitsTwoNamingTheLine() async throws {
        let dir = try workspace(gaps: "gaps:\n  - {scenario: x, path: 'outputs[', reason: r, date: 2026-12-01}\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try await parity(dir, "emulator", "emulator", ["--gaps", dir + "/parity-gaps.yaml"])
        #expect(out.status == 2)
        #expect(out.stderr.contains(dir + "/parity-gaps.yaml:2:"), "\(out.stderr)")
        #expect(out.stderr.contains("path is not a JSON path"), "\(out.stderr)")
    }
}
