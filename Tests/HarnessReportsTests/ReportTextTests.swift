import Testing

@testable import HarnessReports

@Suite struct ReportTextTests {
    @Test(arguments: [
        ("\u{1B}[31mred\u{1B}[0m", "red"),
        ("a\u{1B}[38;5;196mb\u{1B}[?25lc", "abc"),
        ("title\u{1B}]0;window\u{07}done", "titledone"),
        ("link\u{1B}]8;;http://x\u{1B}\\text\u{1B}]8;;\u{1B}\\", "linktext"),
        ("keypad\u{1B}=on\u{1B}(Bascii", "keypadonascii"),
        ("c1\u{9B}1mcsi", "c1csi"),
        ("lone\u{1B}", "lone"),
        ("nul\u{0}vt\u{0B}ff\u{0C}del\u{7F}nel\u{85}", "nul\\u{00}vt\\u{0B}ff\\u{0C}del\\u{7F}nel\\u{85}"),
        ("tab\tlf\ncr\r", "tab\tlf\ncr\r"),
        ("bad\u{FFFE}\u{FFFF}ok\u{FFFD}", "badok\u{FFFD}"),
        ("]]> <&>\"' é 😀", "]]> <&>\"' é 😀")
    ])
    func sanitized(input: String, expected: String) {
        #expect(ReportText.sanitized(input) == expected)
    }

    @Test func cappedKeepsWholeCharactersAndAddsANote() {
        let text = String(repeating: "é😀", count: 50_000)
        let capped = ReportText.capped(text, maxBytes: 1000)
        #expect(capped.utf8.count <= 1000)
        #expect(capped.hasPrefix("é😀é😀"))
        #expect(capped.contains("[truncated: \(text.utf8.count) bytes, showing the first "))
        #expect(ReportText.capped("short", maxBytes: 1000) == "short")
    }

    @Test(arguments: [
        (Duration.seconds(1234.56789), "1234.568"),
        (.microseconds(100), "0.000"),
        (.microseconds(500), "0.001"),
        (.zero, "0.000"),
        (.seconds(-3), "0.000"),
        (.seconds(86_400 * 365), "31536000.000"),
        (.milliseconds(999.9999), "1.000")
    ])
    func secondsAreFixedPoint(duration: Duration, expected: String) {
        #expect(ReportTime.seconds(duration) == expected)
    }

    @Test func millisecondsAndTimestamps() {
        #expect(ReportTime.millisecondsText(.microseconds(1500)) == "1.500")
        #expect(ReportTime.milliseconds(.nanoseconds(1_234_567)) == 1.235)
        #expect(ReportTime.shortSeconds(.milliseconds(1234)) == "1.23")
        #expect(ReportTime.isoTimestampWithoutZone(0) == "1970-01-01T00:00:00")
        #expect(ReportTime.isoTimestampWithoutZone(1_795_000_000.9) == "2026-11-18T11:06:40")
    }
}
