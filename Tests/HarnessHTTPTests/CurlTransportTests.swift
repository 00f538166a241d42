import Foundation
import HarnessCore
import HarnessHTTP
import Logging
import SandboxEmulator
import TestServers
import Testing

/// An emulator without interpreter workers: these tests only need its HTTP surface.
func withTestEmulator<T: Sendable>(_ body: @Sendable (_ baseURL: String) async throws -> T) async throws -> T {
    var configuration = EmulatorConfiguration()
    configuration.warmPool = [:]
    var logger = Logger(label: "sandbench.emulator.test")
    logger.logLevel = .critical // shutdown chatter is expected here
    return try await Emulator.withEmulator(configuration: configuration, logger: logger, body)
}

func utf8(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite struct CurlTransportTests {
    @Test func getReturnsStatusBodyAndHeaders() async throws {
        try await withTestEmulator { base in
            try await withCurlTransport { transport in
                let response = try await transport.send(TransportRequest(method: "GET", url: "\(base)/healthz"))
                #expect(response.status == 200)
                #expect(utf8(response.body) == "ok\n")
                #expect(response.header("content-type") == "text/plain")
                #expect(response.header("Content-Length") == "3")
                #expect(response.elapsed > .zero && response.elapsed < .seconds(5))
            }
        }
    }

    @Test func postWithJSONBodyCreatesAnOperation() async throws {
        try await withTestEmulator { base in
            try await withCurlTransport { transport in
                let response = try await transport.send(
                    TransportRequest(
                        method: "POST", url: "\(base)/v1beta1/projects/p/locations/l/reasoningEngines",
                        headers: [("Content-Type", "application/json")], body: Array("{}".utf8)))
                #expect(response.status == 200)
                let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
                let name = try #require(json?["name"] as? String)
                #expect(name.hasPrefix("projects/p/locations/l/"))
                #expect(name.contains("/operations/"))
            }
        }
    }

    @Test func deleteWithoutBodyGetsGoogleErrorFor404() async throws {
        try await withTestEmulator { base in
            try await withCurlTransport { transport in
                let url = "\(base)/v1beta1/projects/p/locations/l/reasoningEngines/123/sandboxEnvironments/nope"
                let response = try await transport.send(TransportRequest(method: "DELETE", url: url))
                #expect(response.status == 404)
                let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
                let error = try #require(json?["error"] as? [String: Any])
                #expect(error["code"] as? Int == 404)
                #expect(error["status"] as? String == "NOT_FOUND")
            }
        }
    }

    @Test(
        arguments: [
            ("POST", Array("{\"a\":1}".utf8)), ("PUT", Array("put body".utf8)), ("DELETE", Array("delete body".utf8)),
            ("PATCH", []), ("DELETE", nil), ("GET", nil), ("OPTIONS", nil), ("POST", nil)
        ] as [(String, [UInt8]?)])
    func sendsMethodBodyAndHeadersAsGiven(method: String, body: [UInt8]?) async throws {
        try await LoopbackServer.with({ _ in .response(status: 201, headers: [("X-Reply", "yes")], body: Array("done".utf8)) }) { server in
            try await withCurlTransport { transport in
                let response = try await transport.send(
                    TransportRequest(
                        method: method, url: "\(server.baseURL)/things/1?x=y",
                        headers: [("X-Custom", "v1"), ("X-Empty", "")], body: body))
                #expect(response.status == 201)
                #expect(response.header("x-reply") == "yes")
                #expect(utf8(response.body) == "done")
            }
            let request = try #require(server.received.first)
            #expect(request.method == method)
            #expect(request.path == "/things/1?x=y")
            #expect(request.body == body ?? [])
            #expect(request.header("X-Custom") == "v1")
            #expect(request.header("X-Empty") == "")
            #expect(request.header("Expect") == nil)
            #expect(request.header("Content-Type") == nil)
            #expect(request.header("User-Agent") == "sandbench/0.1")
            let sendsLength = body != nil || ["POST", "PUT", "PATCH"].contains(method)
            #expect(request.header("Content-Length") == (sendsLength ? "\(body?.count ?? 0)" : nil))
        }
    }

    @Test func largeBodyIsUploadedWithoutExpectContinue() async throws {
        let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await LoopbackServer.with({ .response(status: 200, body: Array("\($0.body.count)".utf8)) }) { server in
            try await withCurlTransport { transport in
                let response = try await transport.send(TransportRequest(method: "PUT", url: server.baseURL, body: body))
                #expect(utf8(response.body) == "3000000")
            }
            #expect(server.received.first?.body == body)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withTestEmulator { base in
            try await withCurlTransport { transport in
                for _ in 0..<50 {
                    let response = try await transport.send(TransportRequest(method: "GET", url: "\(base)/healthz"))
                    #expect(response.status == 200)
                }
                #expect(transport.connectionsOpened == 1)
            }
        }
    }

    @Test func fiveHundredConcurrentRequestsAllComplete() async throws {
        try await withTestEmulator { base in
            try await withCurlTransport(configuration: .init(maxConnections: 64)) { transport in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<500 {
                        group.addTask { try await transport.send(TransportRequest(method: "GET", url: "\(base)/healthz")).status }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.count == 500)
                #expect(statuses.allSatisfy { $0 == 200 })
                #expect(transport.connectionsOpened <= 64)
            }
        }
    }

    @Test func firstByteIsTimedWithinTheExchange() async throws {
        try await withTestEmulator { base in
            try await withCurlTransport { transport in
                let response = try await transport.send(TransportRequest(method: "GET", url: "\(base)/healthz"))
                let firstByte = try #require(response.firstByte)
                #expect(firstByte > .zero && firstByte <= response.elapsed)
            }
        }
    }

    @Test func userAgentComesFromConfigurationUnlessTheRequestSetsOne() async throws {
        try await LoopbackServer.with({ _ in .response(status: 204) }) { server in
            try await withCurlTransport(configuration: .init(userAgent: "probe/2")) { transport in
                _ = try await transport.send(TransportRequest(method: "GET", url: server.baseURL))
                _ = try await transport.send(TransportRequest(method: "GET", url: server.baseURL, headers: [("User-Agent", "mine")]))
            }
            #expect(server.received.map { $0.header("user-agent") } == ["probe/2", "mine"])
        }
    }
}
