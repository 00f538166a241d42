internal import Glibc

/// Durations and instants as report text, in fixed-point with `.` as the decimal separator.
///
/// Everything is integer arithmetic: no locale, no grouping, no exponent, so `1234.56789 s`
/// is always `1234.568` and never `1,234.568` or `1.234568e3` (CI parsers choke on both).
enum ReportTime {
    /// `d` rounded to whole `1/unitsPerSecond` units; negative durations count as zero.
    static func units(_ d: Duration, perSecond unitsPerSecond: Int64) -> Int64 {
        guard d > .zero else { return 0 }
        let (seconds, attoseconds) = d.components
        let attoPerUnit = 1_000_000_000_000_000_000 / unitsPerSecond
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        if overflow { return .max }
        return whole + (attoseconds + attoPerUnit / 2) / attoPerUnit
    }

    /// `count / 10^decimals` as fixed-point text, e.g. `fixed(1234568, 3)` is `1234.568`.
    static func fixed(_ count: Int64, decimals: Int) -> String {
        guard decimals > 0 else { return String(count) }
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let fraction = String(count % scale)
        return "\(count / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// Seconds with exactly three decimals (JUnit `time`, SUREFIRE_TIME), e.g. `0.000`, `1234.568`.
    static func seconds(_ d: Duration) -> String { fixed(units(d, perSecond: 1000), decimals: 3) }

    /// Seconds with two decimals for the console summary, e.g. `1.23`.
    static func shortSeconds(_ d: Duration) -> String { fixed(units(d, perSecond: 100), decimals: 2) }

    /// Milliseconds with three decimals, e.g. `12.346` (microsecond resolution).
    static func millisecondsText(_ d: Duration) -> String { fixed(units(d, perSecond: 1_000_000), decimals: 3) }

    /// Whole milliseconds for the console, e.g. `123`.
    static func wholeMilliseconds(_ d: Duration) -> Int64 { units(d, perSecond: 1000) }

    /// Milliseconds as a number rounded to microseconds, for JSON.
    static func milliseconds(_ d: Duration) -> Double { Double(units(d, perSecond: 1_000_000)) / 1000 }

    /// An instant as ISO 8601 in UTC *without* a zone designator (`2026-11-27T06:06:13`), as Ant's JUnit schema wants.
    static func isoTimestampWithoutZone(_ secondsSince1970: Double) -> String {
        var t = time_t(secondsSince1970.isFinite ? secondsSince1970.rounded(.down) : 0)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
    }

    /// This machine's host name, or nil when it cannot be read.
    static func currentHostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }
}
