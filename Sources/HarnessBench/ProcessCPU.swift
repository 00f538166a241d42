import Foundation

/// CPU time used by processes, for the CPU-per-request figures (Linux only).
package enum ProcessCPU {
    /// User + system CPU seconds of this whole process (every thread), from `/proc/self/stat`;
    /// nil when it cannot be read.
    static func ofSelf() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8) else { return nil }
        return seconds(stat: stat, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// utime + stime (fields 14 and 15, in clock ticks) of a /proc/PID/stat text, in seconds.
    package static func seconds(stat: String, ticksPerSecond: Double) -> Double? {
        // The fields after the command name start at field 3 (state), so utime is the 12th of them.
        guard ticksPerSecond > 0, let fields = ProcessScan.statFields(stat), fields.count > 12,
            let user = Double(fields[11]), let system = Double(fields[12])
        else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// User + system CPU seconds of every child this process has waited for (`RUSAGE_CHILDREN`):
    /// read before and after running a baseline tool to get that tool's CPU time.
    static func ofWaitedChildren() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
