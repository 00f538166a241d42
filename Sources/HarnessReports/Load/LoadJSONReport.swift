package import HarnessCore
package import SandboxAPI

/// Renders a load run as one JSON document for tools, with every metric's HDR histograms so runs can be merged.
///
/// Shape (keys sorted on output; optional values are `null`, never missing; latencies in ms unless
/// a `unit` says otherwise; durations of the plan in seconds):
/// ```json
/// {"format": "sandbench-load/1", "scenario": "…", "file": "…", "target": "…",
///  "startedAt": "2026-11-27T06:06:13.170125Z", "seconds": 60.2, "passed": true, "aborted": null, "leaks": [],
///  "shard": {"index": 0, "count": 4},
///  "plan": {"model": "open", "rate": 50, "vus": null, "duration": 60, "iterations": null, "pacing": null,
///           "max_in_flight": 1000, "arrivals": "uniform", "stages": [{"duration": 30, "target": 10}],
///           "seed": "7", "abort_on_fail": false, "thresholds": ["execute.p99 < 250ms"]},
///  "counters": {"sessionsStarted": 3000, "sessionsFinished": 3000, "sessionsFailed": 0, "sessionsErrored": 0,
///               "dropped": 0, "steps": 9000, "stepErrors": 0, "stepFailures": 0},
///  "operations": [METRIC, …], "steps": [METRIC, …], "session": METRIC,
///  "thresholds": [{"source": "execute.p99 < 250ms", "actual": 0.0123, "passed": true, "summary": "…"}],
///  "timeline": [{"second": 0, "width": 1, "started": 50, "finished": 48, "dropped": 0, "requests": 150,
///                "errors": 0, "failures": 0, "p50Ms": 10.2, "p99Ms": 30.5, "latency": [[520, 3], …]}]}
/// ```
/// where METRIC is
/// ```json
/// {"name": "execute", "count": 3000, "rate": 49.8, "minMs": 1.2, "p50Ms": 10.1, "p90Ms": 20.3, "p99Ms": 30.4,
///  "p999Ms": 40.9, "maxMs": 41.0, "meanMs": 11.0, "errors": 0, "failures": 0,
///  "histograms": {"unit": "us", "service": [[1200, 3], …], "corrected": [[1200, 2], …],
///                 "serviceMin": 1187, "serviceMax": 41012, "correctedMin": 1187, "correctedMax": 41012}}
/// ```
/// `startedAt` is when the first arrival was due (the timeline's and `seconds`' origin); `shard` is
/// the slice of the plan that ran (`--shard`), null for the whole plan. The histograms are lossless:
/// each `[value, count]` pair is one HDR bucket (3 significant digits), `…Min` and `…Max` the exact extremes,
/// so `sandbench merge` rebuilds and adds them exactly; a timeline point's `latency` holds its
/// coarse histogram's `[bucket, count]` pairs (bucket b ≈ 1.02^b µs).
/// Errors (transport, protocol or server errors) and failures (expectations not met) are counted
/// apart everywhere: `sessionsErrored`/`sessionsFailed`, `stepErrors`/`stepFailures`, and `errors`/
/// `failures` of each metric and timeline point.
/// `actual` is in the threshold's own unit: seconds for latencies, a fraction for `errors.rate`, else a plain number.
/// `seed` is a decimal string so every `UInt64` survives JSON's doubles.
package enum LoadJSONReport {
    /// The value of the document's `format` key; bumped when the shape changes incompatibly.
    package static let format = "sandbench-load/1"

    /// The compact UTF-8 JSON document for `result`.
    package static func render(_ result: LoadResult) -> [UInt8] {
        document(result).serialized()
    }

    /// Renders `result` and writes it to `path`, creating missing directories.
    ///
    /// - Throws: ``ReportError`` when the file cannot be written.
    package static func write(_ result: LoadResult, to path: String) throws {
        try ReportFile.write(render(result), to: path)
    }

    /// The corrected histogram of `metric` merged over every document that has it; nil when none has it.
    ///
    /// `metric` is looked up as thresholds do: `session`, else an operation, else a step name.
    /// Documents of another format are skipped.
    ///
    /// ```swift
    /// let runs = try paths.map { try JSONValue.parse(readBytes($0)) }
    /// let p99 = LoadJSONReport.mergeHistograms(runs, metric: "execute")?.percentile(99)
    /// ```
    package static func mergeHistograms(_ documents: [JSONValue], metric: String) -> LatencyHistogram? {
        var merged: LatencyHistogram?
        for document in documents where document["format"]?.stringValue == format {
            guard let encoded = self.metric(metric, in: document)?["histograms"]?["corrected"]?.arrayValue else { continue }
            let pairs = encoded.compactMap { pair -> [UInt64]? in
                guard let values = pair.arrayValue, values.count == 2,
                    let micros = values[0].numberValue, let count = values[1].numberValue,
                    micros >= 0, count >= 0, micros < 1.8e19, count < 1.8e19
                else { return nil }
                return [UInt64(micros), UInt64(count)]
            }
            var total = merged ?? LatencyHistogram()
            total.merge(LatencyHistogram(encoded: pairs))
            merged = total
        }
        return merged
    }

    /// The summary object of `name` in a document: `session`, else an operation, else a step.
    static func metric(_ name: String, in document: JSONValue) -> JSONValue? {
        if name == "session" { return document["session"] }
        for key in ["operations", "steps"] {
            if let found = document[key]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }) { return found }
        }
        return nil
    }

    /// The report as a JSON value.
    static func document(_ r: LoadResult) -> JSONValue {
        let c = r.counters
        return [
            "format": .string(format),
            "scenario": .string(r.scenario),
            "file": .string(r.file),
            "target": .string(r.target),
            "startedAt": .string(ProtoTimestamp.format(r.startedAt)),
            "seconds": .number(r.seconds.isFinite ? (r.seconds * 1e6).rounded() / 1e6 : 0),
            "passed": .bool(r.passed),
            "aborted": r.aborted.map(JSONValue.string) ?? .null,
            "leaks": .array(r.leaks.map(JSONValue.string)),
            "shard": r.shard.map { ["index": .number(Double($0.index)), "count": .number(Double($0.count))] } ?? .null,
            "plan": plan(r.plan),
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
            "operations": .array(r.operations.map(metric)),
            "steps": .array(r.steps.map(metric)),
            "session": metric(r.session),
            "thresholds": .array(
                r.thresholds.map { t in
                    [
                        "source": .string(t.threshold.source),
                        "actual": t.actual.flatMap { $0.isFinite ? JSONValue.number($0) : nil } ?? .null,
                        "passed": .bool(t.passed),
                        "summary": .string(t.summary)
                    ]
                }),
            "timeline": .array(r.timeline.map(point))
        ]
    }

    /// The plan with the scenario file's key names; durations in seconds.
    static func plan(_ p: LoadPlan) -> JSONValue {
        func seconds(_ d: Duration?) -> JSONValue { d.map { .number($0.seconds) } ?? .null }
        var object: [String: JSONValue] = [
            "model": .string(LoadText.model(p)),
            "stages": .array(p.stages.map { ["duration": .number($0.duration.seconds), "target": .number($0.target)] }),
            "seed": p.seed.map { .string(String($0)) } ?? .null,
            "abort_on_fail": .bool(p.abortOnFail),
            "thresholds": .array(p.thresholds.map(JSONValue.string))
        ]
        switch p.model {
        case .open(let rate, let duration, let maxInFlight):
            object["rate"] = .number(rate)
            object["vus"] = .null
            object["duration"] = seconds(duration)
            object["iterations"] = .null
            object["pacing"] = .null
            object["max_in_flight"] = .number(Double(maxInFlight))
            object["arrivals"] = .string(p.poissonArrivals ? "poisson" : "uniform")
        case .closed(let vus, let iterations, let duration, let pacing):
            object["rate"] = .null
            object["vus"] = .number(Double(vus))
            object["duration"] = seconds(duration)
            object["iterations"] = iterations.map { .number(Double($0)) } ?? .null
            object["pacing"] = seconds(pacing)
            object["max_in_flight"] = .null
            object["arrivals"] = .null
        }
        return .object(object)
    }

    static func metric(_ m: MetricSummary) -> JSONValue {
        func ms(_ seconds: Double) -> JSONValue { .number(LoadText.milliseconds(seconds)) }
        func pairs(_ h: LatencyHistogram) -> JSONValue {
            .array(h.encoded.map { .array($0.map { .number(Double($0)) }) })
        }
        return [
            "name": .string(m.name),
            "count": .number(Double(m.count)),
            "rate": .number(m.rate.isFinite ? (m.rate * 1000).rounded() / 1000 : 0),
            "minMs": ms(m.min),
            "p50Ms": ms(m.p50),
            "p90Ms": ms(m.p90),
            "p99Ms": ms(m.p99),
            "p999Ms": ms(m.p999),
            "maxMs": ms(m.max),
            "meanMs": ms(m.mean),
            "errors": .number(Double(m.errors)),
            "failures": .number(Double(m.failures)),
            "histograms": [
                "unit": "us",
                "service": pairs(m.stats.service),
                "corrected": pairs(m.stats.corrected),
                "serviceMin": .number(Double(m.stats.service.exactMinMicros)),
                "serviceMax": .number(Double(m.stats.service.exactMaxMicros)),
                "correctedMin": .number(Double(m.stats.corrected.exactMinMicros)),
                "correctedMax": .number(Double(m.stats.corrected.exactMaxMicros))
            ]
        ]
    }

    static func point(_ p: TimelinePoint) -> JSONValue {
        [
            "second": .number(p.second),
            "width": .number(p.width),
            "started": .number(Double(p.sessionsStarted)),
            "finished": .number(Double(p.sessionsFinished)),
            "dropped": .number(Double(p.dropped)),
            "requests": .number(Double(p.requests)),
            "errors": .number(Double(p.errors)),
            "failures": .number(Double(p.failures)),
            "p50Ms": p.latency.count > 0 ? .number(LoadText.milliseconds(p.latency.percentile(50))) : .null,
            "p99Ms": p.latency.count > 0 ? .number(LoadText.milliseconds(p.latency.percentile(99))) : .null,
            "latency": .array(p.latency.encoded.map { .array($0.map { .number(Double($0)) }) })
        ]
    }
}
