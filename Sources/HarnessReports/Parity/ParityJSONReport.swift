package import HarnessParity
import SandboxAPI

/// Renders a parity comparison as one JSON document for tools.
///
/// Shape (keys sorted; optional values are `null`, never missing):
/// ```json
/// {"format": "sandbench-parity/1", "reference": "…", "candidate": "…", "gapsFile": "parity-gaps.yaml",
///  "startedAt": "2026-12-01T10:00:00.000000Z", "durationMs": 812.5, "passed": false, "problems": [],
///  "counts": {"steps": 5, "same": 3, "explained": 1, "different": 1, "errors": 0, "staleGaps": 1},
///  "scenarios": [{"name": "…", "file": "…", "verdict": "different", "skipReason": null, "problems": [],
///                 "steps": [{"index": 1, "name": "2-execute", "operation": "execute", "verdict": "different",
///                            "problems": [], "moreDifferences": 0,
///                            "differences": [{"path": "outputs[0].msg_out", "reference": "…", "candidate": "…",
///                                             "referencePresent": true, "candidatePresent": true, "gap": null}],
///                            "errorShape": null, "reference": {"status": 200, "response": {…}},
///                            "candidate": {"status": 200, "response": {…}}}]}],
///  "staleGaps": [{"scenario": "*", "step": null, "path": "…", "reason": "…", "date": "…",
///                 "location": "gaps.yaml:4:5", "why": "…"}],
///  "latency": [{"operation": "execute", "reference": {"count": 2, "p50Ms": 0.9, "p99Ms": 1.2},
///               "candidate": {…}, "ratioP50": 1.1, "ratioP99": 0.9, "bound": null, "exceeded": false}]}
/// ```
/// A value absent on one side is `null` with `referencePresent`/`candidatePresent` false.
package enum ParityJSONReport {
    /// The value of the document's `format` key.
    package static let format = "sandbench-parity/1"

    /// The compact UTF-8 JSON document.
    package static func render(_ result: ParityResult) -> [UInt8] {
        document(result).serialized()
    }

    /// Renders `result` and writes it to `path`, creating missing directories.
    /// - Throws: ``ReportError`` when the file cannot be written.
    package static func write(_ result: ParityResult, to path: String) throws {
        try ReportFile.write(render(result), to: path)
    }

    static func document(_ result: ParityResult) -> JSONValue {
        [
            "format": .string(format),
            "reference": .string(result.reference),
            "candidate": .string(result.candidate),
            "gapsFile": result.gapsFile.map(JSONValue.string) ?? .null,
            "startedAt": .string(ProtoTimestamp.format(result.startedAt)),
            "durationMs": .number(ReportTime.milliseconds(result.duration)),
            "passed": .bool(result.passed),
            "problems": .array(result.problems.map(JSONValue.string)),
            "counts": [
                "steps": .number(Double(result.steps.count)),
                "same": .number(Double(result.count(.same))),
                "explained": .number(Double(result.count(.explained))),
                "different": .number(Double(result.count(.different))),
                "errors": .number(Double(result.count(.error))),
                "staleGaps": .number(Double(result.staleGaps.count))
            ],
            "scenarios": .array(result.scenarios.map(scenario)),
            "staleGaps": .array(
                result.staleGaps.map { stale in
                    var gap = self.gap(stale.gap)
                    if case .object(var members) = gap {
                        members["why"] = .string(stale.why)
                        gap = .object(members)
                    }
                    return gap
                }),
            "latency": .array(result.latency.map(latency))
        ]
    }

    static func scenario(_ s: ScenarioComparison) -> JSONValue {
        [
            "name": .string(s.name),
            "file": .string(s.file),
            "verdict": .string(s.skipReason == nil ? s.verdict.rawValue : "skipped"),
            "skipReason": s.skipReason.map(JSONValue.string) ?? .null,
            "problems": .array(s.problems.map(JSONValue.string)),
            "steps": .array(s.steps.map(step))
        ]
    }

    static func step(_ s: StepComparison) -> JSONValue {
        func side(_ record: StepRecord?) -> JSONValue {
            guard let record else { return .null }
            return [
                "outcome": .string(record.outcome.rawValue),
                "problem": record.problem.map(JSONValue.string) ?? .null,
                "status": record.status.map { .number(Double($0)) } ?? .null,
                "response": record.response ?? .null
            ]
        }
        func shape(_ shape: ErrorShape.Shape?) -> JSONValue {
            guard let shape else { return .null }
            return [
                "httpStatus": shape.httpStatus.map { .number(Double($0)) } ?? .null,
                "rpcStatus": shape.rpcStatus.map(JSONValue.string) ?? .null,
                "messageClass": shape.messageClass.map(JSONValue.string) ?? .null
            ]
        }
        return [
            "index": .number(Double(s.index + 1)),
            "name": .string(s.name),
            "operation": .string(s.operation),
            "verdict": .string(s.verdict.rawValue),
            "problems": .array(s.problems.map(JSONValue.string)),
            "moreDifferences": .number(Double(s.moreDifferences)),
            "differences": .array(
                s.differences.map { d in
                    [
                        "path": .string(d.path.description),
                        "reference": d.reference ?? .null,
                        "candidate": d.candidate ?? .null,
                        "referencePresent": .bool(d.reference != nil),
                        "candidatePresent": .bool(d.candidate != nil),
                        "gap": d.gap.map(gap) ?? .null
                    ]
                }),
            "errorShape": s.errorShape.map { e in
                ["matches": .bool(e.matches), "reference": shape(e.reference), "candidate": shape(e.candidate)]
            } ?? .null,
            "reference": side(s.reference),
            "candidate": side(s.candidate)
        ]
    }

    static func gap(_ gap: KnownGap) -> JSONValue {
        [
            "scenario": .string(gap.scenario.pattern),
            "step": gap.step.map { .string($0.pattern) } ?? .null,
            "path": .string(gap.path.description),
            "reason": .string(gap.reason),
            "date": .string(gap.date),
            "location": .string(gap.location.description)
        ]
    }

    static func latency(_ l: OperationLatency) -> JSONValue {
        func side(_ count: Int, _ p50: Double, _ p99: Double) -> JSONValue {
            func ms(_ seconds: Double) -> JSONValue { .number((seconds * 1e6).rounded() / 1000) }
            return ["count": .number(Double(count)), "p50Ms": ms(p50), "p99Ms": ms(p99)]
        }
        return [
            "operation": .string(l.operation),
            "reference": side(l.referenceCount, l.referenceP50, l.referenceP99),
            "candidate": side(l.candidateCount, l.candidateP50, l.candidateP99),
            "ratioP50": l.ratioP50.map(JSONValue.number) ?? .null,
            "ratioP99": l.ratioP99.map(JSONValue.number) ?? .null,
            "bound": l.bound.map(JSONValue.number) ?? .null,
            "exceeded": .bool(l.exceeded)
        ]
    }
}
