import CCurl
import HarnessCore
import Synchronization

/// One request in flight: the configured easy handle, the response as libcurl delivers it, and the
/// continuation of the task waiting for it.
///
/// The sender configures it, then hands it to the driver under the driver's lock; from then on only
/// the driver thread touches it, except its cancellation flag.
final class CurlExchange: DriverExchange, @unchecked Sendable {
    /// How the transfer ended, as the driver thread saw it.
    enum Completion {
        case response(status: Int, end: ContinuousClock.Instant, firstByteToEnd: Duration?)
        case failure(TransportError)
    }

    let handle: CurlEasyHandle
    let url: String
    /// When the driver thread handed the transfer to libcurl; `elapsed` counts from here. Set
    /// to the send time at first, then by the driver (only it touches the exchange by then).
    var start: ContinuousClock.Instant
    /// Set by task cancellation from any thread; the driver then drops the transfer.
    private let cancelRequested = Atomic<Bool>(false)
    var isCancelRequested: Bool { cancelRequested.load(ordering: .acquiring) }
    func requestCancel() { cancelRequested.store(true, ordering: .releasing) }
    var continuation: UnsafeContinuation<Void, Never>?
    private var completion: Completion?
    /// Publishes the driver thread's writes to the resumed task. The continuation already orders
    /// them, but inside the uninstrumented runtime, where ThreadSanitizer cannot see it.
    private let completed = Atomic<Bool>(false)

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var rawHeaders: [UInt8] = []
    private var responseBody: [UInt8] = []
    /// Most body bytes kept (``CurlTransport/Configuration/maxResponseBytes``).
    private var bodyLimit = 0
    /// Which limit the server's answer broke, when the transfer was stopped for it.
    private var exceeded: ExceededLimit?

    /// A response part that grew past its cap, so the transfer was stopped.
    private enum ExceededLimit {
        case body, headers
    }

    /// Most bytes of response headers kept (1 MiB), whatever the server sends; libcurl's own
    /// limits apply per line.
    static let maxHeaderBytes = 1 << 20

    init(handle: CurlEasyHandle, url: String, start: ContinuousClock.Instant) {
        self.handle = handle
        self.url = url
        self.start = start
    }

    deinit {
        curl_slist_free_all(headerList)
    }

    /// Sets every option `request` needs on the (reset) handle, or says why it cannot be sent.
    func configure(_ request: TransportRequest, _ configuration: CurlTransport.Configuration) throws(TransportError) {
        if handle.used { curl_easy_reset(handle.raw) }
        handle.used = true
        handle.errorBuffer.pointee = 0
        guard handle.set(CURLOPT_URL, request.url) == CURLE_OK else {
            throw TransportError(.other, "libcurl rejected the URL; pass an absolute http:// or https:// URL", url: request.url)
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        handle.set(CURLOPT_NOSIGNAL, 1)
        handle.set(CURLOPT_PROTOCOLS_STR, "http,https")
        handle.set(CURLOPT_ERRORBUFFER, pointer: handle.errorBuffer)
        // The transport's cap, lowered further by a request that asks for less (the recorder does).
        bodyLimit = min(max(0, configuration.maxResponseBytes), request.maxResponseBytes.map { max(0, $0) } ?? Int.max)
        // A body announced larger than the cap fails before any of it is read; one without a
        // length (chunked, or until close) is stopped by the write callback when it gets there.
        sb_easy_setopt_off(handle.raw, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(bodyLimit))
        // Returning fewer bytes than given makes libcurl stop the transfer with CURLE_WRITE_ERROR.
        sb_easy_setopt_write_cb(handle.raw) { data, size, count, context in
            guard let data, let context else { return 0 }
            let (bytes, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { return 0 }
            let accepted = Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
                .receiveBody(UnsafeRawBufferPointer(start: data, count: bytes))
            return accepted ? bytes : 0
        }
        handle.set(CURLOPT_WRITEDATA, pointer: context)
        sb_easy_setopt_header_cb(handle.raw) { data, size, count, context in
            guard let data, let context else { return 0 }
            let (bytes, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { return 0 }
            let accepted = Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
                .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: bytes))
            return accepted ? bytes : 0
        }
        handle.set(CURLOPT_HEADERDATA, pointer: context)
        handle.set(CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.curlMilliseconds)
        handle.set(CURLOPT_TIMEOUT_MS, (request.timeout ?? configuration.timeout).curlMilliseconds)
        handle.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        if request.url.utf8.starts(with: "https:".utf8) {
            // Wait for an HTTP/2 connection being set up rather than opening another one beside it.
            handle.set(CURLOPT_PIPEWAIT, 1)
        }
        handle.set(CURLOPT_USERAGENT, configuration.userAgent)
        if let caBundlePath = configuration.caBundlePath { handle.set(CURLOPT_CAINFO, caBundlePath) }
        if configuration.verbose { handle.set(CURLOPT_VERBOSE, 1) }
        configureMethod(request)
        configureHeaders(request.headers)
    }

    private func configureMethod(_ request: TransportRequest) {
        let method = request.method.uppercased()
        var body = request.body
        if body == nil, method == "POST" || method == "PUT" || method == "PATCH" {
            body = [] // sends `Content-Length: 0`, which servers expect for these methods
        }
        guard let body else {
            switch method {
            case "GET": handle.set(CURLOPT_HTTPGET, 1)
            case "HEAD": handle.set(CURLOPT_NOBODY, 1)
            default: handle.set(CURLOPT_CUSTOMREQUEST, request.method)
            }
            return
        }
        sb_easy_setopt_off(handle.raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        body.withUnsafeBytes { bytes in
            // COPYPOSTFIELDS copies now, so the body need not outlive this call; an empty body
            // still needs a non-null pointer, any will do.
            _ = handle.set(CURLOPT_COPYPOSTFIELDS, pointer: bytes.baseAddress ?? UnsafeRawPointer(handle.errorBuffer))
        }
        if method != "POST" { handle.set(CURLOPT_CUSTOMREQUEST, request.method) }
    }

    private func configureHeaders(_ headers: [(name: String, value: String)]) {
        curl_slist_free_all(headerList)
        // An empty `Expect:` stops libcurl waiting for `100 Continue` before large bodies; an empty
        // `Content-Type:` stops it claiming every body is a form unless the request says so.
        var list = curl_slist_append(nil, "Expect:")
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            list = curl_slist_append(list, "Content-Type:")
        }
        for header in headers {
            // libcurl drops `Name:` with no value; `Name;` sends it empty.
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            list = curl_slist_append(list, line)
        }
        headerList = list
        handle.set(CURLOPT_HTTPHEADER, pointer: list)
    }

    /// Collects body bytes up to the cap; false (stop the transfer) once the body would exceed it.
    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= bodyLimit - responseBody.count else {
            exceeded = .body
            return false
        }
        responseBody.append(contentsOf: bytes)
        return true
    }

