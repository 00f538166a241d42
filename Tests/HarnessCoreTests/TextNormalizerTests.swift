import HarnessCore
import SandboxAPI
import Testing

/// Console output made comparable across runs and servers.
@Suite struct TextNormalizerTests {
    @Test(arguments: [
        ("\u{1B}[31mError\u{1B}[0m: boom", "Error: boom"),
        ("  File \"/tmp/tmpa1b2.py\", line 3, in <module>", "  File \"<file>\", line 3, in <module>"),
        ("  File \"<cell>\", line 3, in <module>", "  File \"<file>\", line 3, in <module>"),
        ("File /tmp/ipykernel_41/2154.py:3", "File <tmp>:3"),
        ("wrote /var/folders/x1/T/abc.csv, done", "wrote <tmp>, done"),
        ("<function f at 0x7f3a2c1b9d60>", "<function f at 0x<addr>>"),
        ("worker pid 4242 exited; PID=7; pid: 12", "worker pid <pid> exited; PID=<pid>; pid: <pid>"),
        ("at 2026-11-30T21:11:57.887667Z and 2026-11-30 21:11:57+01:00.", "at <timestamp> and <timestamp>."),
        ("hostname='sandbox-7f2c' host: a.b.c", "hostname='<host>' host: <host>")
    ])
    func volatilePartsBecomePlaceholders(_ pair: (String, String)) {
        #expect(TextNormalizer.normalize(pair.0) == pair.1)
    }

    @Test(arguments: [
        "Hello, world!\n",
        "js says 42\n",
        "0x12 is small, 2026-11-30 is a date alone, /home/user/tmp/x stays, rapid 12, the host is down, timestamps: none",
        "File \"unterminated\n, line 3",
        "",
        "\u{1B}",
        "ünïcödé /tmp"
    ])
    func ordinaryTextIsLeftAlone(_ text: String) {
        let expected = text == "\u{1B}" ? "" : text
        #expect(TextNormalizer.normalize(text) == expected)
    }

    @Test func twoRunsOfTheSameErrorCompareEqual() {
        let emulator =
            "Traceback (most recent call last):\n  File \"<cell>\", line 3, in <module>\nNameError: name 'lines' is not defined\n"
        let service =
            "Traceback (most recent call last):\n  File \"/tmp/ipykernel_88/1234.py\", line 3, in <module>\n"
            + "NameError: name 'lines' is not defined\n"
        let (ok, _) = TextMatch.normalized(emulator).check(service)
        #expect(ok)
        let (different, _) = TextMatch.normalized(emulator).check(service.replacingOccurrences(of: "line 3", with: "line 4"))
        #expect(!different)
        let mismatches = ExpectationChecker.mismatches(
            [.stderr(.normalized("a\n"))], StepObservation(stderr: "b\n"), variables: Variables())
        #expect(mismatches.first?.expected == "equal after normalisation to \"a\\n\"")
    }

    @Test func largeOutputIsNormalisedInOnePass() {
        let line = "pid 1 at 2026-11-30T21:11:57Z in /tmp/x/y.py 0xdeadbeef\n"
        let text = String(repeating: line, count: 20_000)
        let normalized = TextNormalizer.normalize(text)
        #expect(normalized == String(repeating: "pid <pid> at <timestamp> in <tmp> 0x<addr>\n", count: 20_000))
    }
}
