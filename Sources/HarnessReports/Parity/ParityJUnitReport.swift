package import HarnessParity

/// Renders a parity comparison as JUnit XML valid against `junit-10.xsd`.
///
/// One `<testsuite name="parity: FILE">` per scenario file with `reference`, `candidate` and
/// `gaps` properties; one `<testcase>` per scenario × step compared (`classname` = `FILE › SCENARIO`,
/// `name` = the step), passing when both sides answered the same, `<skipped>` when every difference is
/// a known gap (with the reasons), `<failure type="ParityDifference">` with the diff as its body, or
/// `<error type="ParityError">` when a side did not answer or failed its own expectations. A
/// `parity` suite adds a case per stale gap (skipped), per operation's latency (failing only over
/// `--latency-ratio`), and one per side problem (leaks, an engine that could not be made).
///
/// ```swift
/// try ParityJUnitReport.write(result, to: "reports/parity-junit.xml")
/// ```
package enum ParityJUnitReport {
    /// The name of the suite with gaps, latency and side problems.
    package static let summarySuiteName = "parity"

    /// The UTF-8 bytes of the document.
    /// - Throws: ``ReportError`` when libxml2's writer fails.
    package static func render(_ result: ParityResult, hostname: String?) throws -> [UInt8] {
        try JUnitReport.document(suites(for: result), startedAt: result.startedAt, duration: result.duration, hostname: hostname)
    }

    /// Renders `result` with this machine's host name and writes it to `path`, creating missing directories.
    /// - Throws: ``ReportError`` when rendering or writing fails.
    package static func write(_ result: ParityResult, to path: String) throws {
        try ReportFile.write(render(result, hostname: ReportTime.currentHostname()), to: path)
    }

    static func suites(for result: ParityResult) -> [JUnitSuite] {
        var properties = [
            (name: "reference", value: ReportText.attribute(result.reference)),
            (name: "candidate", value: ReportText.attribute(result.candidate))
        ]
        if let gaps = result.gapsFile { properties.append((name: "gaps", value: ReportText.attribute(gaps))) }
        var order: [String] = []
        var groups: [String: [ScenarioComparison]] = [:]
        for scenario in result.scenarios {
            if groups[scenario.file] == nil { order.append(scenario.file) }
            groups[scenario.file, default: []].append(scenario)
        }
        var suites = order.map { file in
            var used: Set<String> = []
            let fileCases = (groups[file] ?? []).flatMap { scenario in
                cases(for: scenario).map { testCase in
                    var unique = testCase
                    unique.name = JUnitSuite.uniqueName(testCase.name, among: &used)
                    return unique
                }
            }
            return JUnitSuite(name: ReportText.attribute("parity: \(file)"), time: .zero, properties: properties, cases: fileCases)
        }
        var summary: [JUnitSuite.Case] = []
        for problem in result.problems {
            summary.append(
                JUnitSuite.Case(
                    name: ReportText.attribute(String(problem.prefix(120))), classname: summarySuiteName,
                    time: .zero, verdict: .error, type: "ParitySideError", message: ReportText.attribute(problem),
                    body: ReportText.body(problem), systemOut: ""))
        }
        for stale in result.staleGaps {
            let place = "\(stale.gap.location.file):\(stale.gap.location.line)"
            let text = "stale gap \(stale.gap.summary) (\(place)): \(stale.why); reason given: \(stale.gap.reason) (\(stale.gap.date))"
            summary.append(
                JUnitSuite.Case(
                    name: ReportText.attribute("stale gap: \(stale.gap.summary)"),
                    classname: "\(summarySuiteName).gaps", time: .zero, verdict: .skipped, type: nil,
                    message: ReportText.attribute("stale gap: \(stale.why)"), body: ReportText.body(text),
                    systemOut: ""))
        }
        for latency in result.latency {
            let text = ParityText.latency(latency)
            summary.append(
                JUnitSuite.Case(
                    name: ReportText.attribute("latency: \(latency.operation)"),
                    classname: "\(summarySuiteName).latency", time: .zero,
                    verdict: latency.exceeded ? .failure : .passed,
                    type: latency.exceeded ? "LatencyRatio" : nil,
                    message: latency.exceeded ? ReportText.attribute(text) : "",
                    body: latency.exceeded ? ReportText.body(text) : "", systemOut: ReportText.body(text)))
        }
        if !summary.isEmpty {
            var used: Set<String> = []
            for index in summary.indices { summary[index].name = JUnitSuite.uniqueName(summary[index].name, among: &used) }
            suites.append(JUnitSuite(name: summarySuiteName, time: result.duration, properties: properties, cases: summary))
        }
        return suites
    }

    static func cases(for scenario: ScenarioComparison) -> [JUnitSuite.Case] {
        let classname = ReportText.attribute("\(scenario.file) › \(scenario.name)")
        if let reason = scenario.skipReason {
            return [
                JUnitSuite.Case(
                    name: "scenario", classname: classname, time: .zero, verdict: .skipped, type: nil,
                    message: ReportText.attribute(reason), body: ReportText.body("skipped on both sides: \(reason)"),
                    systemOut: "")
            ]
        }
        var cases: [JUnitSuite.Case] = []
        if !scenario.problems.isEmpty {
            let text = scenario.problems.joined(separator: "\n")
            cases.append(
                JUnitSuite.Case(
                    name: "scenario", classname: classname, time: .zero, verdict: .error, type: "ParityError",
                    message: ReportText.attribute(scenario.problems[0]), body: ReportText.body(text), systemOut: ""))
        }
        for step in scenario.steps {
            let body = ReportText.body(ParityText.body(step, scenario: scenario))
            let time = (step.candidate?.latencies ?? []).reduce(Duration.zero) { $0 + $1.duration }
            var testCase = JUnitSuite.Case(
                name: ReportText.attribute(step.name), classname: classname, time: time, verdict: .passed,
                type: nil, message: "", body: "", systemOut: "")
            switch step.verdict {
            case .same:
                break
            case .explained:
                let reasons = Set(step.differences.compactMap { $0.gap?.reason }).sorted().joined(separator: "; ")
                testCase.verdict = .skipped
                testCase.message = ReportText.attribute("\(step.differences.count) difference(s) covered by known gaps: \(reasons)")
                testCase.body = body
            case .different:
                let paths = step.unexplained.prefix(10).map(\.path.description).joined(separator: ", ")
                testCase.verdict = .failure
                testCase.type = "ParityDifference"
                let count = step.unexplained.count + step.moreDifferences
                testCase.message = ReportText.attribute("\(count) unexplained difference(s): \(paths)")
                testCase.body = body
            case .error:
                testCase.verdict = .error
                testCase.type = "ParityError"
                testCase.message = ReportText.attribute(step.problems.first ?? "error")
                testCase.body = body
            }
            cases.append(testCase)
        }
        return cases
    }
}