    /// Collects one raw response header line; a status line starts a new header block, so only the
    /// final response's headers remain (after `100 Continue` or a proxy's `CONNECT` answer). The
    /// lines are parsed by the waiting task, off the driver thread. False (stop the transfer) once
    /// the block would exceed ``maxHeaderBytes``.
    private func receiveHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool {
        if line.starts(with: "HTTP/".utf8) {
            rawHeaders.removeAll(keepingCapacity: true)
            return true
        }
        guard line.count <= Self.maxHeaderBytes - rawHeaders.count else {
            exceeded = .headers
            return false
        }
        rawHeaders.append(contentsOf: line)
        return true
    }

    /// Records how libcurl finished the transfer and resumes the waiting task. Driver thread only,
    /// before the handle goes back to the pool: the task reads nothing from the handle.
    func finish(_ code: CURLcode) {
        if let exceeded, code != CURLE_OK {
            completion = .failure(tooLargeError(exceeded))
        } else if code == CURLE_FILESIZE_EXCEEDED {
            completion = .failure(tooLargeError(.body))
        } else if code == CURLE_OK {
            // libcurl times from when the driver started the transfer, a little after `start`; what
            // it measures from the first byte to the end is exact, so count back from the end.
            var total: curl_off_t = 0
            var startTransfer: curl_off_t = 0
            var lastBytes: Duration?
            if sb_easy_getinfo_off(handle.raw, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK,
                sb_easy_getinfo_off(handle.raw, CURLINFO_STARTTRANSFER_TIME_T, &startTransfer) == CURLE_OK,
                startTransfer > 0, total >= startTransfer
            {
                lastBytes = .microseconds(total - startTransfer)
            }
            completion = .response(status: handle.info(CURLINFO_RESPONSE_CODE), end: .now, firstByteToEnd: lastBytes)
        } else {
            completion = .failure(TransportError(curlCode: code, detail: handle.errorDetail, url: url))
        }
        completed.store(true, ordering: .releasing)
        continuation?.resume()
    }

    /// The error for a response that broke a cap: the server's answer, not the network, is at fault.
    private func tooLargeError(_ part: ExceededLimit) -> TransportError {
        switch part {
        case .body:
            TransportError(
                .protocolError,
                "the response body is larger than the limit of \(bodyLimit) bytes, so the transfer was stopped; "
                    + "raise CurlTransport.Configuration.maxResponseBytes (sandbench: --max-response-bytes) "
                    + "if the server really sends that much",
                url: url)
        case .headers:
            TransportError(
                .protocolError, "the response headers are larger than \(Self.maxHeaderBytes) bytes, so the transfer was stopped",
                url: url)
        }
    }

    /// Resumes the waiting task with `error`.
    func fail(_ error: TransportError) {
        completion = .failure(error)
        completed.store(true, ordering: .releasing)
        continuation?.resume()
    }

    /// The response or failure, built by the resumed task.
    func outcome() -> Result<TransportResponse, TransportError> {
        guard completed.load(ordering: .acquiring) else {
            return .failure(TransportError(.other, "the request ended without a result; this is a bug in CurlTransport", url: url))
        }
        switch completion {
        case .response(let status, let end, let firstByteToEnd):
            let elapsed = end - start
            return .success(
                TransportResponse(
                    status: status, headerLines: rawHeaders, body: responseBody, elapsed: elapsed,
                    firstByte: firstByteToEnd.map { max(.zero, elapsed - $0) }))
        case .failure(let error):
            return .failure(error)
        case nil:
            return .failure(TransportError(.other, "the request ended without a result; this is a bug in CurlTransport", url: url))
        }
    }
}
