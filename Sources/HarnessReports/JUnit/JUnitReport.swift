package import HarnessCore

/// Renders a run as JUnit XML that validates against the Jenkins xunit `junit-10.xsd`.
///
/// One `<testsuite>` per scenario file (`name` = the file path) with a `target` property, one
/// `<testcase>` per scenario (`classname` = the file path, `name` = the scenario name made unique
/// within the file), `<failure>`/`<error>`/`<skipped>` with a message and a body, and a
/// `<system-out>` listing the steps. Leaked sandboxes fail an extra `sandbox leak check` case.
///
/// ```swift
/// try JUnitReport.write(result, to: "reports/junit.xml")
/// ```
package enum JUnitReport {
    /// The `name` of the root `<testsuites>` element.
    package static let rootName = "sandbench"

    /// The UTF-8 bytes of the JUnit XML document for `run`.
    ///
    /// - Parameter hostname: written as each suite's `hostname`; omitted when nil.
    /// - Throws: ``ReportError`` when libxml2's writer fails.
    package static func render(_ run: RunResult, hostname: String?) throws -> [UInt8] {
        try document(JUnitSuite.suites(for: run), startedAt: run.startedAt, duration: run.duration, hostname: hostname)
    }

    /// The JUnit XML document of `suites`: the `<testsuites>` root, then each suite with its
    /// properties and cases. `run` and `parity` reports differ only in the suites they make.
    ///
    /// - Parameter hostname: written as each suite's `hostname`; omitted when nil or empty once escaped.
    /// - Throws: ``ReportError`` when libxml2's writer fails.
    static func document(_ suites: [JUnitSuite], startedAt: Double, duration: Duration, hostname: String?) throws -> [UInt8] {
        let timestamp = ReportTime.isoTimestampWithoutZone(startedAt)
        let host = hostname.map(ReportText.attribute).flatMap { $0.isEmpty ? nil : $0 }
        let writer = try XMLTextWriter()
        try writer.startDocument()
        // junit-10.xsd allows only name, time, tests, failures and errors on <testsuites>.
        try writer.element(
            "testsuites",
            [
                ("name", rootName),
                ("tests", String(suites.reduce(0) { $0 + $1.cases.count })),
                ("failures", String(suites.reduce(0) { $0 + $1.failures })),
                ("errors", String(suites.reduce(0) { $0 + $1.errors })),
                ("time", ReportTime.seconds(duration))
            ]
        ) { () throws(ReportError) in
            for suite in suites {
                try write(suite, timestamp: timestamp, hostname: host, to: writer)
            }
        }
        return try writer.finish()
    }

    /// Renders `run` with this machine's host name and writes it to `path`, creating missing directories.
    ///
    /// - Throws: ``ReportError`` when rendering or writing fails.
    package static func write(_ run: RunResult, to path: String) throws {
        try write(run, to: path, hostname: ReportTime.currentHostname())
    }

    /// Renders `run` with the given host name and writes it to `path`, creating missing directories.
    package static func write(_ run: RunResult, to path: String, hostname: String?) throws {
        try ReportFile.write(render(run, hostname: hostname), to: path)
    }

    private static func write(
        _ suite: JUnitSuite, timestamp: String, hostname: String?,
        to writer: XMLTextWriter
    ) throws(ReportError) {
        var attributes = [
            ("name", suite.name),
            ("tests", String(suite.cases.count)),
            ("failures", String(suite.failures)),
            ("errors", String(suite.errors)),
            ("skipped", String(suite.skipped)),
            ("time", ReportTime.seconds(suite.time)),
            ("timestamp", timestamp)
        ]
        if let hostname { attributes.append(("hostname", hostname)) }
        try writer.element("testsuite", attributes) { () throws(ReportError) in
            try writer.element("properties") { () throws(ReportError) in
                for property in suite.properties {
                    try writer.element("property", [("name", property.name), ("value", property.value)])
                }
            }
            for testCase in suite.cases {
                try testCase.write(to: writer)
            }
        }
    }
}
