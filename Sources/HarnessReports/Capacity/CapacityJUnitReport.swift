package import HarnessCore

/// Renders a capacity search as JUnit XML valid against `junit-10.xsd`.
///
/// One `<testsuite name="capacity: SCENARIO">` with `target`, `file`, `search` and `objectives`
/// properties; one `<testcase classname="capacity.steps">` per step, named `step N: R/s PASS` (or
/// `FAIL`), its `<system-out>` the step's console line and each objective it missed with the measured
/// value; and a `capacity` case (`classname="capacity"`) with the result. Only the result case carries
/// a verdict, as the exit status does: it fails when even the start rate missed its objectives or
/// sandboxes leaked, and errors when the search was aborted. Steps that miss their objectives are what
/// bounds the capacity, so they are not failures of the run.
///
/// ```swift
/// try CapacityJUnitReport.write(result, to: "reports/capacity.xml")
/// ```
package enum CapacityJUnitReport {
    /// The `name` of the result case.
    package static let resultCaseName = "capacity"

    /// The UTF-8 bytes of the document.
    /// - Throws: ``ReportError`` when libxml2's writer fails.
    package static func render(_ result: CapacityResult, hostname: String?) throws -> [UInt8] {
        try JUnitReport.document([suite(for: result)], startedAt: result.startedAt, duration: duration(result.seconds), hostname: hostname)
    }

    /// Renders `result` with this machine's host name and writes it to `path`, creating missing directories.
    /// - Throws: ``ReportError`` when rendering or writing fails.
    package static func write(_ result: CapacityResult, to path: String) throws {
        try ReportFile.write(render(result, hostname: ReportTime.currentHostname()), to: path)
    }

    static func suite(for result: CapacityResult) -> JUnitSuite {
        let s = result.search
        let properties = [
            (name: "target", value: ReportText.attribute(result.target)),
            (name: "file", value: ReportText.attribute(result.file)),
            (
                name: "search",
                value: ReportText.attribute(
                    "start \(CapacityText.rate(s.start)), max \(CapacityText.rate(s.max)), ×\(LoadText.compact(s.growth)) up, "
                        + "resolution \(LoadText.compact(s.resolution * 100))%, at most \(s.maxSteps) steps of "
                        + "\(LoadText.planDuration(result.stepDuration)) (settle \(LoadText.planDuration(result.settle))), "
                        + "at most \(result.maxInFlight) in flight, \(result.rechecks) recheck(s) of a failing step")
            ),
            (name: "objectives", value: ReportText.attribute(result.objectives.joined(separator: "; ")))
        ]
        var used: Set<String> = []
        var cases = result.steps.map { step in
            var testCase = self.testCase(step)
            testCase.name = JUnitSuite.uniqueName(testCase.name, among: &used)
            return testCase
        }
        var outcome = resultCase(result)
        outcome.name = JUnitSuite.uniqueName(outcome.name, among: &used)
        cases.append(outcome)
        return JUnitSuite(
            name: ReportText.attribute("capacity: \(result.scenario)"), time: duration(result.seconds), properties: properties, cases: cases
        )
    }

    /// A step as a passing case: a step that misses its objectives is a measurement the search needs
    /// (it bounds the capacity), not a failure of the run; its name and output say how it came out.
    static func testCase(_ step: CapacityStep) -> JUnitSuite.Case {
        var text = CapacityText.stepLine(step)
        for missed in step.breaches { text += "\nmissed \(missed.summary)" }
        return JUnitSuite.Case(
            name: ReportText.attribute("step \(step.index): \(CapacityText.rate(step.rate)) \(CapacityText.verdict(step))"),
            classname: "capacity.steps", time: duration(step.result.seconds), verdict: .passed, type: nil, message: "", body: "",
            systemOut: ReportText.body(text))
    }

    static func resultCase(_ result: CapacityResult) -> JUnitSuite.Case {
        let text = CapacityText.resultLines(result)
        var testCase = JUnitSuite.Case(
            name: resultCaseName, classname: "capacity", time: duration(result.seconds), verdict: .passed, type: nil,
            message: "", body: "", systemOut: ReportText.body(text))
        if result.aborted != nil {
            testCase.verdict = .error
            testCase.type = "SearchAborted"
        } else if result.capacity == nil {
            testCase.verdict = .failure
            testCase.type = "NoCapacity"
        } else if !result.leaks.isEmpty {
            testCase.verdict = .failure
            testCase.type = "SandboxLeak"
        }
        if testCase.verdict != .passed {
            testCase.message = ReportText.attribute(LoadText.oneLine(text))
            testCase.body = ReportText.body(text)
        }
        return testCase
    }

    /// Seconds as a duration, non-finite and negative values as zero.
    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64(seconds.isFinite ? Swift.min(Swift.max(0, seconds), 9e9) * 1e9 : 0))
    }
}
