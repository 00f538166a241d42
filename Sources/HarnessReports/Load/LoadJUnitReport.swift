package import HarnessCore

/// Renders a load run as JUnit XML (valid against `junit-10.xsd`) so CI shows each threshold as a test.
///
/// One `<testsuite name="load: SCENARIO">` with `target`, `model`, `seed` and `plan` properties; one
/// `<testcase classname="thresholds">` per threshold, named by its source text (made unique), with a
/// `<failure>` when breached; and a `load run completed` case that errors when the run was aborted and
/// fails when sandboxes leaked. That case's `<system-out>` holds the console table.
///
/// ```swift
/// try LoadJUnitReport.write(result, to: "reports/load-junit.xml")
/// ```
package enum LoadJUnitReport {
    /// The `classname` of threshold cases.
    package static let thresholdClassname = "thresholds"
    /// The `name` of the case that says whether the run itself completed cleanly.
    package static let completionCaseName = "load run completed"

    /// The UTF-8 bytes of the JUnit XML document for `result`.
    ///
    /// - Parameter hostname: written as the suite's `hostname`; omitted when nil.
    /// - Throws: ``ReportError`` when libxml2's writer fails.
    package static func render(_ result: LoadResult, hostname: String?) throws -> [UInt8] {
        let suite = suite(for: result)
        let host = hostname.map(ReportText.attribute).flatMap { $0.isEmpty ? nil : $0 }
        let writer = try XMLTextWriter()
        try writer.startDocument()
        try writer.element(
            "testsuites",
            [
                ("name", JUnitReport.rootName),
                ("tests", String(suite.cases.count)),
                ("failures", String(suite.failures)),
                ("errors", String(suite.errors)),
                ("time", ReportTime.seconds(suite.time))
            ]
        ) { () throws(ReportError) in
            var attributes = [
                ("name", suite.name),
                ("tests", String(suite.cases.count)),
                ("failures", String(suite.failures)),
                ("errors", String(suite.errors)),
                ("skipped", "0"),
                ("time", ReportTime.seconds(suite.time)),
                ("timestamp", ReportTime.isoTimestampWithoutZone(result.startedAt))
            ]
            if let host { attributes.append(("hostname", host)) }
            try writer.element("testsuite", attributes) { () throws(ReportError) in
                try writer.element("properties") { () throws(ReportError) in
                    for property in suite.properties {
                        try writer.element("property", [("name", property.name), ("value", property.value)])
                    }
                }
                for testCase in suite.cases { try testCase.write(to: writer) }
            }
        }
        return try writer.finish()
    }

    /// Renders `result` with this machine's host name and writes it to `path`, creating missing directories.
    ///
    /// - Throws: ``ReportError`` when rendering or writing fails.
    package static func write(_ result: LoadResult, to path: String) throws {
        try write(result, to: path, hostname: ReportTime.currentHostname())
    }

    /// Renders `result` with the given host name and writes it to `path`, creating missing directories.
    package static func write(_ result: LoadResult, to path: String, hostname: String?) throws {
        try ReportFile.write(render(result, hostname: hostname), to: path)
    }

    /// The suite as it will be written: cleaned text, unique case names.
    static func suite(for result: LoadResult) -> JUnitSuite {
        let time = Duration.nanoseconds(Int64(result.seconds.isFinite ? Swift.min(Swift.max(0, result.seconds), 9e9) * 1e9 : 0))
        var properties = [
            (name: "target", value: ReportText.attribute(result.target)),
            (name: "model", value: LoadText.model(result.plan))
        ]
        if let seed = result.plan.seed { properties.append((name: "seed", value: String(seed))) }
        properties.append((name: "plan", value: ReportText.attribute(LoadText.plan(result.plan))))
        if let shard = result.shard { properties.append((name: "shard", value: shard.description)) }
        properties.append((name: "file", value: ReportText.attribute(result.file)))

        var used: Set<String> = []
        var cases: [JUnitSuite.Case] = result.thresholds.map { t in
            JUnitSuite.Case(
                name: JUnitSuite.uniqueName(ReportText.attribute(t.threshold.source), among: &used),
                classname: thresholdClassname, time: .zero,
                verdict: t.passed ? .passed : .failure,
                type: t.passed ? nil : "ThresholdBreached",
                message: t.passed ? "" : ReportText.attribute(LoadText.oneLine(t.summary)),
                body: t.passed ? "" : ReportText.body(breach(t)),
                systemOut: ReportText.body(t.summary))
        }
        // LoadResult drops thresholds it cannot parse; say so rather than let them vanish.
        for source in result.plan.thresholds where Threshold.parse(source) == nil {
            let message = "cannot parse threshold '\(source)'; write METRIC.STAT OP VALUE, e.g. execute.p99 < 250ms"
            cases.append(
                JUnitSuite.Case(
                    name: JUnitSuite.uniqueName(ReportText.attribute(source), among: &used),
                    classname: thresholdClassname, time: .zero, verdict: .error, type: "InvalidThreshold",
                    message: ReportText.attribute(LoadText.oneLine(message)), body: ReportText.body(message), systemOut: ""))
        }
        cases.append(completion(result, time: time, used: &used))
        return JUnitSuite(name: ReportText.attribute("load: \(result.scenario)"), time: time, properties: properties, cases: cases)
    }

    /// The failure body of a breached threshold.
    static func breach(_ t: ThresholdResult) -> String {
        guard t.actual != nil else {
            return "\(t.summary)\nthe metric '\(t.threshold.metric)' recorded nothing in this run; check its name against the table"
        }
        return "threshold breached: \(t.summary)"
    }

    /// Errors when the run was aborted, fails when sandboxes leaked, passes otherwise.
    static func completion(_ result: LoadResult, time: Duration, used: inout Set<String>) -> JUnitSuite.Case {
        var problems: [String] = []
        if let reason = result.aborted { problems.append("run aborted: \(reason)") }
        if !result.leaks.isEmpty {
            problems.append(
                "\(LoadText.sandboxes(result.leaks.count)) still alive after clean-up: "
                    + result.leaks.joined(separator: ", "))
        }
        var body = problems.joined(separator: "\n")
        if !result.leaks.isEmpty {
            body += "\nleaked (delete them by hand):\n" + result.leaks.map { "  - \($0)" }.joined(separator: "\n")
        }
        let verdict: JUnitSuite.Case.Verdict = result.aborted != nil ? .error : result.leaks.isEmpty ? .passed : .failure
        return JUnitSuite.Case(
            name: JUnitSuite.uniqueName(completionCaseName, among: &used),
            classname: "run", time: time, verdict: verdict,
            type: verdict == .error ? "RunAborted" : verdict == .failure ? "SandboxLeak" : nil,
            message: ReportText.attribute(LoadText.oneLine(problems.joined(separator: "; "))),
            body: ReportText.body(body),
            systemOut: ReportText.body(LoadTable.render(result, color: false)))
    }
}
