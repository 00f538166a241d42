import HarnessCassettes
import HarnessCore
import SandboxAPI
import Testing

/// Raw exchanges as a proxy hands them over.
func raw(
    _ method: String, _ target: String, request: [UInt8] = [], status: Int? = 200, response: [UInt8] = [],
    requestHeaders: [(name: String, value: String)] = [], responseHeaders: [(name: String, value: String)] = [],
    sentMilliseconds: Int = 1
) -> RawExchange {
    RawExchange(
        method: method, target: target, requestHeaders: requestHeaders, requestBody: request, status: status,
        responseHeaders: responseHeaders, responseBody: response, sent: .milliseconds(sentMilliseconds),
        firstByte: .microseconds(1500), lastByte: .microseconds(2250))
}

let executePath = "/v1beta1/projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2/:execute"

@Suite struct CassetteBuilderTests {
    @Test func executeBodiesAreDecodedIntoCodeOutputAndFiles() throws {
        let binary: [UInt8] = [0, 1, 2, 0xFF, 0xFE]
        let request = ExecuteRequest(
            code: "print(open('a.txt').read())\n",
            files: [
                SandboxFile(name: "a.txt", content: Array("hello\nworld\n".utf8), mimeType: "text/plain"),
                SandboxFile(name: "b.bin", content: binary)
            ])
        let response = ExecuteResponse(stdout: "hello\nworld\n", stderr: "", files: [SandboxFile(name: "c.bin", content: binary)])
        var builder = CassetteBuilder(upstream: "emulator", recordedAt: "2026-11-30T00:00:00Z")
        builder.add(raw("POST", executePath, request: request.json.serialized(), response: response.json.serialized()))
        let exchange = try #require(builder.cassette().exchanges.first)
        guard case .executeInput(let input) = exchange.request.body else {
            Issue.record("request not decoded: \(exchange.request.body)")
            return
        }
        #expect(input.code == "print(open('a.txt').read())\n")
        #expect(input.files.map(\.name) == ["a.txt", "b.bin"])
        #expect(input.files[0].mimeType == "text/plain")
        #expect(input.files[0].bytes.content == .text("hello\nworld\n"))
        #expect(input.files[0].bytes.size == 12)
        #expect(input.files[0].bytes.sha256 == SHA256.hex(Array("hello\nworld\n".utf8)))
        #expect(input.files[1].bytes.content == .base64(Base64.encode(binary)))
        guard case .executeOutput(let output) = exchange.response.body else {
            Issue.record("response not decoded")
            return
        }
        #expect(output.msgOut == "hello\nworld\n")
        #expect(output.msgErr == "")
        #expect(output.files.first?.bytes.sha256 == SHA256.hex(binary))
        #expect(exchange.timing == Timing(sent: 1, firstByte: 1.5, lastByte: 2.25))
    }

    @Test func theSDKsSnakeCaseAndURLSafeBase64AreDecodedToo() throws {
        let body =
            #"{"inputs": [{"data": "eyJjb2RlIjogInByaW50KDEpIn0=", "mime_type": "application/json"}, "#
            + #"{"data": "-_-_", "metadata": {"attributes": {"file_name": "eC5iaW4="}}, "mime_type": ""}]}"#
        var builder = CassetteBuilder(upstream: "emulator", recordedAt: "t")
        builder.add(raw("POST", executePath, request: Array(body.utf8), status: 400, response: Array("{}".utf8)))
        let exchange = try #require(builder.cassette().exchanges.first)
        guard case .executeInput(let input) = exchange.request.body else {
            Issue.record("not decoded")
            return
        }
        #expect(input.code == "print(1)")
        #expect(input.files.first?.name == "x.bin")
        #expect(input.files.first?.bytes.content == .base64("+/+/"))
        #expect(exchange.response.body == .json(.object([:])), "a failed execute's answer is plain JSON")
    }

    @Test func filesOverTheInlineLimitKeepOnlySizeAndHashUnlessBodiesAreKept() throws {
        let big = [UInt8](repeating: UInt8(ascii: "z"), count: 70_000)
        let request = ExecuteRequest(code: "pass", files: [SandboxFile(name: "big.txt", content: big)]).json.serialized()
        for keep in [false, true] {
            var builder = CassetteBuilder(upstream: "emulator", recordedAt: "t", keepBodies: keep)
            builder.add(raw("POST", executePath, request: request))
            guard case .executeInput(let input)? = builder.cassette().exchanges.first?.request.body else {
                Issue.record("not decoded")
                return
            }
            let file = try #require(input.files.first)
            #expect(file.bytes.size == 70_000)
            #expect(file.bytes.sha256 == SHA256.hex(big))
            #expect(file.bytes.content == (keep ? .text(String(repeating: "z", count: 70_000)) : .omitted))
        }
    }

    @Test func otherBodiesAreJSONTextOrBytes() throws {
        var builder = CassetteBuilder(upstream: "emulator", recordedAt: "t")
        builder.add(raw("GET", "/healthz", response: Array("ok\n".utf8)))
        builder.add(raw("GET", "/blob", response: [0, 159, 146, 150], sentMilliseconds: 2))
        builder.add(
            raw(
                "POST", "/v1beta1/x?pageSize=2&filter=state%3D%22STATE_RUNNING%22",
                request: Array(#"{"a":[1,2.5,true,null]}"#.utf8),
                sentMilliseconds: 3))
        let exchanges = builder.cassette().exchanges
        #expect(exchanges[0].response.body == .text("ok\n"))
        let blob = RecordedBytes(size: 4, sha256: SHA256.hex([0, 159, 146, 150]), content: .base64("AJ+Slg=="))
        #expect(exchanges[1].response.body == .bytes(blob))
        #expect(exchanges[2].path == "/v1beta1/x")
        #expect(exchanges[2].query == [Field("pageSize", "2"), Field("filter", #"state="STATE_RUNNING""#)])
        #expect(exchanges[2].request.body == .json(["a": [1, 2.5, true, nil]]))
    }

    @Test func exchangesAreListedInTheOrderTheyWereSent() {
        var builder = CassetteBuilder(upstream: "emulator", recordedAt: "t")
        builder.add(raw("GET", "/second", sentMilliseconds: 20))
        builder.add(raw("GET", "/first", sentMilliseconds: 10))
        #expect(builder.cassette().exchanges.map(\.path) == ["/first", "/second"])
    }
}
