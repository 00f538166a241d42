import Foundation

/// What wrk printed: its request rate and, with `--latency`, its latency distribution.
package struct WrkOutput: Sendable, Equatable {
    /// The `Requests/sec:` line.
    package var requestsPerSecond: Double?
    /// The `Latency Distribution` lines, percentile → seconds.
    package var latency: [Double: Double]

    /// Parses wrk's text output; lines it does not know are ignored.
    package init(parsing text: String) {
        requestsPerSecond = nil
        latency = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else { continue }
            if fields[0] == "Requests/sec:", let rate = Double(fields[1]), rate.isFinite {
                requestsPerSecond = rate
            } else if fields[0].hasSuffix("%"), let p = Double(fields[0].dropLast()), let value = Self.seconds(fields[1]) {
                latency[p] = value
            }
        }
    }

    /// A wrk duration (`812.00us`, `3.05ms`, `1.20s`, `2.00m`) in seconds.
    static func seconds(_ text: Substring) -> Double? {
        for (suffix, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number.isFinite, number >= 0 else { return nil }
            return number * scale
        }
        return nil
    }
}

/// Locust's `--csv` statistics file: the aggregated request rate.
package enum LocustStats {
    /// The `Requests/s` column of the total row of `PREFIX_stats.csv` (no type, name `Aggregated`), or nil when absent.
    package static func aggregatedRequestsPerSecond(csv: String) -> Double? {
        // Python's csv writes \r\n, one Character in Swift.
        let rows = csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let index = rows.first?.firstIndex(of: "Requests/s"),
              let total = rows.dropFirst().first(where: { $0.count > 1 && $0[0].isEmpty && $0[1] == "Aggregated" }),
              index < total.count, let rate = Double(total[index]), rate.isFinite else { return nil }
        return rate
    }
}

/// The external load generators the harness is compared with, run as child processes.
enum ExternalTools {
    /// wrk's Requests/sec, or nil when wrk is missing.
    static func wrk(url: String, connections: Int, seconds: Int) -> Double? {
        guard let out = run("/usr/bin/wrk", ["-t2", "-c\(connections)", "-d\(seconds)s", url]) else { return nil }
        return WrkOutput(parsing: out).requestsPerSecond
    }

    /// wrk's p50 and p99 latency over one connection, in seconds.
    static func wrkLatency(url: String, seconds: Int) -> (p50: Double, p99: Double)? {
        guard let out = run("/usr/bin/wrk", ["-t1", "-c1", "-d\(seconds)s", "--latency", url]) else { return nil }
        let latency = WrkOutput(parsing: out).latency
        guard let p50 = latency[50], let p99 = latency[99] else { return nil }
        return (p50, p99)
    }

    /// Locust's aggregated requests/s (headless, one process), or nil when Locust is missing.
    static func locust(base: String, users: Int, seconds: Int) -> Double? {
        let dir = NSTemporaryDirectory() + "sandbench-locust-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/locustfile.py"
        let source = """
            from locust import HttpUser, task
            class Health(HttpUser):
                @task
                def healthz(self):
                    self.client.get("/healthz")

            """
        try? source.write(toFile: file, atomically: true, encoding: .utf8)
        // Locust exits non-zero for reasons unrelated to throughput (e.g. a slow shutdown); the CSV is what counts.
        _ = run("/usr/bin/env", ["python3", "-m", "locust", "-f", file, "--headless", "-u", "\(users)", "-r", "\(users)", "-t", "\(seconds)s",
                                 "--host", base, "--csv", dir + "/out", "--only-summary"], requireSuccess: false)
        guard let csv = try? String(contentsOfFile: dir + "/out_stats.csv", encoding: .utf8) else { return nil }
        return LocustStats.aggregatedRequestsPerSecond(csv: csv)
    }

    static func run(_ tool: String, _ arguments: [String], requireSuccess: Bool = true) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 || !requireSuccess ? String(decoding: data, as: UTF8.self) : nil
    }
}
