import Foundation
import SandboxAPI
import Testing

/// `sandbench load --shard i/n` as n processes against one emulator, then `sandbench merge`: the
/// merged result counts what one process running the whole plan counts.
@Suite(.serialized) struct ShardCommandTests {
    /// Two cheap requests per session: no sandbox is created, so a run takes about a second.
    static let scenario = """
        scenarios:
          - name: shard check
            steps:
              - name: health
                request: {method: GET, path: /healthz}
              - name: engine
                request: {method: GET, path: "${engine}"}
        """

    /// A child `sandbench emulator` on a free loopback port, stopped when `body` returns.
    static func withChildEmulator<T>(_ body: (String) async throws -> T) async throws -> T {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["emulator", "--port", "0", "--warm-python", "0", "--warm-javascript", "0", "--isolation", "none"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let line = String(decoding: await CLI.readLine(out), as: UTF8.self)
        let prefix = "listening on "
        try #require(line.hasPrefix(prefix), "the emulator printed \(line)")
        return try await body(String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Runs `load` once per argument list, all at once, each with its own `--json`; returns the outputs and JSON paths.
    static func loads(_ runs: [[String]], dir: String, name: String) async throws -> [(CLI.Output, String)] {
        try await withThrowingTaskGroup(of: (Int, CLI.Output, String).self) { group in
            for (i, arguments) in runs.enumerated() {
                let json = "\(dir)/\(name)-\(i).json"
                group.addTask {
                    let out = try await CLI.run(
                        ["load", dir + "/shard.yaml"] + arguments + ["--json", json, "--html", "\(dir)/\(name)-\(i).html"], timeout: 120)
                    return (i, out, json)
                }
            }
            var results: [(Int, CLI.Output, String)] = []
            for try await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        }
    }

    static func document(_ path: String) throws -> JSONValue {
        try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Counters and per-metric counts and errors: what shards must add up to.
    static func counts(_ doc: JSONValue) -> [String: Double] {
        var out: [String: Double] = [:]
        for (key, value) in doc["counters"]?.objectValue ?? [:] { out["counters.\(key)"] = value.numberValue }
        for key in ["operations", "steps"] {
            for metric in doc[key]?.arrayValue ?? [] {
                let name = metric["name"]?.stringValue ?? "?"
                for field in ["count", "errors", "failures"] { out["\(key).\(name).\(field)"] = metric[field]?.numberValue }
            }
        }
        out["session.count"] = doc["session"]?["count"]?.numberValue
        return out
    }

    /// A histogram's `[value, count]` pairs as value → count.
    static func buckets(_ doc: JSONValue, _ metric: String) -> [Double: Double] {
        let m = metric == "session" ? doc["session"] : doc["steps"]?.arrayValue?.first { $0["name"]?.stringValue == metric }
        var out: [Double: Double] = [:]
        for pair in m?["histograms"]?["corrected"]?.arrayValue ?? [] {
            guard let v = pair.arrayValue?.first?.numberValue, let c = pair.arrayValue?.last?.numberValue else { continue }
            out[v, default: 0] += c
        }
        return out
    }

    @Test(.timeLimit(.minutes(3))) func shardsOnLoopbackAddUpToTheSingleMachineRun() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.scenario.write(toFile: dir + "/shard.yaml", atomically: true, encoding: .utf8)
        try await Self.withChildEmulator { url in
            let plans: [(name: String, plan: [String], sessions: Double, mergedExit: Int32)] = [
                // 5 VUs × 4 iterations: shards of 3 run VUs {0,3}, {1,4}, {2}. Each shard alone has fewer
                // than 20 sessions and breaches the threshold; merged, the plan meets it.
                ("closed", ["--vus", "5", "--iterations", "4", "--threshold", "session.count >= 20"], 20, 0),
                // 40 arrivals in 1 s, uniform: shards of 3 take arrivals 0, 3, 6, … / 1, 4, … / 2, 5, ….
                // The merged count is not above 40, as for the single run: merge exits 1 like load.
                ("open", ["--rate", "40", "--duration", "1s", "--threshold", "session.count > 40"], 40, 1)
            ]
            for p in plans {
                let base = p.plan + ["--target", url]
                let runs = try await Self.loads([base] + (0..<3).map { base + ["--shard", "\($0)/3"] }, dir: dir, name: p.name)
                let (single, singleJSON) = runs[0]
                #expect(single.status == p.mergedExit, "\(p.name) single run: \(single.stdout)\(single.stderr)")
                for (out, _) in runs.dropFirst() {
                    #expect([0, 1].contains(out.status), "\(p.name) shard: \(out.stdout)\(out.stderr)")
                    #expect(out.stdout.contains("of the plan"), "the shard says which slice it ran")
                }
                let shardJSONs = runs.dropFirst().map(\.1)
                let merged = dir + "/\(p.name)-merged.json"
                let out = try await CLI.run(
                    ["merge"] + shardJSONs.reversed()
                        + ["--json", merged, "--junit", dir + "/\(p.name).xml", "--html", dir + "/\(p.name)-merged.html"])
                #expect(out.status == p.mergedExit, "\(p.name) merge: \(out.stdout)\(out.stderr)")
                let (status, messages) = try CLI.validateJUnit(dir + "/\(p.name).xml")
                #expect(status == 0, "xmllint: \(messages)")
                #expect(try String(contentsOfFile: dir + "/\(p.name)-merged.html", encoding: .utf8).contains("latency-over-time"))

                let whole = try Self.document(singleJSON)
                let sum = try Self.document(merged)
                #expect(Self.counts(whole)["session.count"] == p.sessions)
                #expect(Self.counts(sum) == Self.counts(whole), "\(p.name): merged counts against the single run's")
                #expect(sum["shard"] == .null)
                let shardDocs = try shardJSONs.map(Self.document)
                for (i, doc) in shardDocs.enumerated() { #expect(doc["shard"] == ["index": .number(Double(i)), "count": 3]) }
                // Lossless: every bucket of the merged histograms is the sum of the shards' buckets.
                for metric in ["session", "health", "engine"] {
                    let added = shardDocs.map { Self.buckets($0, metric) }.reduce(into: [Double: Double]()) { total, b in
                        total.merge(b, uniquingKeysWith: +)
                    }
                    #expect(Self.buckets(sum, metric) == added, "\(p.name) \(metric)")
                    #expect(added.values.reduce(0, +) == p.sessions)
                }
                let timeline = sum["timeline"]?.arrayValue ?? []
                #expect(timeline.compactMap { $0["started"]?.numberValue }.reduce(0, +) == p.sessions, "timelines aligned and added")
            }
        }
    }

    @Test(.timeLimit(.minutes(3))) func shardsGivenAStartTimeStartThenNotBefore() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.scenario.write(toFile: dir + "/shard.yaml", atomically: true, encoding: .utf8)
        try await Self.withChildEmulator { url in
            // Ahead of when both processes are up and their engines made, on a quiet machine; on a
            // busy one a shard may come up late, which it says, and then starts at once.
            let startAt = (Date().timeIntervalSince1970 + 5).rounded()
            let base = ["--vus", "2", "--iterations", "1", "--target", url, "--start-at", String(format: "%.0f", startAt)]
            let runs = try await Self.loads([base + ["--shard", "0/2"], base + ["--shard", "1/2"]], dir: dir, name: "t")
            for (out, json) in runs {
                #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
                #expect(out.stderr.contains("for --start-at") || out.stderr.contains("--start-at was"), "\(out.stderr)")
                let stamp = try #require(try Self.document(json)["startedAt"]?.stringValue)
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                let started = try #require(formatter.date(from: stamp)).timeIntervalSince1970
                #expect(started >= startAt, "started at \(stamp), asked for \(startAt)")
            }
        }
        let tooFar = String(format: "%.0f", Date().timeIntervalSince1970 + 200_000)
        for bad in ["tomorrow", "2026-13-01T00:00:00Z", tooFar, "-5"] {
            let out = try await CLI.run(["load", dir + "/shard.yaml", "--start-at", bad])
            #expect(out.status == 2, "\(bad): \(out.stderr)")
            #expect(out.stderr.contains("--start-at"), "\(bad): \(out.stderr)")
        }
    }

    @Test(.timeLimit(.minutes(3))) func mergeRefusesWhatIsNotOneRunsShards() async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.scenario.write(toFile: dir + "/shard.yaml", atomically: true, encoding: .utf8)
        let runs = try await Self.withChildEmulator { url in
            let base = ["--vus", "2", "--iterations", "1", "--target", url]
            return try await Self.loads(
                [
                    base + ["--shard", "0/2"], base + ["--shard", "1/2"],
                    ["--vus", "3", "--iterations", "1", "--target", url, "--shard", "1/2"]
                ],
                dir: dir, name: "r")
        }
        for (out, _) in runs { #expect(out.status == 0, "\(out.stdout)\(out.stderr)") }
        let (s0, s1, otherPlan) = (runs[0].1, runs[1].1, runs[2].1)
        let broken = dir + "/broken.json"
        var doc = try Self.document(s1)
        if case .object(var object) = doc, case .object(var counters) = object["counters"] {
            counters["steps"] = -3
            object["counters"] = .object(counters)
            doc = .object(object)
        }
        try Data(doc.serialized()).write(to: URL(fileURLWithPath: broken))
        let cases: [(files: [String], says: String)] = [
            ([s0], "shard 1/2 missing"),
            ([s0, s1, s1], "\(s1): is shard 1/2 again"),
            ([s0, otherPlan], "\(otherPlan): ran another plan"),
            ([s0, broken], "\(broken): counters.steps: -3.0 is out of range"),
            ([s0, dir + "/absent.json"], "\(dir)/absent.json: cannot be read"),
            ([s0, dir + "/shard.yaml"], "\(dir)/shard.yaml: not JSON")
        ]
        for c in cases {
            let out = try await CLI.run(["merge"] + c.files + ["--html", dir + "/m.html"])
            #expect(out.status == 2, "\(c.files): \(out.stdout)\(out.stderr)")
            #expect(out.stderr.contains(c.says), "\(out.stderr)")
        }
        let ok = try await CLI.run(["merge", s1, s0, "--html", dir + "/m.html"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        // Thresholds of merge's own are judged on the merged result (2 sessions) and kept in its plan.
        let met = try await CLI.run(["merge", s0, s1, "--threshold", "session.count >= 2", "--html", dir + "/m.html"])
        #expect(met.status == 0, "\(met.stdout)\(met.stderr)")
        let mergedJSON = dir + "/t.json"
        let breached = try await CLI.run(
            ["merge", s0, s1, "--threshold", "session.count > 2", "--json", mergedJSON, "--html", dir + "/m.html"])
        #expect(breached.status == 1, "\(breached.stdout)\(breached.stderr)")
        #expect(try String(contentsOfFile: mergedJSON, encoding: .utf8).contains("session.count > 2"))
        let bad = try await CLI.run(["merge", s0, s1, "--threshold", "session.count about 2"])
        #expect(bad.status == 2 && bad.stderr.contains("--threshold"), "\(bad.stderr)")
    }
}

extension CLI {
    /// The bytes `pipe` delivers up to and including the first newline (or end of file), read on a
    /// Dispatch thread so no thread of the cooperative pool blocks.
    static func readLine(_ pipe: Pipe) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var line: [UInt8] = []
                while line.last != UInt8(ascii: "\n") {
                    let chunk = pipe.fileHandleForReading.readData(ofLength: 1)
                    if chunk.isEmpty { break }
                    line += chunk
                }
                continuation.resume(returning: line)
            }
        }
    }
}
