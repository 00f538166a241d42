import SandboxAPI
import Testing

@Suite struct WireModelTests {
    @Test func jsonRoundTripsWithEscapesAndUnicode() throws {
        let text = #"{"a":[1,2.5,-3e2,true,false,null],"s":"q\"\\\n\t\u0001é😀","o":{}}"#
        let value = try JSONValue.parse(text)
        #expect(value["s"]?.stringValue == "q\"\\\n\t\u{01}é😀")
        #expect(value["a"]?.arrayValue?[2].numberValue == -300)
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(try JSONValue.parse(#""\ud83d\ude00""#).stringValue == "😀")
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"\u{01}\"", "{} x", "01x", String(repeating: "[", count: 600)])
    func malformedJSONIsRejected(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
    }

    @Test func base64AcceptsBothAlphabetsWithOrWithoutPadding() {
        for text in ["-_-_", "+/+/", "-_-_\n"] { #expect(Base64.decode(text) == [0xfb, 0xff, 0xbf]) }
        #expect(Base64.decode("aGk") == Array("hi".utf8))
        #expect(Base64.decode("aGk=") == Array("hi".utf8))
        #expect(Base64.decode("a") == nil)
        #expect(Base64.encode([0xfb, 0xff, 0xbf]) == "+/+/")
    }

    @Test func durationsAndTimestamps() throws {
        #expect(ProtoDuration.parse("3600s") == 3600)
        #expect(ProtoDuration.parse("1.5s") == 1.5)
        #expect(ProtoDuration.parse("10") == nil)
        #expect(ProtoDuration.parse("-1s") == nil)
        let t = 1_795_000_000.123456
        let text = ProtoTimestamp.format(t)
        #expect(text.hasSuffix("Z") && text.contains("T"))
        #expect(abs(try #require(ProtoTimestamp.parse(text)) - t) < 1e-5)
        #expect(ProtoTimestamp.parse("2026-11-27T06:06:13+01:00") == ProtoTimestamp.parse("2026-11-27T05:06:13Z"))
        #expect(HumanDuration.parse("250ms") == .milliseconds(250))
        #expect(HumanDuration.parse("2m") == .seconds(120))
        #expect(HumanDuration.parse("soon") == nil)
    }

    @Test func sandboxCreateAcceptsSnakeAndCamelCaseAndRejectsUnknownFields() throws {
        let snake = try JSONValue.parse(
            #"{"spec":{"code_execution_environment":{"code_language":"LANGUAGE_JAVASCRIPT","#
                + #""machine_config":"MACHINE_CONFIG_VCPU4_RAM4GIB"}},"display_name":"x","ttl":"60s"}"#
        )
        let camel = try JSONValue.parse(
            #"{"spec":{"codeExecutionEnvironment":{"codeLanguage":"LANGUAGE_JAVASCRIPT","#
                + #""machineConfig":"MACHINE_CONFIG_VCPU4_RAM4GIB"}},"displayName":"x","ttl":"60s"}"#
        )
        let a = try SandboxEnvironment(json: snake, strict: true)
        let b = try SandboxEnvironment(json: camel, strict: true)
        #expect(a == b)
        #expect(a.codeExecution?.codeLanguage == .javascript && a.ttlSeconds == 60)
        #expect(throws: GoogleError.self) { try SandboxEnvironment(json: ["bogus": 1], strict: true) }
        #expect(throws: GoogleError.self) {
            try SandboxEnvironment(json: ["spec": ["codeExecutionEnvironment": ["codeLanguage": "LANGUAGE_COBOL"]]], strict: true)
        }
        #expect(throws: GoogleError.self) { try SandboxEnvironment(json: ["ttl": "forever"], strict: true) }
    }

    @Test func executeRequestSplitsCodeAndFilesLikeTheSDK() throws {
        let request = ExecuteRequest(
            code: "print(1)", files: [SandboxFile(name: "data.csv", content: Array("a,b\n".utf8), mimeType: "text/csv")])
        let parsed = try ExecuteRequest(json: try JSONValue.parse(request.json.serialized()))
        let (code, files) = try parsed.decoded()
        #expect(code == "print(1)")
        #expect(files == [SandboxFile(name: "data.csv", content: Array("a,b\n".utf8), mimeType: "text/csv")])
        let wrongMime = ExecuteRequest(inputs: [Chunk(data: Array("print(1)".utf8), mimeType: "text/x-python")])
        #expect(throws: GoogleError.self) { try wrongMime.decoded() }
        let notJSON = ExecuteRequest(inputs: [Chunk(data: Array("print(1)".utf8), mimeType: "application/json")])
        #expect(throws: GoogleError.self) { try notJSON.decoded() }
        do {
            _ = try ExecuteRequest(json: ["inputData": ["code": "x"]])
            Issue.record("unknown field accepted")
        } catch {
            #expect(error.message.contains("inputData"))
            #expect(error.httpStatus == 400 && error.status == .invalidArgument)
        }
    }

    @Test func executeResponsePutsTheConsoleFirst() throws {
        let response = ExecuteResponse(
            stdout: "out", stderr: "err", files: [SandboxFile(name: "o.txt", content: [1, 2], mimeType: "text/plain")])
        #expect(response.outputs.first?.attributes.isEmpty == true)
        let back = try ExecuteResponse(json: try JSONValue.parse(response.json.serialized()))
        #expect(back.stdout == "out" && back.stderr == "err")
        #expect(back.files.first?.name == "o.txt" && back.files.first?.content == [1, 2])
    }

    @Test func resourceNamesParse() {
        let name = ResourceName("projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2/operations/3")
        #expect(name?.engine == "1" && name?.sandbox == "2" && name?.operation == "3")
        #expect(name?.sandboxPath == "projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2")
        #expect(ResourceName("projects/p/locations/l/reasoningEngines/1/operations/9")?.operation == "9")
        #expect(ResourceName("projects/p/locations/l/other/1") == nil)
        #expect(ResourceName("projects//locations/l") == nil)
    }

    @Test func googleErrorsMapStatusesToHTTP() {
        #expect(StatusCode.notFound.httpStatus == 404 && StatusCode.notFound.rpcCode == 5)
        #expect(StatusCode.failedPrecondition.httpStatus == 400)
        #expect(StatusCode.resourceExhausted.httpStatus == 429)
        let e = GoogleError(.notFound, "gone")
        #expect(e.json["error"]?["status"]?.stringValue == "NOT_FOUND")
        #expect(GoogleError(httpStatus: 404, body: e.json) == e)
    }
}
