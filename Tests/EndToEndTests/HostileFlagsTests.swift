import Foundation
import Testing

/// Out-of-range values in scenario files and flags are usage errors (exit 2) with a clear message, never a trap.
@Suite struct HostileFlagsTests {
    @Test func validateReportsOutOfRangeValuesWithTheirLocation() throws {
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
        let out = try CLI.run(["validate", file])
        #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
        let text = out.stdout + out.stderr
        #expect(text.contains("\(file):3:"), "\(text)")
        #expect(text.contains("\(file):6:"), "\(text)")
    }

    static let badFlags: [[String]] = [
        ["emulator", "--port", "99999999999999999999"],
        ["emulator", "--port", "70000"],
        ["emulator", "--execute-timeout", "99999999999999999999s"],
        ["emulator", "--max-output-bytes", "9223372036854775807"],
        ["emulator", "--warm-python", "1000000000"],
        ["run", "--concurrency", "0"],
        ["run", "--request-timeout", "1e400s"],
        ["run", "--retries", "9223372036854775807"],
        ["run", "--max-response-bytes", "0"],
        ["run", "--max-response-bytes", "99999999999999999999"],
        ["load", "scenarios/load/execute-session.yaml", "--rate", "1e300", "--duration", "1s"],
        ["load", "scenarios/load/execute-session.yaml", "--vus", "1000000000000"],
        ["load", "scenarios/load/execute-session.yaml", "--duration", "100000000000000000000h"],
        ["bench", "--seconds", "9223372036854775807"],
    ]

    @Test(arguments: badFlags)
    func outOfRangeFlagsExitTwo(_ arguments: [String]) throws {
        let out = try CLI.run(arguments, timeout: 60)
        #expect(out.status == 2, "\(arguments.joined(separator: " ")) → \(out.status): \(out.stderr.suffix(400))")
        #expect(out.stderr.contains("Error") || out.stderr.contains("error"), "\(out.stderr.suffix(400))")
    }
}
