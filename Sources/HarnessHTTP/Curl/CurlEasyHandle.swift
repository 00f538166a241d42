import CCurl

/// One libcurl easy handle with its error buffer, pooled by ``CurlDriver`` so each request reuses
/// a handle's internal buffers instead of allocating new ones.
///
/// Used by one thread at a time: the sender while configuring it, then the driver thread while it
/// is attached to the multi handle.
final class CurlEasyHandle: @unchecked Sendable {
    /// The `CURL *`.
    let raw: UnsafeMutableRawPointer
    /// libcurl's human-readable detail for the last failure (`CURLOPT_ERRORBUFFER`).
    let errorBuffer: UnsafeMutablePointer<CChar>
    /// Whether the handle carried a request before, so its options must be reset.
    var used = false

    /// Creates a handle, or returns nil when libcurl cannot allocate one.
    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// The detail libcurl wrote for the last failure, or nil when it wrote none.
    var errorDetail: String? {
        errorBuffer.pointee == 0 ? nil : String(cString: errorBuffer)
    }

    /// Sets a numeric option.
    @discardableResult
    func set(_ option: CURLoption, _ value: Int) -> CURLcode {
        sb_easy_setopt_long(raw, option, value)
    }

    /// Sets a string option; libcurl copies the string.
    @discardableResult
    func set(_ option: CURLoption, _ value: String) -> CURLcode {
        value.withCString { sb_easy_setopt_ptr(raw, option, $0) }
    }

    /// Sets a pointer option; the pointee must outlive the transfer unless libcurl copies it.
    @discardableResult
    func set(_ option: CURLoption, pointer: UnsafeRawPointer?) -> CURLcode {
        sb_easy_setopt_ptr(raw, option, pointer)
    }

    /// Reads a numeric transfer detail, or 0 when libcurl has none.
    func info(_ item: CURLINFO) -> Int {
        var value = 0
        return sb_easy_getinfo_long(raw, item, &value) == CURLE_OK ? value : 0
    }
}
