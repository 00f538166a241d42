import HarnessCore
import Testing

@Suite struct OutputTailTests {
    @Test func nothingPrintedIsNoTail() {
        #expect(OutputTail(stdout: nil, stderr: nil) == nil)
        #expect(OutputTail(stdout: "", stderr: "") == nil)
        #expect(OutputTail(stdout: "\n", stderr: nil) == nil)
    }

    @Test func keepsTheLastLinesOfEachStream() throws {
        let traceback = (1...50).map { "  frame \($0)" }.joined(separator: "\n") + "\nModuleNotFoundError: No module named 'pandas'\n"
        let tail = try #require(OutputTail(stdout: "partial\n", stderr: traceback))
        let lines = tail.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == OutputTail.maxLines)
        #expect(lines.last == "ModuleNotFoundError: No module named 'pandas'")
        #expect(lines.first == "  frame 32")
        #expect(tail.stdout == "partial")
        #expect(tail.truncated)
    }

    @Test func capsBytesAtACharacterBoundary() throws {
        // One long line of three-byte characters, offset by one byte so the cap falls inside a character.
        let line = "x" + String(repeating: "€", count: 3000)
        let tail = try #require(OutputTail(stdout: line, stderr: nil))
        #expect(tail.stdout.utf8.count <= OutputTail.maxBytes)
        #expect(tail.stdout.utf8.count >= OutputTail.maxBytes - 2)
        #expect(tail.stdout.allSatisfy { $0 == "€" })
        #expect(tail.truncated)
        #expect(tail.stderr.isEmpty)
    }

    @Test func shortOutputIsKeptWhole() throws {
        let tail = try #require(OutputTail(stdout: "a\nb", stderr: "warning\n"))
        #expect(tail.stdout == "a\nb")
        #expect(tail.stderr == "warning")
        #expect(!tail.truncated)
    }
}
