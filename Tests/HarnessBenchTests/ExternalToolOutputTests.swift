import Foundation
import HarnessBench
import Testing

@Suite struct WrkOutputTests {
    /// `wrk -t2 -c64 -d10s URL`, as wrk 4.1 prints it.
    static let throughput = """
        Running 10s test @ http://127.0.0.1:41327/healthz
          2 threads and 64 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     3.21ms    1.02ms  30.11ms   85.12%
            Req/Sec    10.01k   812.33    11.20k    70.50%
          199245 requests in 10.01s, 20.14MB read
        Requests/sec:  19905.31
        Transfer/sec:      2.01MB

        """

    /// `wrk -t1 -c1 -d12s --latency URL` against a server that sleeps 20 ms.
    static let latency = """
        Running 12s test @ http://127.0.0.1:41329/healthz
          1 threads and 1 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency    20.17ms  112.40us  21.05ms   71.33%
            Req/Sec    49.52      1.21    50.00     94.17%
          Latency Distribution
             50%   20.15ms
             75%   20.24ms
             90%   20.33ms
             99%  812.00us
          595 requests in 12.01s, 61.02KB read
        Requests/sec:     49.54
        Transfer/sec:      5.08KB

        """

    @Test func readsTheRequestRate() {
        let output = WrkOutput(parsing: Self.throughput)
        #expect(output.requestsPerSecond == 19905.31)
        #expect(output.requests == 199245)
        #expect(output.latency.isEmpty) // no --latency: the Thread Stats rows are not a distribution
    }

    @Test func readsTheLatencyDistributionInEveryUnit() throws {
        let output = WrkOutput(parsing: Self.latency)
        #expect(output.requestsPerSecond == 49.54)
        #expect(Set(output.latency.keys) == [50, 75, 90, 99])
        #expect(abs(try #require(output.latency[50]) - 0.020_15) < 1e-12)
        #expect(abs(try #require(output.latency[99]) - 0.000_812) < 1e-12)
    }

    @Test(arguments: ["", "Requests/sec: fast", "Requests/sec: nan", "  50%  -3ms", "  99%  12parsecs", "Requests/sec:"])
    func hostileOutputYieldsNothing(_ text: String) {
        let output = WrkOutput(parsing: text)
        #expect(output.requestsPerSecond == nil)
        #expect(output.latency.isEmpty)
    }
}

@Suite struct LocustStatsTests {
    /// `PREFIX_stats.csv` as Locust 2.x writes it (Python's csv module: \r\n line ends).
    static let csv =
        [
            "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,"
                + "Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%",
            "GET,/healthz,7562,0,71,83.2,1,412,15.0,757.31,0.0,71,88,99,110,140,170,210,240,380,410,410",
            ",Aggregated,7562,0,71,83.2,1,412,15.0,757.31,0.0,71,88,99,110,140,170,210,240,380,410,410"
        ].joined(separator: "\r\n") + "\r\n"

    @Test func readsTheAggregatedRate() {
        #expect(LocustStats.aggregatedRequestsPerSecond(csv: Self.csv) == 757.31)
        #expect(LocustStats.aggregatedRequestCount(csv: Self.csv) == 7562)
    }

    @Test func aRequestNamedAggregatedIsNotTheTotal() {
        let csv = Self.csv.replacingOccurrences(
            of: "GET,/healthz,7562,0,71,83.2,1,412,15.0,757.31", with: "GET,Aggregated,1,0,71,83.2,1,412,15.0,1.5")
        #expect(LocustStats.aggregatedRequestsPerSecond(csv: csv) == 757.31)
    }

    @Test(arguments: [
        "",
        "Type,Name,Request Count\r\n,Aggregated,3\r\n", // no Requests/s column
        "Type,Name,Requests/s\r\nGET,/healthz,12.0\r\n", // no Aggregated row
        "Type,Name,Requests/s\r\n,Aggregated\r\n", // a short row
        "Type,Name,Requests/s\r\n,Aggregated,inf\r\n"
    ])
    func incompleteFilesYieldNothing(_ csv: String) {
        #expect(LocustStats.aggregatedRequestsPerSecond(csv: csv) == nil)
    }
}

@Suite struct ProcessCPUTests {
    /// A /proc/PID/stat line whose command name holds spaces and a parenthesis; utime 250, stime 50 ticks.
    static let stat =
        "4242 (sand bench) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 3 0 100 1000000 500 "
        + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

    @Test func addsUserAndSystemTicks() {
        #expect(ProcessCPU.seconds(stat: Self.stat, ticksPerSecond: 100) == 3.0)
    }

    @Test(arguments: ["", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 0 0 0 0 0 ten 50 0"])
    func truncatedOrGarbledStatYieldsNothing(_ stat: String) {
        #expect(ProcessCPU.seconds(stat: stat, ticksPerSecond: 100) == nil)
    }

    @Test func noClockTicksYieldsNothing() {
        #expect(ProcessCPU.seconds(stat: Self.stat, ticksPerSecond: 0) == nil)
    }
}
