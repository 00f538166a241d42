package import HarnessCore
import SandboxAPI

/// Why a load JSON document cannot be read back: the field (`operations[2].histograms.corrected[5]`)
/// and what is wrong with it.
package struct LoadDecodingError: Error, Sendable, CustomStringConvertible {
    /// The JSON path of the offending field; empty for the document as a whole.
    package var field: String
    /// What is wrong, for the user.
    package var message: String

    package init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    package var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

extension LoadJSONReport {
    /// Largest count a field may hold: what a JSON number (a double) carries exactly.
    static let maxCount = 1 << 53

    /// Reads back a document ``render(_:)`` wrote, checking every field: the result has the same
    /// histograms (bucket for bucket, with the exact minimum), counters, timeline and plan.
    ///
    /// The document is outside input: every number is range-checked before it is converted, every
    /// count is at most 2^53, and a histogram's total must equal its metric's `count`.
    /// - Throws: ``LoadDecodingError`` naming the first field that is missing, of the wrong type or out of range.
    package static func decode(_ bytes: [UInt8]) throws(LoadDecodingError) -> LoadResult {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw LoadDecodingError(field: "", "not JSON: \(error)") }
        let root = Field(json, "")
        let formatName = try root["format"].string()
        guard formatName == format else {
            throw LoadDecodingError(field: "format", "is \"\(formatName)\", not \"\(format)\": not a `sandbench load --json` result")
        }
        let startedText = try root["startedAt"].string()
        guard let startedAt = ProtoTimestamp.parse(startedText), ProtoTimestamp.range.contains(startedAt) else {
            throw LoadDecodingError(field: "startedAt", "\"\(startedText)\" is not an RFC 3339 timestamp")
        }
        let plan = try decodePlan(root["plan"])
        let operations = try root["operations"].array().map(decodeMetric)
        let steps = try root["steps"].array().map(decodeMetric)
        for (key, metrics) in [("operations", operations), ("steps", steps)] {
            var names = Set<String>()
            for (i, metric) in metrics.enumerated() where !names.insert(metric.name).inserted {
                throw LoadDecodingError(field: "\(key)[\(i)].name", "\"\(metric.name)\" appears twice")
            }
        }
        let c = root["counters"]
        var counters = LoadRecorder.Counters()
        counters.sessionsStarted = try c["sessionsStarted"].count()
        counters.sessionsFinished = try c["sessionsFinished"].count()
        counters.sessionsFailed = try c["sessionsFailed"].count()
        counters.sessionsErrored = try c["sessionsErrored"].count()
        counters.dropped = try c["dropped"].count()
        counters.steps = try c["steps"].count()
        counters.stepErrors = try c["stepErrors"].count()
        counters.stepFailures = try c["stepFailures"].count()
        var shard: LoadShard?
        if let s = try root["shard"].optional() {
            let index = try s["index"].count()
            let count = try s["count"].count()
            guard let valid = LoadShard(index: index, count: count) else {
                throw LoadDecodingError(field: "shard", "\(index)/\(count) is not a shard (0 <= index < count <= \(LoadShard.maxCount))")
            }
            shard = valid
        }
        return LoadResult(
            scenario: try root["scenario"].string(), file: try root["file"].string(), target: try root["target"].string(), plan: plan,
            startedAt: startedAt, seconds: try root["seconds"].number(in: 0...1e10), operations: operations, steps: steps,
            session: try decodeMetric(root["session"]).stats, timeline: try root["timeline"].array().map(decodePoint),
            counters: counters, aborted: try root["aborted"].optional()?.string(), leaks: try root["leaks"].strings(),
            shard: shard)
    }

    static func decodePlan(_ p: Field) throws(LoadDecodingError) -> LoadPlan {
        let model: LoadPlan.Model
        var poisson = false
        switch try p["model"].string() {
        case "open":
            model = .open(
                rate: try p["rate"].number(in: 0...LoadPlan.maxRate), duration: try p["duration"].duration(),
                maxInFlight: try p["max_in_flight"].count(in: 1...LoadPlan.maxVirtualUsers))
            let arrivals = try p["arrivals"].string()
            guard ["uniform", "poisson"].contains(arrivals) else {
                throw LoadDecodingError(field: p["arrivals"].path, "is \"\(arrivals)\", not uniform or poisson")
            }
            poisson = arrivals == "poisson"
        case "closed":
            model = .closed(
                vus: try p["vus"].count(in: 0...LoadPlan.maxVirtualUsers), iterations: try p["iterations"].optional()?.count(),
                duration: try p["duration"].optional()?.duration(), pacing: try p["pacing"].optional()?.duration())
        case let other:
            throw LoadDecodingError(field: p["model"].path, "is \"\(other)\", not open or closed")
        }
        let stages = try p["stages"].array().map { (s: Field) throws(LoadDecodingError) in
            LoadPlan.Stage(duration: try s["duration"].duration(), target: try s["target"].number(in: 0...LoadPlan.maxRate))
        }
        var seed: UInt64?
        if let s = try p["seed"].optional() {
            let text = try s.string()
            guard let value = UInt64(text) else { throw LoadDecodingError(field: s.path, "\"\(text)\" is not a decimal UInt64") }
            seed = value
        }
        var plan = LoadPlan(
            model: model, stages: stages, thresholds: try p["thresholds"].strings(), seed: seed,
            abortOnFail: try p["abort_on_fail"].bool())
        plan.poissonArrivals = poisson
        return plan
    }

    static func decodeMetric(_ m: Field) throws(LoadDecodingError) -> (name: String, stats: MetricStats) {
        var stats = MetricStats()
        stats.errors = try m["errors"].count()
        stats.failures = try m["failures"].count()
        let h = m["histograms"]
        guard try h["unit"].string() == "us" else { throw LoadDecodingError(field: h["unit"].path, "must be \"us\"") }
        stats.service = try decodeHistogram(h["service"], min: h["serviceMin"], max: h["serviceMax"])
        stats.corrected = try decodeHistogram(h["corrected"], min: h["correctedMin"], max: h["correctedMax"])
        let count = try m["count"].count()
        guard stats.corrected.count == UInt64(count) else {
            throw LoadDecodingError(field: h["corrected"].path, "holds \(stats.corrected.count) values, but count is \(count)")
        }
        return (try m["name"].string(), stats)
    }

    static func decodeHistogram(_ field: Field, min: Field, max: Field) throws(LoadDecodingError) -> LatencyHistogram {
        var pairs: [[UInt64]] = []
        var total = 0
        for pair in try field.array() {
            let values = try pair.array()
            guard values.count == 2 else { throw LoadDecodingError(field: pair.path, "must be [microseconds, count]") }
            let micros = try values[0].count(in: 1...Int(LatencyHistogram.highest) * 2)
            let count = try values[1].count(in: 1...maxCount)
            total += count
            guard total <= maxCount else { throw LoadDecodingError(field: field.path, "holds more than 2^53 values") }
            pairs.append([UInt64(micros), UInt64(count)])
        }
        let exactMin = try min.count(in: 0...Int(LatencyHistogram.highest))
        let exactMax = try max.count(in: 0...Int(LatencyHistogram.highest))
        let histogram = LatencyHistogram(encoded: pairs, exactMinMicros: UInt64(exactMin), exactMaxMicros: UInt64(exactMax))
        guard histogram.exactMinMicros == UInt64(exactMin) else {
            throw LoadDecodingError(field: min.path, "\(exactMin) is not in the lowest bucket of \(field.path)")
        }
        guard histogram.exactMaxMicros == UInt64(exactMax) else {
            throw LoadDecodingError(field: max.path, "\(exactMax) is not in the highest bucket of \(field.path)")
        }
        return histogram
    }

    static func decodePoint(_ p: Field) throws(LoadDecodingError) -> TimelinePoint {
        var point = TimelinePoint(at: try p["second"].number(in: 0...1e10), width: try p["width"].number(in: 1e-3...1e10))
        point.sessionsStarted = try p["started"].count()
        point.sessionsFinished = try p["finished"].count()
        point.dropped = try p["dropped"].count()
        point.requests = try p["requests"].count()
        point.errors = try p["errors"].count()
        point.failures = try p["failures"].count()
        var buckets: [[Int]] = []
        var total = 0
        for pair in try p["latency"].array() {
            let values = try pair.array()
            guard values.count == 2 else { throw LoadDecodingError(field: pair.path, "must be [bucket, count]") }
            let range = CoarseHistogram.bucketRange
            buckets.append([
                try values[0].count(in: range.lowerBound...(range.upperBound - 1)), try values[1].count(in: 1...Int(UInt32.max))
            ])
            total += buckets[buckets.count - 1][1]
            guard total <= maxCount else { throw LoadDecodingError(field: p["latency"].path, "holds more than 2^53 values") }
        }
        point.latency = CoarseHistogram(encoded: buckets)
        return point
    }
}

