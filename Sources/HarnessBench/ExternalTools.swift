import Foundation

/// What wrk printed: its request rate and, with `--latency`, its latency distribution.
package struct WrkOutput: Sendable, Equatable {
    /// The `Requests/sec:` line.
    package var requestsPerSecond: Double?
    /// The `Latency Distribution` lines, percentile → seconds.
    package var latency: [Double: Double]
    /// The `N requests in 10.00s, …` line.
    package var requests: Int?

    /// Parses wrk's text output; lines it does not know are ignored.
    package init(parsing text: String) {
        requestsPerSecond = nil
        latency = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count > 2, fields[1] == "requests", fields[2] == "in", let count = Int(fields[0]), count >= 0 {
                requests = count
            }
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
        aggregated("Requests/s", csv: csv)
    }

    /// The `Request Count` column of the total row, or nil when absent.
    package static func aggregatedRequestCount(csv: String) -> Int? {
        aggregated("Request Count", csv: csv).flatMap { Int(exactly: $0) }
    }

    private static func aggregated(_ column: Substring, csv: String) -> Double? {
        // Python's csv writes \r\n, one Character in Swift.
        let rows = csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let index = rows.first?.firstIndex(of: column),
            let total = rows.dropFirst().first(where: { $0.count > 1 && $0[0].isEmpty && $0[1] == "Aggregated" }),
            index < total.count, let value = Double(total[index]), value.isFinite, value >= 0
        else { return nil }
        return value
    }
}

/// What a load generator did against one server: its rate, and its CPU per request when measured.
struct ToolFigure {
    var rate: Double
    /// Microseconds of user + system CPU per request.
    var cpuPerRequest: Double?

    /// `12.3 µs CPU/req`, or `CPU n/a`.
    var cpuText: String { cpuPerRequest.map { String(format: "%.1f µs CPU/req", $0) } ?? "CPU n/a" }

    static func perRequest(cpuSeconds: Double, requests: Int?) -> Double? {
        guard let requests, requests > 0 else { return nil }
        return cpuSeconds / Double(requests) * 1e6
    }
}

/// The external load generators the harness is compared with, run as child processes.
enum ExternalTools {
    /// wrk's rate with one thread (`-t1`) and its CPU per request (user + system time, from
    /// `RUSAGE_CHILDREN`), or nil when wrk is missing.
    static func wrk(url: String, connections: Int, seconds: Int) -> ToolFigure? {
        let cpuBefore = ProcessCPU.ofWaitedChildren()
        guard let out = run("/usr/bin/wrk", ["-t1", "-c\(connections)", "-d\(seconds)s", url]) else { return nil }
        let cpu = ProcessCPU.ofWaitedChildren() - cpuBefore
        let parsed = WrkOutput(parsing: out)
        guard let rate = parsed.requestsPerSecond else { return nil }
        return ToolFigure(rate: rate, cpuPerRequest: ToolFigure.perRequest(cpuSeconds: cpu, requests: parsed.requests))
    }

    /// wrk's p50 and p99 latency over one connection, in seconds.
    static func wrkLatency(url: String, seconds: Int) -> (p50: Double, p99: Double)? {
        guard let out = run("/usr/bin/wrk", ["-t1", "-c1", "-d\(seconds)s", "--latency", url]) else { return nil }
        let latency = WrkOutput(parsing: out).latency
        guard let p50 = latency[50], let p99 = latency[99] else { return nil }
        return (p50, p99)
    }

    /// The bench's own Python environment for Locust: `$SANDBENCH_BENCH_VENV`, else
    /// `~/.cache/sandbench/bench-venv`.
    static var benchVenv: String {
        if let path = ProcessInfo.processInfo.environment["SANDBENCH_BENCH_VENV"], !path.isEmpty { return path }
        return NSHomeDirectory() + "/.cache/sandbench/bench-venv"
    }

    /// A Python that can import locust: the project's (`$SANDBENCH_VENV`, `.venv`), the bench
    /// environment, or the bench environment after `pip install locust`; nil when that fails.
    static func locustPython(log: (String) -> Void) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["SANDBENCH_VENV"], FileManager.default.currentDirectoryPath + "/.venv", benchVenv]
            .compactMap { $0 }.filter { !$0.isEmpty }.map { $0 + "/bin/python3" }
        for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
            if run(python, ["-c", "import locust"]) != nil { return python }
        }
        log("installing Locust into \(benchVenv) (python3 -m venv, then pip install locust)")
        let python = benchVenv + "/bin/python3"
        if !FileManager.default.isExecutableFile(atPath: python) {
            guard run("/usr/bin/env", ["python3", "-m", "venv", benchVenv]) != nil else { return nil }
        }
        guard run(python, ["-m", "pip", "install", "--quiet", "locust"]) != nil,
            run(python, ["-c", "import locust"]) != nil
        else { return nil }
        return python
    }

    /// Locust's aggregated rate and CPU per request: headless, one process, FastHttpUser with no
    /// wait between requests; nil when it did not run.
    static func locust(python: String, base: String, path: String, users: Int, seconds: Int) -> ToolFigure? {
        let dir = NSTemporaryDirectory() + "sandbench-locust-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/locustfile.py"
        let source = """
            from locust import FastHttpUser, constant, task
            class Health(FastHttpUser):
                wait_time = constant(0)
                @task
                def get(self):
                    self.client.get("\(path)")

            """
        guard (try? source.write(toFile: file, atomically: true, encoding: .utf8)) != nil else { return nil }
        let cpuBefore = ProcessCPU.ofWaitedChildren()
        // Locust exits non-zero for reasons unrelated to throughput (e.g. a slow shutdown); the CSV is what counts.
        _ = run(
            python,
            [
                "-m", "locust", "-f", file, "--headless", "-u", "\(users)", "-r", "\(users)", "-t", "\(seconds)s",
                "--host", base, "--csv", dir + "/out", "--only-summary"
            ], requireSuccess: false)
        let cpu = ProcessCPU.ofWaitedChildren() - cpuBefore
        guard let csv = try? String(contentsOfFile: dir + "/out_stats.csv", encoding: .utf8),
            let rate = LocustStats.aggregatedRequestsPerSecond(csv: csv)
        else { return nil }
        let requests = LocustStats.aggregatedRequestCount(csv: csv)
        return ToolFigure(rate: rate, cpuPerRequest: ToolFigure.perRequest(cpuSeconds: cpu, requests: requests))
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
