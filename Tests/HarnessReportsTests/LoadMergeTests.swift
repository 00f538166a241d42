import Foundation
import HarnessCore
import HarnessReports
import SandboxAPI
import Testing

/// `sandbench merge` without processes: shard results written as JSON, read back and merged.
@Suite struct LoadMergeTests {
    static let closedPlan = LoadPlan(
        model: .closed(vus: 6, iterations: 3, duration: nil, pacing: .milliseconds(250)), stages: [.init(duration: .seconds(2), target: 6)],
        thresholds: ["work.p99 < 900ms", "errors.rate < 1%", "session.p50 > 0ms"], seed: 9)

    @Test func decodeReadsBackExactlyWhatRenderWrote() throws {
        for result in [LoadSampleRuns.result(aborted: "interrupted", leaks: ["x"]), LoadSampleRuns.empty(), shards(3)[1]] {
            let bytes = LoadJSONReport.render(result)
            let decoded = try LoadJSONReport.decode(bytes)
            let again = String(decoding: LoadJSONReport.render(decoded), as: UTF8.self)
            let first = String(decoding: bytes, as: UTF8.self)
            #expect(again == first, "not byte for byte: \(Self.firstDifference(again, first))")
            #expect(decoded.plan == result.plan)
            #expect(decoded.shard == result.shard)
        }
    }

    /// Latencies in µs, log-uniform from 50 µs to 2 s, from a fixed seed.
    static let samples: [Int] = {
        var random = SplitMix64(seed: 2026)
        return (0..<6_000).map { _ in Int(50 * exp(random.nextDouble() * log(40_000.0))) }
    }()

    /// Sample k is one session of one step, `work`, ending 5 s + k ms after the run's start (to 11 s).
    /// The whole run on one recorder, or shard `i/n` with the samples k ≡ i (mod n) on a recorder
    /// that started `offset(i)` seconds late, as a pod started later would.
    static func run(_ shard: LoadShard?, offset: (Int) -> Double = { _ in 0 }) -> LoadResult {
        let start = ContinuousClock.now
        let recorder = LoadRecorder(start: start)
        let late = Duration.seconds(offset(shard?.index ?? 0))
        for (k, micros) in samples.enumerated() where (shard ?? .whole).owns(k) {
            let at = start + .microseconds(5_000_000 + k * 1000) - late
            recorder.sessionStarted(at: at)
            let outcome: Outcome = k % 500 == 7 ? .error : .passed
            recorder.record(
                step: StepResult(name: "work", operation: "request", outcome: outcome, duration: .microseconds(micros)), lag: .zero,
                endedAt: at)
            recorder.sessionFinished(outcome: outcome, service: .microseconds(micros), corrected: .microseconds(micros), at: at)
        }
        var result = LoadResult(
            scenario: "shards", file: "s.yaml", target: "http://127.0.0.1:1", plan: closedPlan,
            startedAt: 1_795_000_000 + offset(shard?.index ?? 0), seconds: 12 - offset(shard?.index ?? 0), recorder: recorder,
            aborted: nil, leaks: [])
        result.shard = shard
        return result
    }

    func shards(_ n: Int, offset: @escaping (Int) -> Double = { _ in 0 }) -> [LoadResult] {
        (0..<n).map { Self.run(LoadShard(index: $0, count: n), offset: offset) }
    }

    /// Each shard through its JSON, as `sandbench merge` reads them.
    func viaJSON(_ results: [LoadResult]) throws -> [LoadResult] {
        try results.map { try LoadJSONReport.decode(LoadJSONReport.render($0)) }
    }

    @Test(arguments: [1, 3, 7])
    func mergedShardsEqualTheSingleMachineRun(_ n: Int) throws {
        let whole = Self.run(nil)
        // Shards started whole seconds apart: aligned by wall-clock time, their slices meet exactly.
        let merged = try LoadResult(merging: viaJSON(shards(n, offset: { Double($0 % 3) })).reversed())
        let (a, b) = (
            String(decoding: LoadJSONReport.render(merged), as: UTF8.self), String(decoding: LoadJSONReport.render(whole), as: UTF8.self)
        )
        #expect(a == b, "the merged document is not the single run's: \(Self.firstDifference(a, b))")
        #expect(merged.counters.sessionsStarted == Self.samples.count)
        #expect(merged.counters.stepErrors == whole.counters.stepErrors && whole.counters.stepErrors > 0)
        #expect(merged.shard == nil)
    }