/// A field of a JSON document with its path, read with range checks and errors naming the path.
struct Field {
    /// The value, nil when the key is missing.
    let value: JSONValue?
    /// `plan.stages[0].duration` style.
    let path: String

    init(_ value: JSONValue?, _ path: String) {
        self.value = value
        self.path = path
    }

    /// Member `key` of this object (missing or not an object: checked when it is read).
    subscript(key: String) -> Field {
        Field(value?[key], path.isEmpty ? key : "\(path).\(key)")
    }

    private func present() throws(LoadDecodingError) -> JSONValue {
        guard let value else { throw LoadDecodingError(field: path, "missing") }
        return value
    }

    private func wrongType(_ expected: String, _ got: JSONValue) -> LoadDecodingError {
        LoadDecodingError(field: path, "expected \(expected), got \(got.kindName)")
    }

    /// Nil when the value is JSON null; missing is still an error.
    func optional() throws(LoadDecodingError) -> Field? {
        if case .null = try present() { return nil }
        return self
    }

    func string() throws(LoadDecodingError) -> String {
        let v = try present()
        guard let s = v.stringValue else { throw wrongType("a string", v) }
        return s
    }

    func bool() throws(LoadDecodingError) -> Bool {
        let v = try present()
        guard let b = v.boolValue else { throw wrongType("true or false", v) }
        return b
    }

