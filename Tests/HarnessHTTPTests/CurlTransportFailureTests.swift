import Foundation
import HarnessCore
import HarnessHTTP
import TestServers
import Testing

/// Sends `request` and returns the transport error it must end with.
func transportError(_ transport: some HTTPTransport, _ request: TransportRequest) async -> TransportError? {
    do {
        let response = try await transport.send(request)
        Issue.record("expected a transport error, got status \(response.status)")
        return nil
    } catch {
        return error
    }
}

@Suite struct CurlTransportFailureTests {
    @Test func closedPortIsAConnectError() async throws {
        let url = "http://127.0.0.1:\(closedLoopbackPort())/healthz"
        try await withCurlTransport { transport in
            let error = await transportError(transport, TransportRequest(method: "GET", url: url))
            #expect(error?.kind == .connect)
            #expect(error?.url == url)
            #expect(error?.message.contains("check that the server is running") == true)
        }
    }

    @Test func silentServerTimesOutAtTheRequestTimeout() async throws {
        try await LoopbackServer.with({ _ in .silence }) { server in
            try await withCurlTransport(configuration: .init(timeout: .seconds(120))) { transport in
                let started = ContinuousClock.now
                let error = await transportError(
                    transport, TransportRequest(method: "GET", url: server.baseURL, timeout: .milliseconds(300)))
                let waited = ContinuousClock.now - started
                #expect(error?.kind == .timeout)
                // Far below the configured 120 s, with room for a busy machine's scheduling delays.
                #expect(waited >= .milliseconds(250) && waited < .seconds(60))
            }
        }
    }

    @Test func configuredTimeoutAppliesWhenTheRequestHasNone() async throws {
        try await LoopbackServer.with({ _ in .silence }) { server in
            try await withCurlTransport(configuration: .init(timeout: .milliseconds(200))) { transport in
                let error = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
                #expect(error?.kind == .timeout)
            }
        }
    }

    @Test func garbageAnswerIsAProtocolError() async throws {
        try await LoopbackServer.with({ _ in .raw(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8)) }) { server in
            try await withCurlTransport { transport in
                let error = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
                #expect(error?.kind == .protocolError)
            }
        }
    }

    @Test func aResponseOverTheLimitFailsAndOneAtTheLimitArrives() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        try await LoopbackServer.with({ _ in .response(status: 200, body: body) }) { server in
            try await withCurlTransport { transport in
                let limited = TransportRequest(method: "GET", url: server.baseURL, maxResponseBytes: body.count - 1)
                let error = await transportError(transport, limited)
                #expect(error?.kind == .protocolError)
                #expect(error?.message.contains("larger than the limit of \(body.count - 1) bytes") == true, "\(String(describing: error))")
                let response = try await transport.send(TransportRequest(method: "GET", url: server.baseURL, maxResponseBytes: body.count))
                #expect(response.body == body)
            }
        }
    }

    @Test(arguments: ["ftp://127.0.0.1:1/file", "file:///etc/passwd", "not a url"])
    func nonHTTPURLsAreRefused(url: String) async throws {
        try await withCurlTransport { transport in
            let error = await transportError(transport, TransportRequest(method: "GET", url: url))
            #expect(error?.message.contains("http://") == true)
        }
    }

    @Test func tlsToAPlainHTTPPortIsATLSError() async throws {
        try await withTestEmulator { base in
            try await withCurlTransport { transport in
                let url = base.replacingOccurrences(of: "http://", with: "https://") + "/healthz"
                let error = await transportError(transport, TransportRequest(method: "GET", url: url))
                #expect(error?.kind == .tls)
            }
        }
    }

    @Test func cancellingTheTaskAbandonsTheRequest() async throws {
        try await LoopbackServer.with({ _ in .silence }) { server in
            try await withCurlTransport { transport in
                let task = Task {
                    await transportError(transport, TransportRequest(method: "GET", url: server.baseURL, timeout: .seconds(120)))
                }
                var arrivals = server.requests.makeAsyncIterator()
                _ = await arrivals.next() // the request is on the wire
                task.cancel()
                let error = await task.value
                #expect(error?.kind == .cancelled) // a timeout would say `.timeout`
                // The transport still works after a cancellation.
                _ = await transportError(transport, TransportRequest(method: "GET", url: "http://127.0.0.1:\(closedLoopbackPort())"))
            }
        }
    }

    @Test func alreadyCancelledTaskSendsNothing() async throws {
        try await LoopbackServer.with({ _ in .response(status: 200) }) { server in
            try await withCurlTransport { transport in
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
                }
                #expect(await task.value?.kind == .cancelled)
            }
            #expect(server.received.isEmpty)
        }
    }

    @Test func shutdownFailsRequestsInFlightAndLater() async throws {
        try await LoopbackServer.with({ _ in .silence }) { server in
            let transport = try CurlTransport()
            async let inFlight = transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
            var arrivals = server.requests.makeAsyncIterator()
            _ = await arrivals.next()
            transport.shutdown()
            #expect(await inFlight?.kind == .cancelled)
            let later = await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))
            #expect(later?.kind == .cancelled)
            #expect(later?.message.contains("shut down") == true)
            transport.shutdown() // idempotent
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func shutdownWhileRequestsPourInFailsEveryOne() async throws {
        try await LoopbackServer.with({ _ in .silence }) { server in
            let transport = try CurlTransport()
            let kinds = await withTaskGroup(of: TransportError.Kind?.self) { group in
                for index in 0..<300 {
                    group.addTask { await transportError(transport, TransportRequest(method: "GET", url: server.baseURL))?.kind }
                    if index == 150 { transport.shutdown() }
                }
                return await group.reduce(into: [TransportError.Kind?]()) { $0.append($1) }
            }
            #expect(kinds.count == 300)
            #expect(kinds.allSatisfy { $0 == .cancelled })
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellationRacingCompletionAlwaysEnds() async throws {
        try await LoopbackServer.with({ _ in .response(status: 200) }) { server in
            try await withCurlTransport { transport in
                var outcomes: [String: Int] = [:]
                for round in 0..<300 {
                    let task = Task { try await transport.send(TransportRequest(method: "GET", url: server.baseURL)).status }
                    for _ in 0..<(round % 4) { await Task.yield() }
                    task.cancel()
                    switch await task.result {
                    case .success(let status): outcomes["\(status)", default: 0] += 1
                    case .failure(let error as TransportError): outcomes[error.kind.rawValue, default: 0] += 1
                    case .failure(let error): Issue.record("unexpected error \(error)")
                    }
                }
                #expect(Set(outcomes.keys).isSubset(of: ["200", "cancelled"]))
                #expect(outcomes.values.reduce(0, +) == 300)
            }
        }
    }

    @Test func withCurlTransportShutsDownWhenTheBodyThrows() async throws {
        struct Planned: Error {}
        var escaped: CurlTransport?
        await #expect(throws: Planned.self) {
            try await withCurlTransport { transport in
                escaped = transport
                throw Planned()
            }
        }
        let transport = try #require(escaped)
        let error = await transportError(transport, TransportRequest(method: "GET", url: "http://127.0.0.1:1/"))
        #expect(error?.message.contains("shut down") == true)
    }
}