    @Test func mergedPercentilesAreTheSamplesPercentilesWithinTheHistogramsPrecision() throws {
        let merged = try LoadResult(merging: viaJSON(shards(4)))
        let sorted = Self.samples.sorted()
        let histogram = try #require(merged.steps.first { $0.name == "work" }).stats.corrected
        #expect(histogram.count == UInt64(sorted.count))
        for p in [1.0, 50, 90, 99, 99.9, 100] {
            // Nearest rank, as the HDR histogram computes it (one ulp below p, against rounding up too far).
            let rank = max(1, Int((p.nextDown * Double(sorted.count) / 100).rounded(.up)))
            let exact = Double(sorted[rank - 1]) / 1e6
            let measured = histogram.percentile(p)
            // 3 significant digits: a bucket spans at most 1/1024 of its values.
            #expect(abs(measured - exact) <= exact / 1024 + 1e-6, "p\(p): \(measured) s against the samples' \(exact) s (rank \(rank))")
        }
        #expect(histogram.min == Double(sorted[0]) / 1e6, "the minimum is exact")
        #expect(histogram.percentile(100) == Double(sorted[sorted.count - 1]) / 1e6, "the maximum recorded is exact")
    }

    @Test func timelinesAlignByWallClockTime() throws {
        let whole = Self.run(nil)
        // Shard 1 started 0.4 s after shard 0: each of its points lands in the slice holding its middle.
        let merged = try LoadResult(merging: viaJSON(shards(2, offset: { $0 == 1 ? 0.4 : 0 })))
        #expect(merged.startedAt == 1_795_000_000)
        #expect(merged.timeline.count == whole.timeline.count)
        #expect(merged.timeline.map(\.requests).reduce(0, +) == Self.samples.count)
        for (a, b) in zip(merged.timeline, whole.timeline) {
            #expect(a.second == b.second && a.width == b.width)
            // Shard 1's points straddle the merged slices by 0.4 s: at most 0.4 of its 500 requests a second move.
            #expect(abs(a.requests - b.requests) <= 200, "second \(a.second): \(a.requests) against \(b.requests)")
        }
        #expect(merged.timeline[5].requests == 1000 && merged.timeline[4].requests == 200, "slices meet where both shards ran")
    }

    @Test func aCompactedTimelineSetsTheMergedSliceWidth() throws {
        // Shard 0 ran long enough for its recorder to merge neighbours into 2 s points; shard 1 did not.
        func point(_ second: Double, _ width: Double, requests: Int) -> TimelinePoint {
            var p = TimelinePoint(at: second, width: width)
            p.requests = requests
            p.latency.record(0.001)
            return p
        }
        var parts = shards(2)
        parts[0].timeline = [point(0, 2, requests: 10), point(2, 2, requests: 20), point(4, 2, requests: 30)]
        parts[1].timeline = (0..<6).map { point(Double($0), 1, requests: $0 + 1) }
        let merged = try LoadResult(merging: viaJSON(parts)).timeline
        #expect(merged.map(\.width) == [2, 2, 2])
        #expect(merged.map(\.second) == [0, 2, 4])
        #expect(merged.map(\.requests) == [10 + 1 + 2, 20 + 3 + 4, 30 + 5 + 6])
        #expect(merged.map(\.latency.count) == [3, 3, 3])
    }

    @Test func thresholdsAreJudgedOnTheMergedResult() throws {
        // Each shard alone has fewer than 1 % errors in some and more in none; merged, the rate is the whole run's.
        let merged = try LoadResult(merging: viaJSON(shards(3)))
        let whole = Self.run(nil)
        #expect(merged.thresholds.map(\.actual) == whole.thresholds.map(\.actual))
        #expect(merged.thresholds.map(\.passed) == whole.thresholds.map(\.passed))
        #expect(merged.passed == whole.passed)
    }

    @Test func refusesResultsThatAreNotOneRunsShards() throws {
        func refusal(_ parts: [LoadResult]) -> LoadMergeError? {
            do {
                _ = try LoadResult(merging: parts)
                return nil
            } catch { return error }
        }
        let three = shards(3)
        #expect(refusal([])?.code == .empty)
        #expect(refusal([three[0], three[2]]).map { ($0.code, $0.part) } ?? (.empty, -1) == (.missingShard, nil))
        #expect(refusal([three[0], three[1], three[1], three[2]]).map { ($0.code, $0.part) } ?? (.empty, -1) == (.duplicateShard, 2))
        var other = three[1]
        other.scenario = "another"
        #expect(refusal([three[0], other, three[2]]).map { ($0.code, $0.part) } ?? (.empty, -1) == (.differentScenario, 1))
        other = three[2]
        other.plan.thresholds.append("execute.p50 < 1s")
        #expect(refusal([three[0], three[1], other]).map { ($0.code, $0.part) } ?? (.empty, -1) == (.differentPlan, 2))
        #expect(refusal([three[0], shards(2)[1], three[2]]).map { ($0.code, $0.part) } ?? (.empty, -1) == (.differentShardCount, 1))
        #expect(refusal([three[0], three[1], three[2]]) == nil)
        // Each count as large as a JSON file may hold: their sum passes 2^53 and is refused, not wrapped.
        var (big0, big1) = (three[0], three[1])
        big0.counters.steps = 1 << 53
        big1.counters.steps = 1 << 53
        #expect(refusal([big0, big1, three[2]]).map { ($0.code, $0.part) } ?? (.empty, -1) == (.overflow, 1))
    }

