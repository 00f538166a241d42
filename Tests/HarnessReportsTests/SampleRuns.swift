import HarnessCore

/// Run results covering every outcome, duplicate names, hostile text and awkward durations.
enum SampleRuns {
    static let basicFile = "suites/basic.yaml"
    static let nastyFile = "suites/nasty <&>\"'.yaml"
    static let hostile = "\u{1B}[31mred\u{1B}[0m NUL:\u{0} VT:\u{0B} cdata:]]> xml:<&>\"' bad:\u{FFFE}\u{FFFF} osc:\u{1B}]0;title\u{07}end"

    static func location(_ line: Int, file: String = basicFile) -> SourceLocation {
        SourceLocation(file: file, line: line, column: 7)
    }

    /// Four scenarios in one file (three named `hello`), two in a second file, and one leak.
    static func mixed(leaks: [String] = ["sandboxEnvironments/leaky-1"]) -> RunResult {
        let passed = ScenarioResult(
            name: "create and delete", file: basicFile, tags: ["smoke"], outcome: .passed,
            steps: [
                StepResult(
                    name: "create", operation: "create", outcome: .passed, duration: .milliseconds(812),
                    httpStatus: 200, location: location(3)),
                StepResult(
                    name: "delete", operation: "delete", outcome: .passed, duration: .milliseconds(40),
                    startOffset: .milliseconds(812), httpStatus: 200, location: location(5))
            ],
            duration: .seconds(1234.56789))
        let failed = ScenarioResult(
            name: "hello", file: basicFile, outcome: .failed,
            steps: [
                StepResult(name: "create", operation: "create", outcome: .passed, duration: .milliseconds(5), httpStatus: 200),
                StepResult(
                    name: "run hello", operation: "execute", outcome: .failed, duration: .microseconds(1500),
                    startOffset: .milliseconds(5), httpStatus: 200,
                    mismatches: [
                        Mismatch(what: "stdout", expected: "equal to \"hello\\nworld\"", actual: "hello\n" + hostile),
                        Mismatch(what: "file out.txt", expected: "present", actual: "absent")
                    ],
                    location: location(12))
            ],
            duration: .milliseconds(7))
        let errored = ScenarioResult(
            name: "hello", file: basicFile, outcome: .error,
            steps: [
                StepResult(
                    name: "create", operation: "create", outcome: .error, duration: .seconds(30),
                    errorMessage: "timed out after 30s waiting for RUNNING \u{1B}[2K", location: location(20))
            ],
            duration: .seconds(30), cleanupProblems: ["could not delete sandboxEnvironments/x: 503"])
        let skipped = ScenarioResult(
            name: "hello", file: basicFile, outcome: .skipped, steps: [],
            duration: .zero, skipReason: "needs a GPU machine")
        let hostileName = ScenarioResult(
            name: "\u{1B}[1mbold\u{1B}[0m " + hostile, file: nastyFile, outcome: .passed,
            steps: [StepResult(name: "get", operation: "get", outcome: .passed, duration: .microseconds(100), httpStatus: 200)],
            duration: .microseconds(100))
        let failedNasty = ScenarioResult(
            name: "x (2)", file: nastyFile, outcome: .failed,
            steps: [
                StepResult(
                    name: "step " + hostile, operation: "request", outcome: .failed, duration: .milliseconds(1),
                    mismatches: [Mismatch(what: "http status", expected: "200", actual: "500")])
            ],
            duration: .milliseconds(1))
        let x1 = ScenarioResult(name: "x", file: nastyFile, outcome: .passed, steps: [], duration: .zero)
        let x2 = ScenarioResult(name: "x", file: nastyFile, outcome: .passed, steps: [], duration: .zero)
        return RunResult(
            scenarios: [passed, failed, errored, skipped, hostileName, failedNasty, x1, x2],
            target: "http://127.0.0.1:8080 \u{1B}[0m", startedAt: 1_795_000_000.25,
            duration: .seconds(1264.5678), leaks: leaks)
    }

    /// A single failing scenario whose actual value is far larger than a report body may be.
    static func huge() -> RunResult {
        let big = String(repeating: "0123456789abcdef\u{1B}[31m", count: 20_000)
        let step = StepResult(
            name: "big", operation: "execute", outcome: .failed, duration: .seconds(1),
            mismatches: [Mismatch(what: "stdout", expected: "short", actual: big)])
        let scenario = ScenarioResult(name: "huge output", file: basicFile, outcome: .failed, steps: [step], duration: .seconds(1))
        return RunResult(scenarios: [scenario], target: "emulator", startedAt: 0, duration: .seconds(1))
    }
}
