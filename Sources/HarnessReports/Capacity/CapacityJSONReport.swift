package import HarnessCore
import SandboxAPI

/// Renders a capacity search as one JSON document for tools.
///
/// Shape (keys sorted on output; optional values are `null`, never missing; rates in arrivals per
/// second, latencies in ms, durations in seconds):
/// ```json
/// {"format": "sandbench-capacity/1", "scenario": "…", "file": "…", "target": "…",
///  "startedAt": "2026-12-01T06:06:13.170125Z", "seconds": 41.2, "found": true, "aborted": null, "leaks": [],
///  "search": {"start": 10, "max": 10000, "growth": 2, "resolution": 0.05, "maxSteps": 20,
///             "stepDuration": 20, "settle": 5, "maxInFlight": 1000, "rechecks": 1},
///  "objectives": ["session.p99 < 1s", "dropped.count < 1", "errors.count < 1", "failures.count < 1"],
///  "result": {"capacity": 82.5, "bracket": {"passed": 82.5, "failed": 85}, "stop": "resolved"},
///  "steps": [{"index": 1, "rate": 10, "attempt": 1, "passed": true, "aborted": null, "judgedSeconds": 15,
///             "counters": {"sessionsStarted": 150, "dropped": 0, "steps": 150, "stepErrors": 0, "stepFailures": 0, …},
///             "settled": {"sessionsStarted": 50, "dropped": 0},
///             "session": {"count": 150, "p50Ms": 51.2, "p99Ms": 55.0},
///             "operations": [{"name": "request", "count": 150, "p50Ms": 51.1, "p99Ms": 54.9, "errors": 0, "failures": 0}],
///             "objectives": [{"source": "session.p99 < 1s", "actual": 0.055, "passed": true, "summary": "…"}],
///             "failed": []}]}
/// ```
/// `attempt` is 2 or more for a failing rate run again (a rate passes when any of its runs passed).
/// `failed` lists the objectives a step missed with their measured values (`actual` in the
/// objective's own unit: seconds for latencies, a fraction for rates of counts, else a plain number).
/// `bracket.failed` is the lowest failing rate above the capacity (null: none failed); `capacity` is
/// null when even the first rate failed. `stop` is `resolved`, `reached --max`, `step budget used`,
/// `start failed`, or null when the search was aborted.
package enum CapacityJSONReport {
    /// The value of the document's `format` key; bumped when the shape changes incompatibly.
    package static let format = "sandbench-capacity/1"

    /// The compact UTF-8 JSON document for `result`.
    package static func render(_ result: CapacityResult) -> [UInt8] {
        document(result).serialized()
    }

    /// Renders `result` and writes it to `path`, creating missing directories.
    /// - Throws: ``ReportError`` when the file cannot be written.
    package static func write(_ result: CapacityResult, to path: String) throws {
        try ReportFile.write(render(result), to: path)
    }

    static func document(_ r: CapacityResult) -> JSONValue {
        let s = r.search
        return [
            "format": .string(format),
            "scenario": .string(r.scenario),
            "file": .string(r.file),
            "target": .string(r.target),
            "startedAt": .string(ProtoTimestamp.format(r.startedAt)),
            "seconds": number(r.seconds),
            "found": .bool(r.found),
            "aborted": r.aborted.map(JSONValue.string) ?? .null,
            "leaks": .array(r.leaks.map(JSONValue.string)),
            "search": [
                "start": number(s.start),
                "max": number(s.max),
                "growth": number(s.growth),
                "resolution": number(s.resolution),
                "maxSteps": .number(Double(s.maxSteps)),
                "stepDuration": number(r.stepDuration.seconds),
                "settle": number(r.settle.seconds),
                "maxInFlight": .number(Double(r.maxInFlight)),
                "rechecks": .number(Double(r.rechecks))
            ],
            "objectives": .array(r.objectives.map(JSONValue.string)),
            "result": [
                "capacity": r.capacity.map(number) ?? .null,
                "bracket": ["passed": r.capacity.map(number) ?? .null, "failed": r.firstFailure.map(number) ?? .null],
                "stop": r.stop.map { .string($0.rawValue) } ?? .null
            ],
            "steps": .array(r.steps.map(step))
        ]
    }

    static func step(_ step: CapacityStep) -> JSONValue {
        let r = step.result
        let c = r.counters
        func latency(_ m: MetricSummary) -> JSONValue {
            [
                "name": .string(m.name),
                "count": .number(Double(m.count)),
                "p50Ms": .number(LoadText.milliseconds(m.p50)),
                "p99Ms": .number(LoadText.milliseconds(m.p99)),
                "errors": .number(Double(m.errors)),
                "failures": .number(Double(m.failures))
            ]
        }
        func objective(_ t: ThresholdResult) -> JSONValue {
            [
                "source": .string(t.threshold.source),
                "actual": t.actual.flatMap { $0.isFinite ? JSONValue.number($0) : nil } ?? .null,
                "passed": .bool(t.passed),
                "summary": .string(t.summary)
            ]
        }
        return [
            "index": .number(Double(step.index)),
            "rate": number(step.rate),
            "attempt": .number(Double(step.attempt)),
            "passed": .bool(step.passed),
            "aborted": r.aborted.map(JSONValue.string) ?? .null,
            "judgedSeconds": number(r.seconds),
            "counters": [
                "sessionsStarted": .number(Double(c.sessionsStarted)),
                "sessionsFinished": .number(Double(c.sessionsFinished)),
                "sessionsFailed": .number(Double(c.sessionsFailed)),
                "sessionsErrored": .number(Double(c.sessionsErrored)),
                "dropped": .number(Double(c.dropped)),
                "steps": .number(Double(c.steps)),
                "stepErrors": .number(Double(c.stepErrors)),
                "stepFailures": .number(Double(c.stepFailures))
            ],
            "settled": [
                "sessionsStarted": .number(Double(step.settled.sessionsStarted)),
                "dropped": .number(Double(step.settled.dropped))
            ],
            "session": latency(r.session),
            "operations": .array(r.operations.map(latency)),
            "objectives": .array(r.thresholds.map(objective)),
            "failed": .array(step.breaches.map(objective))
        ]
    }

    /// A finite number rounded to the microunit; 0 for anything else.
    static func number(_ x: Double) -> JSONValue { .number(x.isFinite ? (x * 1e6).rounded() / 1e6 : 0) }
}
