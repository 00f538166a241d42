package import HarnessCore
import Synchronization

/// The harness's HTTP client: libcurl's multi interface driven by one dedicated thread, so a single
/// process keeps thousands of requests in flight over kept-alive HTTP/1.1 and HTTP/2 connections.
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

    /// Starts a transport: creates libcurl's multi handle and its driver thread.
    /// - Throws: `TransportError` of kind `.other` when libcurl cannot be initialised.
    package init(configuration: Configuration = Configuration()) throws(TransportError) {
        self.configuration = configuration
        driver = try CurlDriver(configuration: configuration)
    }

    deinit {
        driver.shutdown()
    }

    /// New connections opened so far; stays at 1 for many sequential requests to one host when
    /// keep-alive works.
    package var connectionsOpened: Int {
        driver.connectionsOpened.load(ordering: .relaxed)
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
        let exchange = CurlExchange(handle: try driver.checkoutHandle(url: request.url), url: request.url, start: start)
        try exchange.configure(request, configuration)
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                exchange.continuation = continuation
                driver.submit(exchange)
            }
        } onCancel: {
            driver.cancel(exchange)
        }
        return try exchange.outcome().get()
    }

    /// Stops the driver thread, failing requests still in flight with `.cancelled`; later sends
    /// fail the same way. Safe to call more than once.
    package func shutdown() {
        driver.shutdown()
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
    defer { transport.shutdown() }
    return try await body(transport)
}
