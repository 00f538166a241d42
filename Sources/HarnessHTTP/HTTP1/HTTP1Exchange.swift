import HarnessCore
import Synchronization

/// One request for the built-in HTTP/1.1 client: its encoded bytes, the response as it is parsed,
/// and the continuation of the task waiting for it.
///
/// The sender builds it and hands it to the driver under the driver's lock; from then on only the
/// driver thread touches it, except its cancellation flag.
final class HTTP1Exchange: DriverExchange, @unchecked Sendable {
    let url: String
    let endpoint: HTTP1Endpoint
    let request: [UInt8]
    /// The request asks for the connection to close afterwards.
    let closes: Bool
    /// Limit for the whole exchange, counted from when the driver takes it up.
    let timeout: Duration
    /// Set by task cancellation from any thread; the driver then drops the exchange.
    private let cancelRequested = Atomic<Bool>(false)
    var isCancelRequested: Bool { cancelRequested.load(ordering: .acquiring) }
    func requestCancel() { cancelRequested.store(true, ordering: .releasing) }
    var continuation: UnsafeContinuation<Void, Never>?

    // Driver thread only, until `completed` is set.
    var parser: HTTP1ResponseParser
    /// When the driver took the exchange up; `elapsed` counts from here, as wrk counts from its write.
    var start = ContinuousClock.now
    var firstByte: ContinuousClock.Instant?
    var deadline = ContinuousClock.now
    /// How much of ``request`` is written on the current connection.
    var written = 0
    /// Whether this exchange was already sent again after a kept-alive connection turned out closed.
    var retried = false
    /// The connection carrying it, while one does (set and cleared by the driver thread only).
    var connection: HTTP1Connection?

    private var completion: Result<ContinuousClock.Instant, TransportError>?
    /// Publishes the driver thread's writes to the resumed task (see ``CurlExchange``).
    private let completed = Atomic<Bool>(false)

    init(url: String, endpoint: HTTP1Endpoint, encoded: HTTP1RequestEncoder.Encoded, timeout: Duration, bodyLimit: Int) {
        self.url = url
        self.endpoint = endpoint
        request = encoded.bytes
        closes = encoded.closes
        self.timeout = timeout
        parser = HTTP1ResponseParser(isHead: encoded.isHead, bodyLimit: bodyLimit)
    }

    /// Records the complete response and resumes the waiting task. Driver thread only.
    func finish(at end: ContinuousClock.Instant) {
        completion = .success(end)
        completed.store(true, ordering: .releasing)
        continuation?.resume()
    }

    /// Resumes the waiting task with `error`. Touches nothing the driver thread reads (it may run
    /// on the sending task, for a request failed before the driver saw it).
    func fail(_ error: TransportError) {
        completion = .failure(error)
        completed.store(true, ordering: .releasing)
        continuation?.resume()
    }

    /// The response or failure, built by the resumed task.
    func outcome() -> Result<TransportResponse, TransportError> {
        guard completed.load(ordering: .acquiring), let completion else {
            return .failure(TransportError(.other, "the request ended without a result; this is a bug in the HTTP/1.1 client", url: url))
        }
        switch completion {
        case .success(let end):
            let elapsed = end - start
            return .success(
                TransportResponse(
                    status: parser.status, headerLines: parser.rawHeaders, body: parser.body, elapsed: elapsed,
                    firstByte: firstByte.map { max(.zero, $0 - start) }))
        case .failure(let error):
            return .failure(error)
        }
    }
}
