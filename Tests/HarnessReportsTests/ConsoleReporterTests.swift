import HarnessCore
import HarnessReports
import Testing

@Suite struct ConsoleReporterTests {
    @Test(arguments: [
        (false, [String: String]()),
        (true, ["NO_COLOR": "1"]),
        (false, ["NO_COLOR": "1"])
    ])
    func plainWhenNotATerminalOrNoColor(isTTY: Bool, environment: [String: String]) {
        let console = ConsoleReporter(isTTY: isTTY, environment: environment)
        #expect(!console.usesColor)
        let text = console.render(SampleRuns.mixed())
        #expect(!text.unicodeScalars.contains("\u{1B}"), "hostile ESC bytes must be stripped too")
    }

    @Test func colourOnATerminal() {
        let console = ConsoleReporter(isTTY: true, environment: ["TERM": "xterm", "NO_COLOR": ""])
        #expect(console.usesColor)
        #expect(console.render(SampleRuns.mixed()).contains("\u{1B}[32m"))
    }

    @Test func summaryLine() {
        let console = ConsoleReporter(isTTY: false, environment: [:])
        #expect(console.summary(SampleRuns.mixed()) == "4 passed, 2 failed, 1 errors, 1 skipped in 1264.57s\n")
        let empty = RunResult(scenarios: [], target: "emulator", startedAt: 0, duration: .milliseconds(5))
        #expect(console.summary(empty) == "0 passed, 0 failed, 0 errors, 0 skipped in 0.01s\n")
        #expect(console.renderSummary(empty) == console.summary(empty))
        #expect(console.renderSummary(SampleRuns.mixed()).hasPrefix("LEAK  1 sandbox still alive after clean-up\n"))
    }

    @Test func linePerScenario() {
        let lines = ConsoleReporter(isTTY: false, environment: [:]).render(SampleRuns.mixed())
            .split(separator: "\n").map(String.init)
        #expect(lines.first == "PASS  suites/basic.yaml › create and delete  (1234568 ms)")
        #expect(lines.contains("FAIL  suites/basic.yaml › hello  (7 ms)"))
        #expect(lines.contains("ERROR suites/basic.yaml › hello  (30000 ms)"))
        #expect(lines.contains("SKIP  suites/basic.yaml › hello  (0 ms)"))
        #expect(lines.contains("      skipped: needs a GPU machine"))
        #expect(lines.contains { $0.hasPrefix("LEAK  1 sandbox still alive") })
    }

    @Test func failureShowsStepLocationAndMismatches() {
        let text = ConsoleReporter(isTTY: false, environment: [:]).render(SampleRuns.mixed())
        #expect(
            text.contains(
                """
                FAIL  suites/basic.yaml › hello  (7 ms)
                      step 'run hello' (execute) at suites/basic.yaml:12:7, HTTP 200
                        stdout
                          expected: equal to "hello\\nworld"
                          actual:   hello
                                    red NUL:\\u{00} VT:\\u{0B}
                """))
        #expect(text.contains("      error: timed out after 30s waiting for RUNNING"))
        #expect(text.contains("      clean-up: could not delete sandboxEnvironments/x: 503"))
    }

    @Test func longValuesAreTruncated() {
        let console = ConsoleReporter(isTTY: false, environment: [:], maxValueLength: 10, maxValueLines: 3)
        let text = console.render(SampleRuns.huge())
        #expect(text.contains("actual:   0123456789…"))
        let many = StepResult(
            name: "s", operation: "execute", outcome: .failed, duration: .zero,
            mismatches: [Mismatch(what: "stdout", expected: "x", actual: "1\n2\n3\n4\n5")])
        let scenario = ScenarioResult(name: "n", file: "f", outcome: .failed, steps: [many], duration: .zero)
        #expect(console.render(scenario).contains("… (2 more lines)"))
    }
}
