import Foundation
import HarnessCore
import Synchronization
import TestServers
import Testing

@testable import HarnessHTTP

/// The built-in HTTP/1.1 client over real sockets, held against libcurl: for every answer a server
/// can give, both must hand the harness the same response or the same kind of error.
@Suite struct HTTP1ClientTests {
    /// Raw answers (each then closes the connection) that exercise every framing and failure.
    static let answers: [(label: String, bytes: String)] = [
        ("content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing:  spaced  \r\n\r\nhello"),
        ("chunked", "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"),
        ("until close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end"),
        ("interim 100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"),
        ("204 with a length", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"),
        ("status 999", "HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\n{}"),
        ("truncated", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nnot fifty"),
        ("nothing", ""),
        ("junk", "SSH-2.0-OpenSSH_9.2\r\n\r\n")
    ]

    static func outcome(_ transport: CurlTransport, _ url: String, timeout: Duration? = nil) async -> String {
        do {
            let response = try await transport.send(TransportRequest(method: "GET", url: url, timeout: timeout))
            let headers = response.headers.filter { $0.name.lowercased() != "date" }.map { "\($0.name)=\($0.value)" }
            return "\(response.status) \(headers) \(String(decoding: response.body, as: UTF8.self))"
        } catch {
            return "error \(error.kind)"
        }
    }

    @Test(arguments: answers)
    func theBuiltInClientAndLibcurlAgree(label: String, bytes: String) async throws {
        try await LoopbackServer.with({ _ in .raw(Array(bytes.utf8)) }) { server in
            let builtIn = try await withCurlTransport { await Self.outcome($0, server.baseURL + "/x") }
            let curl = try await withCurlTransport(configuration: .init(builtInHTTP1: false)) {
                await Self.outcome($0, server.baseURL + "/x")
            }
            #expect(builtIn == curl, "\(label)")
        }
    }

    @Test func aKeptAliveConnectionTheServerClosedIsReplacedUnnoticed() async throws {
        // The server answers as HTTP/1.1 without `Connection: close`, then closes anyway: the
        // client must notice in the pool or retry the next request on a new connection.
        try await LoopbackServer.with({ _ in .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)) }) { server in
            try await withCurlTransport { transport in
                for _ in 0..<50 {
                    let response = try await transport.send(TransportRequest(method: "POST", url: server.baseURL + "/", body: [1]))
                    #expect(response.status == 200)
                }
                #expect(transport.connectionsOpened == 50)
                #expect(server.received.count == 50)
            }
        }
    }

    @Test func requestsBeyondTheConnectionLimitWaitTheirTurn() async throws {
        try await LoopbackServer.with({ request in .response(status: 200, body: Array(request.path.utf8)) }) { server in
            try await withCurlTransport(configuration: .init(maxConnections: 3)) { transport in
                let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<60 {
                        group.addTask {
                            let response = try await transport.send(TransportRequest(method: "GET", url: server.baseURL + "/\(i)"))
                            return String(decoding: response.body, as: UTF8.self)
                        }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(bodies == Set((0..<60).map { "/\($0)" }))
                #expect(transport.connectionsOpened <= 3)
            }
        }
    }

    @Test func aRequestWaitingForTheOnlySlotGetsItWhenTheOtherHostsConnectionIsPooled() async throws {
        // One connection in all: B's answer (held 200 ms by its server) leaves a kept-alive
        // connection to B in the pool, which must be closed for A's waiting request.
        try await LoopbackServer.with({ _ in .response(status: 200, body: Array("a".utf8)) }) { a in
            try await LoopbackServer.with({ _ in
                Thread.sleep(forTimeInterval: 0.2) // the server's own pace
                return .response(status: 200, body: Array("b".utf8))
            }) { b in
                try await withCurlTransport(configuration: .init(maxConnections: 1)) { transport in
                    async let first = transport.send(TransportRequest(method: "GET", url: b.baseURL + "/"))
                    var arrivals = b.requests.makeAsyncIterator()
                    _ = await arrivals.next() // B holds the only connection now
                    let second = try await transport.send(TransportRequest(method: "GET", url: a.baseURL + "/", timeout: .seconds(30)))
                    #expect(second.body == Array("a".utf8))
                    #expect(try await first.body == Array("b".utf8))
                }
            }
        }
    }

    @Test func thePerHostLimitHoldsWhenAnotherHostsConnectionIsPooled() async throws {
        try await LoopbackServer.with({ _ in
            Thread.sleep(forTimeInterval: 0.05) // the server's own pace, so requests overlap
            return .response(status: 200, body: Array("a".utf8))
        }) { a in
            try await LoopbackServer.with({ _ in .response(status: 200) }) { b in
                try await withCurlTransport(configuration: .init(maxConnections: 2, maxConnectionsPerHost: 1)) { transport in
                    _ = try await transport.send(TransportRequest(method: "GET", url: b.baseURL + "/")) // pooled
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<6 {
                            group.addTask { _ = try await transport.send(TransportRequest(method: "GET", url: a.baseURL + "/")) }
                        }
                        try await group.waitForAll()
                    }
                    #expect(transport.connectionsOpened == 2) // one to B, and only one to A
                }
            }
        }
    }

    @Test func aWaitingRequestKeepsItsOwnDeadline() async throws {
        // Two requests for the only connection to a server that never answers: the second, started
        // when the first times out, times out at its own deadline, not at the 600 s connect timeout
        // of the connection it gets then.
        try await LoopbackServer.with({ _ in .silence }) { server in
            try await withCurlTransport(configuration: .init(connectTimeout: .seconds(600), maxConnections: 1)) { transport in
                let start = ContinuousClock.now
                async let first = Self.outcome(transport, server.baseURL + "/1", timeout: .milliseconds(300))
                async let second = Self.outcome(transport, server.baseURL + "/2", timeout: .milliseconds(900))
                #expect(await [first, second] == ["error timeout", "error timeout"])
                // Far below 600 s, with room for a busy machine's scheduling delays (the full suite
                // keeps the cooperative pool busy for tens of seconds).
                #expect(ContinuousClock.now - start < .seconds(200))
            }
        }
    }

    @Test func aServerThatStopsMidBodyTimesOutAndTheNextRequestStillWorks() async throws {
        let calls = Atomic<Int>(0)
        try await LoopbackServer.with({ _ in
            calls.add(1, ordering: .relaxed).oldValue == 0
                ? .endless(
                    head: Array("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n".utf8), chunk: [0x61], pause: .milliseconds(50))
                : .response(status: 200, body: Array("fine".utf8))
        }) { server in
            try await withCurlTransport { transport in
                let slow = TransportRequest(method: "GET", url: server.baseURL + "/", timeout: .milliseconds(300))
                await #expect(throws: TransportError.self) { try await transport.send(slow) }
                let response = try await transport.send(TransportRequest(method: "GET", url: server.baseURL + "/"))
                #expect(String(decoding: response.body, as: UTF8.self) == "fine")
            }
        }
    }

    @Test func aClosedIPv6PortIsAConnectError() async throws {
        // The emulator listens on 127.0.0.1 only, so ::1 must be a connect error, not a hang or a crash.
        let port = closedLoopbackPort()
        try await withCurlTransport { transport in
            do {
                _ = try await transport.send(TransportRequest(method: "GET", url: "http://[::1]:\(port)/"))
                Issue.record("a closed port answered")
            } catch let error as TransportError {
                #expect(error.kind == .connect, "\(error)")
            }
        }
    }
}
