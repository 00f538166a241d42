import HarnessParity
import SandboxAPI
import Testing

@Suite struct ParityPathTests {
    @Test(arguments: [
        "outputs[0].msg_err", "sandboxEnvironments[2].expireTime", "@status", "metadata[\"@type\"].x", "a[\"b.c\"]",
        "outputs[*].msg_err", "**.createTime", "*.name", "error.details[*]", "[\"with \\\"quote\\\"\"]"
    ])
    func readsAndWritesThePathsReportsShow(_ text: String) throws {
        let path = try ParityPath(parsing: text)
        #expect(try ParityPath(parsing: path.description) == path, "\(text) → \(path.description)")
    }

    @Test func keysThatAreNotPlainNamesAreQuoted() throws {
        let path = ParityPath(segments: [.key("metadata"), .key("@type"), .key("a.b"), .index(3)])
        #expect(path.description == "metadata.@type[\"a.b\"][3]")
        #expect(try ParityPath(parsing: "$.outputs[0]") == ParityPath(segments: [.key("outputs"), .index(0)]))
        #expect(ParityPath.root.description == "$")
    }

    @Test(arguments: ["outputs[", "outputs[x]", "a..b", "a.", ".a", "a b", "a[\"b", "ab*c", "a[1234567890]", "a]"])
    func rejectsMalformedPathsWithThePlace(_ text: String) {
        #expect(throws: ParityPath.SyntaxError.self) { try ParityPath(parsing: text) }
    }

    @Test func aPatternCoversMatchingPathsAndTheirDescendants() throws {
        let gap = try ParityPath(parsing: "outputs[*].msg_err")
        #expect(gap.covers(try ParityPath(parsing: "outputs[0].msg_err")))
        #expect(gap.covers(try ParityPath(parsing: "outputs[3].msg_err.deeper")))
        #expect(!gap.covers(try ParityPath(parsing: "outputs[0].msg_out")))
        #expect(!gap.covers(try ParityPath(parsing: "outputs")))
        let anywhere = try ParityPath(parsing: "**.expireTime")
        #expect(anywhere.covers(try ParityPath(parsing: "expireTime")))
        #expect(anywhere.covers(try ParityPath(parsing: "sandboxEnvironments[2].expireTime")))
        #expect(!anywhere.covers(try ParityPath(parsing: "sandboxEnvironments[2].createTime")))
        #expect(try ParityPath(parsing: "sandboxEnvironments").matches(try ParityPath(parsing: "sandboxEnvironments")))
        #expect(!(try ParityPath(parsing: "sandboxEnvironments").matches(try ParityPath(parsing: "sandboxEnvironments[0]"))))
        #expect(try ParityPath(parsing: "*.name").covers(try ParityPath(parsing: "response.name")))
        #expect(!(try ParityPath(parsing: "*.name").covers(try ParityPath(parsing: "[0].name"))))
    }

    @Test func manyDoubleStarsStayCheap() throws {
        let pattern = try ParityPath(parsing: Array(repeating: "**", count: 40).joined(separator: ".") + ".x")
        let path = ParityPath(segments: Array(repeating: .key("a"), count: 200))
        #expect(!pattern.covers(path))
        #expect(!pattern.matches(path))
    }

    @Test func namesMatchShellGlobs() {
        #expect(NameGlob("*").matches("anything"))
        #expect(NameGlob("quick*").matches("quickstart"))
        #expect(NameGlob("q?ick*t").matches("quickstart"))
        #expect(!NameGlob("quick").matches("quickstart"))
        #expect(NameGlob("*-js").matches("state-js"))
        #expect(!NameGlob("*-js").matches("state-py"))
    }
}

@Suite struct JSONDiffTests {
    @Test func reportsEachDifferingLeafByPathWithBothValues() throws {
        let reference: JSONValue = ["@status": 200, "outputs": [["msg_out": "hello\n", "msg_err": ""], ["file_name": "a.txt"]]]
        let candidate: JSONValue = ["@status": 200, "outputs": [["msg_out": "hel", "msg_err": ""]], "extra": true]
        let (differences, more) = JSONDiff.differences(reference, candidate)
        #expect(more == 0)
        #expect(differences.map(\.path.description) == ["extra", "outputs[0].msg_out", "outputs[1]"])
        #expect(differences.map(\.mark) == ["+", "~", "-"])
        #expect(differences[1].reference == "hello\n" && differences[1].candidate == "hel")
    }

    @Test func equalDocumentsHaveNoDifferencesAndKindsAreCompared() {
        let doc: JSONValue = ["a": [1, 2, ["b": nil]], "c": "x"]
        #expect(JSONDiff.differences(doc, doc).differences.isEmpty)
        let (differences, _) = JSONDiff.differences(["a": 1], ["a": "1"])
        #expect(differences.map(\.path.description) == ["a"])
    }

    @Test func aHugeDifferenceIsCountedNotListed() {
        let left = JSONValue.array((0..<1000).map { .number(Double($0)) })
        let right = JSONValue.array((0..<1000).map { .number(Double($0 + 1)) })
        let (differences, more) = JSONDiff.differences(left, right)
        #expect(differences.count == JSONDiff.maxDifferences)
        #expect(more == 1000 - JSONDiff.maxDifferences)
    }
}
