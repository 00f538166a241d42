import CCurl
import HarnessCore
import Synchronization

/// One request in flight: the configured easy handle, the response as libcurl delivers it, and the
/// continuation of the task waiting for it.
///
/// The sender configures it, then hands it to the driver under the driver's lock; from then on only
/// the driver thread touches it, except ``cancelRequested``.
final class CurlExchange: @unchecked Sendable {
    /// How the transfer ended, as the driver thread saw it.
    enum Completion {
        case response(status: Int, end: ContinuousClock.Instant, firstByteToEnd: Duration?)
        case failure(TransportError)
    }

    let handle: CurlEasyHandle
    let url: String
    /// When the request was handed to the transport; `elapsed` counts from here.
    let start: ContinuousClock.Instant
    /// Set by task cancellation from any thread; the driver then drops the transfer.
    let cancelRequested = Atomic<Bool>(false)
    var continuation: UnsafeContinuation<Void, Never>?
    private var completion: Completion?
    /// Publishes the driver thread's writes to the resumed task. The continuation already orders
    /// them, but inside the uninstrumented runtime, where ThreadSanitizer cannot see it.
    private let completed = Atomic<Bool>(false)

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var rawHeaders: [UInt8] = []
    private var responseBody: [UInt8] = []
    /// `TransportRequest.maxResponseBytes`; the write callback refuses bytes beyond it.
    private var maxResponseBytes = Int.max
    private var responseTooLarge = false

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
        maxResponseBytes = request.maxResponseBytes.map { max(0, $0) } ?? Int.max
        responseTooLarge = false
        sb_easy_setopt_write_cb(handle.raw) { data, size, count, context in
            guard let data, let context else { return 0 }
            let (bytes, overflow) = size.multipliedReportingOverflow(by: count)
            let exchange = Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
            guard !overflow, bytes <= exchange.maxResponseBytes - exchange.responseBody.count else {
                exchange.responseTooLarge = true
                return 0  // libcurl ends the transfer with CURLE_WRITE_ERROR
            }
            exchange.responseBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: bytes))
            return bytes
        }
        handle.set(CURLOPT_WRITEDATA, pointer: context)
        sb_easy_setopt_header_cb(handle.raw) { data, size, count, context in
            guard let data, let context else { return 0 }
            let bytes = size * count
            Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
                .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: bytes))
            return bytes
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
            body = []  // sends `Content-Length: 0`, which servers expect for these methods
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

    /// Collects one raw response header line; a status line starts a new header block, so only the
    /// final response's headers remain (after `100 Continue` or a proxy's `CONNECT` answer). The
    /// lines are parsed by the waiting task, off the driver thread.
    private func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) {
            rawHeaders.removeAll(keepingCapacity: true)
        } else {
            rawHeaders.append(contentsOf: line)
        }
    }

    /// Records how libcurl finished the transfer and resumes the waiting task. Driver thread only,
    /// before the handle goes back to the pool: the task reads nothing from the handle.
    func finish(_ code: CURLcode) {
        if code == CURLE_OK {
            // libcurl times from when the driver started the transfer, a little after `start`; what
            // it measures from the first byte to the end is exact, so count back from the end.
            var total: curl_off_t = 0, startTransfer: curl_off_t = 0
            var lastBytes: Duration?
            if sb_easy_getinfo_off(handle.raw, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK,
               sb_easy_getinfo_off(handle.raw, CURLINFO_STARTTRANSFER_TIME_T, &startTransfer) == CURLE_OK,
               startTransfer > 0, total >= startTransfer {
                lastBytes = .microseconds(total - startTransfer)
            }
            completion = .response(status: handle.info(CURLINFO_RESPONSE_CODE), end: .now, firstByteToEnd: lastBytes)
        } else if responseTooLarge {
            let message = "the response body is larger than the \(maxResponseBytes) bytes allowed"
            completion = .failure(TransportError(.protocolError, message, url: url))
        } else {
            completion = .failure(TransportError(curlCode: code, detail: handle.errorDetail, url: url))
        }
        completed.store(true, ordering: .releasing)
        continuation?.resume()
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
            return .success(TransportResponse(status: status, headers: Self.parseHeaders(rawHeaders), body: responseBody, elapsed: elapsed,
                                              firstByte: firstByteToEnd.map { max(.zero, elapsed - $0) }))
        case .failure(let error):
            return .failure(error)
        case nil:
            return .failure(TransportError(.other, "the request ended without a result; this is a bug in CurlTransport", url: url))
        }
    }

    /// Splits `Name: value` lines; continuation lines and the blank end line are skipped.
    static func parseHeaders(_ raw: [UInt8]) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for line in raw.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            var valueStart = colon + 1
            var valueEnd = line.endIndex
            while valueStart < valueEnd, line[valueStart] <= UInt8(ascii: " ") { valueStart += 1 }
            while valueEnd > valueStart, line[valueEnd - 1] <= UInt8(ascii: " ") { valueEnd -= 1 }
            headers.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: line[valueStart..<valueEnd], as: UTF8.self)))
        }
        return headers
    }
}
