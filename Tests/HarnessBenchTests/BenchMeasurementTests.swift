import Foundation
import HarnessBench
import HarnessCore
import Testing

@Suite struct BenchPercentileTests {
    @Test func percentilesComeFromTheHDRHistogram() {
        // 1 ms … 100 ms: nearest-rank p50 is 50 ms, p99 99 ms; the histogram holds 3 significant digits.
        let histogram = LatencyHistogram((1...100).reversed().map { Duration.milliseconds($0) })
        #expect(histogram.count == 100)
        #expect(abs(histogram.percentile(50) - 0.050) <= 0.050 * 1e-3)
        #expect(abs(histogram.percentile(99) - 0.099) <= 0.099 * 1e-3)
        #expect(abs(histogram.percentile(100) - 0.100) <= 0.100 * 1e-3)
    }

    @Test func subMicrosecondAndEmptySamples() {
        #expect(LatencyHistogram([Duration]()).percentile(99) == 0)
        let tiny = LatencyHistogram([.nanoseconds(200), .nanoseconds(300)])
        #expect(tiny.percentile(50) == 1e-6) // clamped to the histogram's 1 µs floor, never 0 or negative
    }
}

@Suite struct ProcessScanTests {
    @Test func statFieldsSkipACommandNameWithSpacesAndParentheses() throws {
        let stat = "4242 (python3 (worker) x) S 4241 4242 4200 0 -1 4194560 1000 0 0 0 3 1 0 0 20 0 1 0 123456 10000000 2000"
        let fields = try #require(ProcessScan.statFields(stat))
        #expect(fields.first == "S")
        #expect(fields[1] == "4241")
        #expect(ProcessScan.statFields("4242 no parenthesis") == nil)
    }

    @Test func residentBytesFromAStatusText() {
        let status = "Name:\tsandbench\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  812345 kB\nVmRSS:\t   41234 kB\nThreads:\t9\n"
        #expect(ProcessScan.residentBytes(status: status) == 41234 * 1024)
        #expect(ProcessScan.residentBytes(status: "VmRSS:\t99999999999999999999 kB\n") == nil)
        #expect(ProcessScan.residentBytes(status: "Name:\tx\n") == nil)
    }

    @Test func findsAChildProcessAndSeesItExit() throws {
        #expect(ProcessScan.residentBytes(of: "self") > 1_000_000)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        // SIGKILL: the test process may run with SIGTERM blocked, and a child inherits the mask.
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let pid = child.processIdentifier
        #expect(ProcessScan.descendants(of: getpid()).contains(pid))
        #expect(ProcessScan.isAlive(pid))
        #expect(ProcessScan.residentBytes(ofDescendantsOf: getpid()).processes >= 1)
        // PSS splits shared pages between processes: never more than RSS, and above zero for a live child.
        let memory = ProcessScan.memory(ofDescendantsOf: getpid())
        #expect(memory.processes >= 1 && memory.pss > 0 && memory.pss <= memory.rss, "\(memory)")
        kill(pid, SIGKILL)
        child.waitUntilExit()
        #expect(!ProcessScan.isAlive(pid))
        #expect(!ProcessScan.descendants(of: getpid()).contains(pid))
    }

    @Test func readsKilobyteFieldsOfSmapsRollup() {
        let rollup = "00400000-7ffd0000 ---p 00000000 00:00 0    [rollup]\nRss:               12345 kB\nPss:                6789 kB\n"
        #expect(ProcessScan.kilobytes(rollup, field: "Rss:") == 12345)
        #expect(ProcessScan.kilobytes(rollup, field: "Pss:") == 6789)
        #expect(ProcessScan.kilobytes(rollup, field: "Swap:") == 0)
        #expect(ProcessScan.kilobytes("Pss: 99999999999999999999 kB\n", field: "Pss:") == 0)
    }
}
