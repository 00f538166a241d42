import Foundation
import Testing

/// The shipped suite against the embedded emulator answering 30 % of executes with 503: `--retries 5`
/// rides it out; without retries the faults end as errors (never failed expectations) and the run
/// still leaks nothing.
///
/// One scenario at a time, so the executes reach the emulator in the same order in every run and
/// the seeded plan faults the same ones: the outcome is fixed, not likely.
@Suite(.serialized) struct FaultRetryTests {
    static let faults = """
        seed: 7
        faults:
          - match: {method: POST, path: "*:execute"}
            error: {status: 503, rate: 0.3}

        """

    struct Run {
        var output: CLI.Output
        var report: [String: Any]
        var junit: String
        var junitPath: String
    }

    func run(_ extra: [String]) async throws -> Run {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.faults.write(toFile: dir + "/faults.yaml", atomically: true, encoding: .utf8)
        let output = try await CLI.run(
            [
                "run", "scenarios", "--faults", dir + "/faults.yaml", "--concurrency", "1",
                "--junit", dir + "/junit.xml", "--json", dir + "/run.json"
            ] + extra, timeout: 300)
        let report =
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run.json")))) as? [String: Any] ?? [:]
        let junit = (try? String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)) ?? ""
        let copy = NSTemporaryDirectory() + "sandbench-faults-junit-\(UUID().uuidString).xml"
        try junit.write(toFile: copy, atomically: true, encoding: .utf8)
        return Run(output: output, report: report, junit: junit, junitPath: copy)
    }

    /// `fired N of M matched` of the execute rule, from the fault counts on stderr.
    func fired(_ stderr: String) -> (fired: Int, matched: Int)? {
        let rule = "rule 1: POST *:execute → error 503 rate 0.3: fired "
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains(rule) }),
            let range = line.range(of: "fired ")
        else { return nil }
        let numbers = line[range.upperBound...].split(separator: " ").compactMap { Int($0) }
        return numbers.count >= 2 ? (numbers[0], numbers[1]) : nil
    }

    func counts(_ report: [String: Any]) -> [String: Int] {
        (report["counts"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    @Test func retriesCarryTheShippedSuiteThroughThirtyPercent503OnExecute() async throws {
        let run = try await run(["--retries", "5"])
        let out = run.output
        #expect(out.status == 0, "\(out.stdout.suffix(2000))\(out.stderr.suffix(1000))")
        #expect(out.stdout.contains(" passed, 0 failed, 0 errors, 0 skipped"), "\(out.stdout.suffix(400))")
        // The faults did fire, and were retried: more executes reached the emulator than the suite sends.
        let executes = try #require(fired(out.stderr), "\(out.stderr)")
        #expect(executes.fired >= 5, "\(out.stderr)")
        #expect(counts(run.report)["errors"] == 0 && counts(run.report)["failed"] == 0)
        #expect((run.report["leaks"] as? [Any])?.isEmpty == true)
        #expect(!out.stdout.contains("LEAK"))
    }

    @Test func withoutRetriesTheFaultsAreErrorsAndNothingLeaks() async throws {
        let run = try await run([])
        let out = run.output
        #expect(out.status == 1, "\(out.stdout.suffix(2000))\(out.stderr.suffix(1000))")
        let counts = counts(run.report)
        let errors = try #require(counts["errors"])
        #expect(errors > 0, "\(out.stdout)")
        #expect(counts["failed"] == 0, "an injected 503 is a server error, never a failed expectation: \(out.stdout)")
        #expect(out.stdout.contains(" passed, 0 failed, \(errors) errors, 0 skipped"), "\(out.stdout.suffix(400))")
        #expect(out.stdout.contains("HTTP 503 UNAVAILABLE: Injected fault"))
        #expect(try #require(fired(out.stderr)).fired >= errors)

        // The sweep found nothing alive: no LEAK line, no leaked list, no leak case in JUnit.
        #expect((run.report["leaks"] as? [Any])?.isEmpty == true)
        #expect(!out.stdout.contains("LEAK"), "\(out.stdout)")
        #expect(!out.stderr.contains("leaked sandboxes"), "\(out.stderr)")
        #expect(!run.junit.contains("sandbox leak check"))

        // JUnit: one <error> per erroring scenario, no <failure>, valid against the schema.
        #expect(run.junit.components(separatedBy: "<error ").count - 1 == errors)
        #expect(!run.junit.contains("<failure "))
        let (lint, messages) = try CLI.validateJUnit(run.junitPath)
        #expect(lint == 0, "\(messages)")
        try? FileManager.default.removeItem(atPath: run.junitPath)
    }
}
