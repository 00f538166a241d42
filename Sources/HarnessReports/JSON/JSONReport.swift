package import HarnessCore
import SandboxAPI

/// Renders a run as one JSON document for tools: every scenario and step, with durations in milliseconds.
///
/// Shape (keys sorted on output; optional values are `null`, never missing):
/// ```json
/// {"format": "sandbench-run/1", "target": "…", "startedAt": "2026-11-27T06:06:13.170125Z",
///  "durationMs": 1234.568, "passed": false, "leaks": ["…"],
///  "counts": {"total": 4, "passed": 1, "failed": 1, "errors": 1, "skipped": 1},
///  "scenarios": [{"name": "…", "file": "…", "tags": [], "outcome": "failed", "durationMs": 12.5,
///                 "skipReason": null, "cleanupProblems": [],
///                 "steps": [{"name": "…", "operation": "execute", "outcome": "failed",
///                            "durationMs": 3.25, "startOffsetMs": 1.5, "httpStatus": 200,
///                            "mismatches": [{"what": "stdout", "expected": "…", "actual": "…"}],
///                            "errorMessage": null,
///                            "output": {"stdout": "…", "stderr": "Traceback …", "truncated": false},
///                            "location": {"file": "…", "line": 12, "column": 7}}]}]}
/// ```
/// Text is kept as it came (JSON escapes control characters), unlike the JUnit and console reports.
package enum JSONReport {
    /// The value of the document's `format` key; bumped when the shape changes incompatibly.
    package static let format = "sandbench-run/1"

    /// The compact UTF-8 JSON document for `run`.
    package static func render(_ run: RunResult) -> [UInt8] {
        document(run).serialized()
    }

    /// Renders `run` and writes it to `path`, creating missing directories.
    ///
    /// - Throws: ``ReportError`` when the file cannot be written.
    package static func write(_ run: RunResult, to path: String) throws {
        try ReportFile.write(render(run), to: path)
    }

    /// The report as a JSON value.
    static func document(_ run: RunResult) -> JSONValue {
        func count(_ outcome: Outcome) -> JSONValue {
            .number(Double(run.scenarios.count { $0.outcome == outcome }))
        }
        return [
            "format": .string(format),
            "target": .string(run.target),
            "startedAt": .string(ProtoTimestamp.format(run.startedAt)),
            "durationMs": .number(ReportTime.milliseconds(run.duration)),
            "passed": .bool(run.passed),
            "leaks": .array(run.leaks.map(JSONValue.string)),
            "counts": [
                "total": .number(Double(run.scenarios.count)),
                "passed": count(.passed),
                "failed": count(.failed),
                "errors": count(.error),
                "skipped": count(.skipped)
            ],
            "scenarios": .array(run.scenarios.map(scenario))
        ]
    }

    static func scenario(_ s: ScenarioResult) -> JSONValue {
        [
            "name": .string(s.name),
            "file": .string(s.file),
            "tags": .array(s.tags.map(JSONValue.string)),
            "outcome": .string(s.outcome.rawValue),
            "durationMs": .number(ReportTime.milliseconds(s.duration)),
            "skipReason": s.skipReason.map(JSONValue.string) ?? .null,
            "cleanupProblems": .array(s.cleanupProblems.map(JSONValue.string)),
            "steps": .array(s.steps.map(step))
        ]
    }

    static func step(_ s: StepResult) -> JSONValue {
        [
            "name": .string(s.name),
            "operation": .string(s.operation),
            "outcome": .string(s.outcome.rawValue),
            "durationMs": .number(ReportTime.milliseconds(s.duration)),
            "startOffsetMs": .number(ReportTime.milliseconds(s.startOffset)),
            "httpStatus": s.httpStatus.map { .number(Double($0)) } ?? .null,
            "mismatches": .array(
                s.mismatches.map { m in
                    ["what": .string(m.what), "expected": .string(m.expected), "actual": .string(m.actual)]
                }),
            "errorMessage": s.errorMessage.map(JSONValue.string) ?? .null,
            // The end of a failed step's stdout and stderr (``OutputTail``), null when it printed nothing or passed.
            "output": s.output.map { o in
                ["stdout": .string(o.stdout), "stderr": .string(o.stderr), "truncated": .bool(o.truncated)]
            } ?? .null,
            "location": s.location.map { l in
                ["file": .string(l.file), "line": .number(Double(l.line)), "column": .number(Double(l.column))]
            } ?? .null
        ]
    }
}