    /// One field of a rendered shard replaced (or removed, with nil): what the decoder must say.
    static let hostile: [(path: [String], value: JSONValue?, field: String, says: String)] = [
        (["format"], "sandbench-run/1", "format", "not a `sandbench load --json` result"),
        (["counters", "steps"], nil, "counters.steps", "missing"),
        (["counters", "steps"], -1, "counters.steps", "out of range"),
        (["counters", "steps"], 1e300, "counters.steps", "out of range"),
        (["counters", "steps"], 2.5, "counters.steps", "not a whole number"),
        (["counters", "steps"], "12", "counters.steps", "expected a number, got string"),
        (["shard"], ["index": 3, "count": 3], "shard", "3/3 is not a shard"),
        (["shard", "count"], 0, "shard", "is not a shard"),
        (["startedAt"], "yesterday", "startedAt", "not an RFC 3339 timestamp"),
        (["seconds"], -0.5, "seconds", "out of range"),
        (["plan", "model"], "ramping", "plan.model", "not open or closed"),
        (["plan", "vus"], 1e12, "plan.vus", "out of range"),
        (["plan", "duration"], 1e300, "plan.duration", "out of range"),
        (["plan", "seed"], "-4", "plan.seed", "not a decimal UInt64"),
        (["session", "count"], 17, "session.histograms.corrected", "but count is 17"),
        (["session", "histograms", "serviceMin"], 1, "session.histograms.serviceMin", "not in the lowest bucket"),
        (["session", "histograms", "correctedMax"], 1, "session.histograms.correctedMax", "not in the highest bucket"),
        (["session", "histograms", "unit"], "ms", "session.histograms.unit", "must be \"us\""),
        (["session", "histograms", "service"], [[10, 1, 3]], "session.histograms.service[0]", "[microseconds, count]"),
        (
            ["session", "histograms", "service"], [[10, 9_007_199_254_740_992], [20, 9_007_199_254_740_992]],
            "session.histograms.service", "more than 2^53"
        ),
        (["session", "histograms", "corrected"], [[10, 1e19]], "session.histograms.corrected[0][1]", "out of range"),
        (["timeline"], [["second": 0, "width": 1]], "timeline[0].started", "missing"),
        (["aborted"], 3, "aborted", "expected a string")
    ]

    /// Shard 0/2's JSON, parsed once for all the hostile cases.
    static let shardDocument = Result { try JSONValue.parse(LoadJSONReport.render(run(LoadShard(index: 0, count: 2)))) }

    @Test(arguments: 0..<hostile.count)
    func malformedFieldsAreNamed(_ i: Int) throws {
        let (path, value, field, says) = Self.hostile[i]
        let document = Self.replacing(try Self.shardDocument.get(), at: path[...], with: value)
        #expect {
            _ = try LoadJSONReport.decode(document.serialized())
        } throws: { error in
            let e = try #require(error as? LoadDecodingError)
            #expect(e.field == field && e.message.contains(says), "got \(e)")
            return true
        }
    }

    @Test func refusesWhatIsNotJSON() {
        #expect(throws: LoadDecodingError.self) { try LoadJSONReport.decode(Array("{\"format\": ".utf8)) }
        #expect(throws: LoadDecodingError.self) { try LoadJSONReport.decode(Array("[1, 2]".utf8)) }
    }

    /// Where two documents part, with some context, instead of both in full.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        let i = (0..<min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count)
        func around(_ z: [UInt8]) -> String { String(decoding: z[max(0, i - 80)..<min(z.count, i + 80)], as: UTF8.self) }
        return "at byte \(i): \(around(x)) ≠ \(around(y))"
    }

    static func replacing(_ value: JSONValue, at path: ArraySlice<String>, with new: JSONValue?) -> JSONValue {
        guard let key = path.first, case .object(var object) = value else { return new ?? .null }
        if path.count == 1 {
            object[key] = new
        } else {
            object[key] = replacing(object[key] ?? .null, at: path.dropFirst(), with: new)
        }
        return .object(object)
    }
}
