import Foundation
package import HarnessCore
import Synchronization

/// The harness's HTTP client: libcurl's multi interface driven by one dedicated thread, so a single
/// process keeps thousands of requests in flight over kept-alive HTTP/1.1 and HTTP/2 connections.
///
/// Plain `http://` requests to an IP literal (the emulator, a local server under load) take a
/// shorter road by default: a built-in HTTP/1.1 client on a thread of its own (``HTTP1Driver``),
/// which costs a fraction of libcurl's CPU per request. Everything else, TLS, HTTP/2, host names
/// and proxies, goes through libcurl; ``Configuration/builtInHTTP1`` turns the short road off.
///
/// ```swift
/// try await withCurlTransport { transport in
///     let response = try await transport.send(TransportRequest(method: "GET", url: "http://127.0.0.1:8080/healthz"))
///     print(response.status, response.elapsed)
/// }
/// ```
///
/// Cancelling the sending task abandons the request and throws `.cancelled`. Call ``shutdown()``
/// when done (``withCurlTransport(configuration:isolation:_:)`` does it for you); a transport that
/// is released without it shuts down as it is deinitialised.
package final class CurlTransport: HTTPTransport {
    /// The settings this transport was made with.
    package let configuration: Configuration
    private let driver: CurlDriver
    private let http1: HTTP1Driver?
    /// The last URL the built-in client took, parsed: a load run sends one URL over and over.
    private let lastTarget = Mutex<(url: String, target: HTTP1Target)?>(nil)

    /// Starts a transport: creates libcurl's multi handle and its driver thread.
    /// - Throws: `TransportError` of kind `.other` when libcurl cannot be initialised.
    package init(configuration: Configuration = Configuration()) throws(TransportError) {
        self.configuration = configuration
        driver = try CurlDriver(configuration: configuration)
        if configuration.builtInHTTP1, !configuration.verbose, !Self.proxyConfigured() {
            do {
                http1 = try HTTP1Driver(
                    limits: HTTP1Loop.Limits(
                        maxConnections: configuration.maxConnections, maxConnectionsPerHost: configuration.maxConnectionsPerHost,
                        connectTimeout: Self.clamped(configuration.connectTimeout)))
            } catch {
                driver.shutdown()
                throw error
            }
        } else {
            http1 = nil
        }
    }

    /// The built-in client's target for `url`, or nil when libcurl must send it.
    private func http1Target(_ url: String) -> HTTP1Target? {
        if let hit = lastTarget.withLock({ last in last?.url == url ? last?.target : nil }) { return hit }
        guard let target = HTTP1Target(url: url) else { return nil }
        lastTarget.withLock { $0 = (url, target) }
        return target
    }

    /// Whether libcurl would send plain HTTP through a proxy (its environment variables), which
    /// only libcurl knows how to do.
    private static func proxyConfigured() -> Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["http_proxy", "all_proxy", "ALL_PROXY"].contains { !(environment[$0] ?? "").isEmpty }
    }

    /// A timeout as libcurl would apply it: at least 1 ms, at most 100 days.
    private static func clamped(_ timeout: Duration) -> Duration {
        .milliseconds(timeout.curlMilliseconds)
    }

    deinit {
        driver.shutdown()
        http1?.shutdown()
    }

    /// New connections opened so far; stays at 1 for many sequential requests to one host when
    /// keep-alive works.
    package var connectionsOpened: Int {
        driver.connectionsOpened.load(ordering: .relaxed) + (http1?.connectionsOpened.load(ordering: .relaxed) ?? 0)
    }

    /// Sends `request` and waits for the complete response; `elapsed` runs on a monotonic clock
    /// from when the driver thread starts the transfer (microseconds after this call: the hop is
    /// the harness's delay, not the server's; waiting for a free connection counts) until the last
    /// byte arrived.
    /// - Throws: `TransportError` when no HTTP response arrived (any status, 5xx included, is a
    ///   response, not an error).
    package func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let start = ContinuousClock.now
        if Task.isCancelled {
            throw TransportError(.cancelled, "the task was cancelled before the request was sent", url: request.url)
        }
        if let http1, let target = http1Target(request.url) {
            return try await send(request, to: target, through: http1)
        }
        let exchange = CurlExchange(handle: try driver.checkoutHandle(url: request.url), url: request.url, start: start)
        try exchange.configure(request, configuration)
        await exchange.hand(to: driver.inbox)
        return try exchange.outcome().get()
    }

    /// Sends `request` through the built-in HTTP/1.1 client; `elapsed` runs from when its thread
    /// takes the request up (just before writing it, or waiting for a free connection).
    private func send(_ request: TransportRequest, to target: HTTP1Target, through http1: HTTP1Driver) async throws(TransportError)
        -> TransportResponse
    {
        let encoded = try HTTP1RequestEncoder.encode(request, target: target, userAgent: configuration.userAgent)
        let bodyLimit = min(max(0, configuration.maxResponseBytes), request.maxResponseBytes.map { max(0, $0) } ?? Int.max)
        let exchange = HTTP1Exchange(
            url: request.url, endpoint: target.endpoint, encoded: encoded, timeout: Self.clamped(request.timeout ?? configuration.timeout),
            bodyLimit: bodyLimit)
        await exchange.hand(to: http1.inbox)
        return try exchange.outcome().get()
    }

    /// Stops the driver threads, failing requests still in flight with `.cancelled`; later sends
    /// fail the same way. Safe to call more than once. Blocks until the threads have exited: from
    /// async code use ``stop()``, which suspends instead.
    package func shutdown() {
        driver.shutdown()
        http1?.shutdown()
    }

    /// Stops the driver threads as ``shutdown()`` does, without blocking a thread of the
    /// cooperative pool while they exit.
    package func stop() async {
        await driver.stop()
        await http1?.stop()
    }
}

/// Runs `body` with a new ``CurlTransport`` and shuts the transport down when `body` returns or
/// throws.
///
/// ```swift
/// let status = try await withCurlTransport { transport in
///     try await transport.send(TransportRequest(method: "GET", url: url)).status
/// }
/// ```
package func withCurlTransport<Result>(
    configuration: CurlTransport.Configuration = CurlTransport.Configuration(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (CurlTransport) async throws -> Result
) async throws -> Result {
    let transport = try CurlTransport(configuration: configuration)
    do {
        let result = try await body(transport)
        await transport.stop()
        return result
    } catch {
        await transport.stop()
        throw error
    }
}