    func array() throws(LoadDecodingError) -> [Field] {
        let v = try present()
        guard let items = v.arrayValue else { throw wrongType("an array", v) }
        return items.enumerated().map { Field($0.element, "\(path)[\($0.offset)]") }
    }

    /// An array of strings.
    func strings() throws(LoadDecodingError) -> [String] {
        var out: [String] = []
        for item in try array() { out.append(try item.string()) }
        return out
    }

    /// A finite number within `range`.
    func number(in range: ClosedRange<Double>) throws(LoadDecodingError) -> Double {
        let v = try present()
        guard let n = v.numberValue else { throw wrongType("a number", v) }
        guard n.isFinite, range.contains(n) else { throw LoadDecodingError(field: path, "\(n) is out of range \(range)") }
        return n
    }

    /// A whole number within `range` (default 0...2^53), converted without trapping.
    func count(in range: ClosedRange<Int> = 0...LoadJSONReport.maxCount) throws(LoadDecodingError) -> Int {
        let n = try number(in: Double(range.lowerBound)...Double(range.upperBound))
        guard let whole = Int(exactly: n) else { throw LoadDecodingError(field: path, "\(n) is not a whole number") }
        return whole
    }

    /// Seconds (0 to 100 years) as a duration.
    func duration() throws(LoadDecodingError) -> Duration {
        .seconds(try number(in: 0...3_155_760_000))
    }
}
