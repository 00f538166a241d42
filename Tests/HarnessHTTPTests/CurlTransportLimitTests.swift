import Foundation
import HarnessCore
import HarnessHTTP
import TestServers
import Testing

/// Every response has a cap: a server that sends too much, or never stops, gets a protocol error,
/// not an allocation of whatever it sends.
@Suite(.timeLimit(.minutes(2))) struct CurlTransportLimitTests {
    static let chunkedHead = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
    /// One 16 KiB chunk of chunked transfer encoding.
    static let chunk = Array("4000\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 0x4000) + Array("\r\n".utf8)

    @Test func theDefaultCapIsWellAboveTheLargestAPIAnswer() {
        // 100 MB of files per execute answer, 4/3 of it as base64.
        #expect(CurlTransport.Configuration().maxResponseBytes == CurlTransport.Configuration.defaultMaxResponseBytes)
        #expect(CurlTransport.Configuration.defaultMaxResponseBytes >= 100_000_000 * 4 / 3 + 10_000_000)
    }

    @Test func aBodyAnnouncedLargerThanTheDefaultCapFailsBeforeItIsRead() async throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: \(CurlTransport.Configuration.defaultMaxResponseBytes + 1)\r\n\r\n"
        try await LoopbackServer.with({ _ in .endless(head: Array(head.utf8), chunk: [UInt8](repeating: 0x20, count: 4096)) }) { server in
            try await withCurlTransport { transport in
                let error = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
                #expect(error?.kind == .protocolError)
                #expect(
                    error?.message.contains("larger than the limit of \(CurlTransport.Configuration.defaultMaxResponseBytes) bytes")
                        == true,
                    "\(String(describing: error))")
            }
        }
    }

    @Test(arguments: ["chunked", "until close"])
    func aNeverEndingBodyIsCutAtTheCap(framing: String) async throws {
        let head = framing == "chunked" ? Self.chunkedHead : Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8)
        let chunk = framing == "chunked" ? Self.chunk : [UInt8](repeating: UInt8(ascii: "a"), count: 0x4000)
        try await LoopbackServer.with({ _ in .endless(head: head, chunk: chunk) }) { server in
            try await withCurlTransport(configuration: .init(maxResponseBytes: 1 << 20)) { transport in
                let error = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL, timeout: .seconds(60)))
                #expect(error?.kind == .protocolError)
                #expect(error?.message.contains("larger than the limit of 1048576 bytes") == true, "\(String(describing: error))")
            }
        }
    }

    @Test func aBodyExactlyAtTheCapIsAccepted() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        try await LoopbackServer.with({ _ in .response(status: 200, body: body) }) { server in
            try await withCurlTransport(configuration: .init(maxResponseBytes: 4096)) { transport in
                let response = try await transport.send(TransportRequest(method: "GET", url: server.baseURL))
                #expect(response.body == body)
            }
            try await withCurlTransport(configuration: .init(maxResponseBytes: 4095)) { transport in
                let error = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
                #expect(error?.kind == .protocolError)
            }
        }
    }

    @Test func endlessHeadersAreCut() async throws {
        let line = Array("X-Junk: \(String(repeating: "j", count: 8000))\r\n".utf8)
        try await LoopbackServer.with({ _ in .endless(head: Array("HTTP/1.1 200 OK\r\n".utf8), chunk: line) }) { server in
            try await withCurlTransport { transport in
                let error = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL, timeout: .seconds(60)))
                // libcurl's own header limit or ours, whichever comes first: never a timeout.
                #expect(error?.kind == .protocolError || error?.kind == .other, "\(String(describing: error))")
                #expect(error?.kind != .timeout)
            }
        }
    }

    @Test func aSlowBodyThatNeverEndsStopsAtTheRequestTimeout() async throws {
        try await LoopbackServer.with({ _ in .endless(head: Self.chunkedHead, chunk: Array("1\r\n[\r\n".utf8), pause: .milliseconds(20)) })
        { server in
            try await withCurlTransport { transport in
                let error = await transportError(
                    transport, TransportRequest(method: "GET", url: server.baseURL, timeout: .milliseconds(500)))
                #expect(error?.kind == .timeout)
            }
        }
    }

    @Test func aTruncatedBodySaysTheServerClosedEarly() async throws {
        let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"outputs\":".utf8)
        try await LoopbackServer.with({ _ in .raw(bytes) }) { server in
            try await withCurlTransport { transport in
                let error = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
                #expect(error?.kind == .protocolError)
                #expect(
                    error?.message.contains("closed the connection before its answer was complete") == true, "\(String(describing: error))")
            }
        }
    }

    @Test(arguments: [
        Duration.zero, .nanoseconds(-1), .seconds(-5), .seconds(Int64.max), .seconds(Int64.min), .milliseconds(1)
    ])
    func anyTimeoutIsAUsableLibcurlValue(timeout: Duration) async throws {
        try await LoopbackServer.with({ _ in .response(status: 204) }) { server in
            try await withCurlTransport(configuration: .init(connectTimeout: timeout)) { transport in
                // Huge values wait, tiny ones time out at once; neither traps.
                do {
                    _ = try await transport.send(
                        TransportRequest(method: "GET", url: server.baseURL, timeout: timeout > .seconds(1) ? timeout : .seconds(30)))
                } catch let error as TransportError {
                    #expect(error.kind == .timeout || error.kind == .connect, "\(error)")
                }
            }
        }
    }
}
