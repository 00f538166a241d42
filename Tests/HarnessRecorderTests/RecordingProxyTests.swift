import Foundation
import HarnessCassettes
import HarnessCore
import HarnessHTTP
import HarnessRecorder
import Hummingbird
import HummingbirdTesting
import SandboxAPI
import Synchronization
import Testing

/// The recording proxy over real HTTP: an in-process emulator upstream, libcurl clients.
@Suite struct RecordingProxyTests {
    @Test func aSandboxLifecycleIsForwardedAndRecordedInOrder() async throws {
        let csv = "a,b\n1,2\n"
        let code = "import csv\nrows = list(csv.reader(open('data.csv')))\nprint(len(rows))\nopen('out.txt', 'w').write('done\\n')\n"
        let (result, cassette) = try await withRecordedEmulator { proxy, _ in
            let (engine, sandbox) = try await proxy.newSandbox()
            let input = SandboxFile(name: "data.csv", content: Array(csv.utf8), mimeType: "text/csv")
            let answer = try await proxy.execute(sandbox, code, files: [input])
            _ = try await proxy.callOK("GET", sandbox)
            _ = try await proxy.callOK("DELETE", sandbox)
            _ = try await proxy.callOK("DELETE", "\(engine)?force=true")
            return answer
        }
        #expect(result.stdout == "2\n")
        #expect(result.files.map(\.name) == ["out.txt"])
        let exchanges = cassette.exchanges
        #expect(exchanges.first?.method == "POST" && exchanges.first?.path.hasSuffix("/reasoningEngines") == true)
        #expect(exchanges.last?.method == "DELETE" && exchanges.last?.query == [Field("force", "true")])
        #expect(exchanges.allSatisfy { $0.status == 200 }, "\(exchanges.map { "\($0.method) \($0.path) \($0.status ?? 0)" })")
        #expect(zip(exchanges, exchanges.dropFirst()).allSatisfy { $0.timing.sent <= $1.timing.sent })
        for exchange in exchanges {
            let firstByte = try #require(exchange.timing.firstByte)
            let lastByte = try #require(exchange.timing.lastByte)
            #expect(firstByte > 0 && firstByte <= lastByte)
        }
        let execute = try #require(exchanges.first { $0.path.hasSuffix("/:execute") })
        guard case .executeInput(let input) = execute.request.body, case .executeOutput(let output) = execute.response.body else {
            Issue.record("execute not decoded: \(execute)")
            return
        }
        #expect(input.code == code)
        #expect(
            input.files == [
                RecordedFile(
                    name: "data.csv", mimeType: "text/csv",
                    bytes: RecordedBytes(size: 8, sha256: SHA256.hex(Array(csv.utf8)), content: .text(csv)))
            ])
        #expect(output.msgOut == "2\n" && output.msgErr == "")
        #expect(output.files.first?.name == "out.txt")
        #expect(output.files.first?.bytes.content == .text("done\n"))
        #expect(try Cassette(yaml: try cassette.yaml()) == cassette)
    }

    @Test(.timeLimit(.minutes(2))) func multiMegabyteFilesPassThroughIntact() async throws {
        // 2 MiB: many body chunks through the proxy and far over the 64 KiB inline limit, yet quick in a
        // debug build (JSON and base64 are not optimised there); the benchmark's proxy suite covers speed.
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        let content = [UInt8](random.readData(ofLength: 2 << 20))
        try #require(content.count == 2 << 20)
        let (checks, cassette) = try await withRecordedEmulator { proxy, direct in
            let (engine, sandbox) = try await proxy.newSandbox()
            let answer = try await proxy.execute(
                sandbox, "open('copy.bin', 'wb').write(open('in.bin', 'rb').read())",
                files: [SandboxFile(name: "in.bin", content: content)])
            let viaProxy = try await proxy.call("GET", "\(engine)/sandboxEnvironments")
            let straight = try await direct.call("GET", "\(engine)/sandboxEnvironments")
            return (answer.files.first?.content == content, viaProxy.body == straight.body && !viaProxy.body.isEmpty)
        }
        #expect(checks.0, "the 2 MiB file came back changed")
        #expect(checks.1, "a body read through the proxy differs from the same body read directly")
        let execute = try #require(cassette.exchanges.first { $0.path.hasSuffix("/:execute") })
        guard case .executeInput(let input) = execute.request.body, case .executeOutput(let output) = execute.response.body else {
            Issue.record("execute not decoded")
            return
        }
        let expected = RecordedBytes(size: content.count, sha256: SHA256.hex(content), content: .omitted)
        #expect(input.files.first?.bytes == expected)
        #expect(output.files.first?.bytes == expected)
        #expect(try cassette.yaml().utf8.count < 64 << 10, "large files are kept by hash, not inline")
    }

    @Test func streamedResponsesPassThroughIntact() async throws {
        let chunk = ByteBuffer(bytes: (0..<65_536).map { UInt8($0 % 251) })
        let router = Router()
        router.get("/stream") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: ResponseBody { writer in
                    for _ in 0..<48 { try await writer.write(chunk) }
                    try await writer.finish(nil)
                })
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
        let expected = Array((0..<48).map { _ in Array(chunk.readableBytesView) }.joined())
        try await app.test(.live) { client in
            let upstreamURL = "http://127.0.0.1:\(client.port ?? 0)"
            try await withCurlTransport { transport in
                let upstream = Upstream(baseURL: upstreamURL, transport: transport, description: "stream")
                let (body, cassette) = try await RecordingProxy.withProxy(upstream: upstream, logger: quietLogger) { proxyURL in
                    try await transport.send(TransportRequest(method: "GET", url: proxyURL + "/stream")).body
                }
                #expect(body == expected)
                #expect(
                    cassette.exchanges.first?.response.body
                        == .bytes(
                            RecordedBytes(
                                size: expected.count, sha256: SHA256.hex(expected),
                                content: .omitted)))
            }
        }
    }

    @Test func secretsNeverReachTheCassette() async throws {
        let token = "ya29.known-test-token-\(UUID().uuidString)"
        let apiKey = "AIza-known-test-key-\(UUID().uuidString)"
        let (_, cassette) = try await withRecordedEmulator { proxy, _ in
            let (engine, sandbox) = try await proxy.newSandbox()
            let headers = ["Authorization": "Bearer \(token)", "x-goog-api-key": apiKey, "Cookie": "SID=\(token)"]
            let answer = try await proxy.execute(
                sandbox, "print('\(token)'); open('t.txt', 'w').write('\(apiKey)')",
                files: [SandboxFile(name: "key.txt", content: Array(apiKey.utf8))], headers: headers)
            #expect(answer.stdout == "\(token)\n", "the proxy must not change what the client and the upstream see")
            _ = try await proxy.call("GET", "\(engine)/sandboxEnvironments?access_token=\(token)", headers: headers)
        }
        let yaml = try cassette.yaml()
        #expect(!yaml.contains(token), "the token reached the cassette")
        #expect(!yaml.contains(apiKey), "the API key reached the cassette")
        #expect(yaml.contains("authorization: <redacted>"))
        #expect(yaml.contains("msg_out: |\n") && yaml.contains("<redacted>"))
    }

    @Test func theUpstreamsCredentialsReplaceTheClients() async throws {
        let clientToken = "client-token-\(UUID().uuidString)"
        let upstreamToken = "upstream-token-\(UUID().uuidString)"
        let capture = Locked<CapturingTransport?>(nil)
        let (_, cassette) = try await withRecordedEmulator(
            wrap: { base in
                let capturing = CapturingTransport(base: base)
                capture.set(capturing)
                return capturing
            }, credentials: StaticToken(upstreamToken)
        ) { proxy, _ in
            _ = try await proxy.call(
                "GET", "\(proxy.endpoint.locationPath)/reasoningEngines",
                headers: ["Authorization": "Bearer \(clientToken)"])
        }
        let forwarded = try #require(capture.get()?.forwarded.withLock { $0 })
        #expect(forwarded.count == 1)
        let authorization = forwarded.first?.headers.filter { $0.name.lowercased() == "authorization" }.map(\.value)
        #expect(authorization == ["Bearer \(upstreamToken)"])
        let yaml = try cassette.yaml()
        #expect(!yaml.contains(clientToken) && !yaml.contains(upstreamToken))
    }

    @Test func anUnreachableUpstreamAnswers502AndIsRecorded() async throws {
        try await withCurlTransport { transport in
            let upstream = Upstream(baseURL: "http://127.0.0.1:1", transport: transport, description: "nowhere")
            let (response, cassette) = try await RecordingProxy.withProxy(upstream: upstream, logger: quietLogger) { proxyURL in
                try await transport.send(TransportRequest(method: "GET", url: proxyURL + "/v1beta1/x"))
            }
            #expect(response.status == 502)
            #expect(try JSONValue.parse(response.body)["error"]?["status"]?.stringValue == "UNAVAILABLE")
            #expect(cassette.exchanges.count == 1)
            #expect(cassette.exchanges.first?.status == nil)
            #expect(cassette.exchanges.first?.error?.contains("did not answer") == true)
        }
    }

    @Test func aRequestBodyOverTheLimitIsRefusedAndRecorded() async throws {
        let (status, cassette) = try await withRecordedEmulator({ $0.maxBodyBytes = 1000 }) { proxy, _ in
            let body = [UInt8](repeating: 0x20, count: 2000)
            return try await proxy.call("POST", "\(proxy.endpoint.locationPath)/reasoningEngines", body: body).status
        }
        #expect(status == 413)
        #expect(cassette.exchanges.first?.error?.contains("larger than 1000 bytes") == true)
    }
}

/// A value shared between tasks under a lock.
final class Locked<T: Sendable>: Sendable {
    private let value: Mutex<T>
    init(_ value: T) { self.value = Mutex(value) }
    func get() -> T { value.withLock { $0 } }
    func set(_ newValue: T) { value.withLock { $0 = newValue } }
}
