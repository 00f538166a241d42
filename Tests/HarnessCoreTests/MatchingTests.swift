import HarnessCore
import SandboxAPI
import Testing

@Suite struct MatchingTests {
    @Test func interpolationReplacesKnownVariablesAndNamesUnknownOnes() throws {
        let vars = Variables(["sandbox": "projects/p/x", "n": "3"])
        #expect(try vars.interpolate("${sandbox}:execute n=${n}") == "projects/p/x:execute n=3")
        #expect(try vars.interpolate("literal $${n}") == "literal ${n}")
        #expect(throws: Variables.Undefined.self) { try vars.interpolate("${missing}") }
    }

    @Test func expectationsReportExpectedAndActual() {
        let seen = StepObservation(
            status: 200, stdout: "hello\n", stderr: "", files: [SandboxFile(name: "a.txt", content: Array("x".utf8))],
            elapsed: .milliseconds(30))
        let ok = ExpectationChecker.mismatches(
            [
                .stdout(.equals("hello\n")), .stderr(.equals("")), .file(name: "a.txt", .text(.equals("x"))),
                .fileCount(1), .within(.seconds(1)), .stdout(.matches("^hel+o$"))
            ], seen, variables: Variables())
        #expect(ok.isEmpty)
        let bad = ExpectationChecker.mismatches(
            [
                .stdout(.contains("bye")), .file(name: "b.txt", .present), .within(.milliseconds(10)),
                .file(name: "a.txt", .sha256(String(repeating: "0", count: 64)))
            ], seen, variables: Variables())
        #expect(bad.count == 4)
        #expect(bad[0].expected.contains("bye") && bad[0].actual.contains("hello"))
        #expect(bad[1].actual.contains("a.txt"))
    }

    /// `error_reason` reads the ErrorInfo reason out of a Google error body's details.
    @Test func errorReasonComesFromTheErrorInfoDetail() throws {
        let body = GoogleError(.failedPrecondition, "The sandbox is paused.", reason: "SANDBOX_NOT_RUNNING").json
        let error = try #require(GoogleError(httpStatus: 400, body: body))
        #expect(error.reason == "SANDBOX_NOT_RUNNING" && error.domain == "aiplatform.googleapis.com")
        let seen = StepObservation(status: 400, json: body, error: error)
        #expect(
            ExpectationChecker.mismatches(
                [.errorReason("SANDBOX_NOT_RUNNING"), .errorStatus("FAILED_PRECONDITION")], seen,
                variables: Variables()
            ).isEmpty)
        let wrong = ExpectationChecker.mismatches([.errorReason("OPERATION_NOT_FOUND")], seen, variables: Variables())
        #expect(wrong.count == 1 && wrong.first?.actual == "SANDBOX_NOT_RUNNING")
        // A body without details (another server) says so rather than matching.
        let bare = try #require(
            GoogleError(httpStatus: 400, body: ["error": ["code": 400, "message": "x", "status": "FAILED_PRECONDITION"]]))
        let none = ExpectationChecker.mismatches(
            [.errorReason("SANDBOX_NOT_RUNNING")], StepObservation(status: 400, error: bare), variables: Variables())
        #expect(none.first?.actual == "no ErrorInfo reason")
    }

    @Test func mimeTypeAndPrefixOfReturnedFiles() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00]
        let seen = StepObservation(
            status: 200, stdout: "", stderr: "",
            files: [
                SandboxFile(name: "chart.png", content: png, mimeType: "image/png"),
                SandboxFile(name: "blob", content: [1, 2], mimeType: nil)
            ], elapsed: .milliseconds(1))
        let ok = ExpectationChecker.mismatches(
            [
                .file(name: "chart.png", .mimeType("image/png")),
                .file(name: "chart.png", .prefix(Array(png.prefix(8))))
            ], seen, variables: Variables())
        #expect(ok.isEmpty)
        let bad = ExpectationChecker.mismatches(
            [
                .file(name: "chart.png", .mimeType("image/jpeg")),
                .file(name: "blob", .mimeType("text/plain")), .file(name: "blob", .prefix([0x89, 0x50])),
                .file(name: "gone", .mimeType("x/y"))
            ], seen, variables: Variables())
        #expect(bad.map(\.actual) == ["mime type image/png", "mime type none", "starting with 0102", "not returned"])
        #expect(bad[2].expected == "starting with 8950")
    }

    @Test func sha256MatchesKnownDigests() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func jsonPathsIndexObjectsAndArrays() throws {
        let json = try JSONValue.parse(#"{"a":{"b":[{"c":"x"},{"c":2}]}}"#)
        #expect(json.at(path: "a.b.0.c")?.plainText == "x")
        #expect(json.at(path: "a.b.1.c")?.plainText == "2")
        #expect(json.at(path: "a.b.2.c") == nil)
    }
}
