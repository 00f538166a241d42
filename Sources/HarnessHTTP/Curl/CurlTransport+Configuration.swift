extension CurlTransport {
    /// How a ``CurlTransport`` connects, times out and pools connections; the defaults suit a load test of one API.
    ///
    /// ```swift
    /// var configuration = CurlTransport.Configuration()
    /// configuration.timeout = .seconds(30)
    /// configuration.maxConnections = 256
    /// ```
    package struct Configuration: Sendable {
        /// Limit for opening a connection, TCP and TLS handshake included (default 10 s).
        package var connectTimeout: Duration = .seconds(10)

        /// Limit for a whole exchange when the request sets no `timeout` of its own (default 60 s).
        package var timeout: Duration = .seconds(60)

        /// Most connections open at once, and kept alive for reuse, across all hosts (default 1024).
        ///
        /// Requests beyond it wait inside the transport for a free connection, and that wait counts
        /// in their `elapsed`. HTTP/2 multiplexes many requests on one connection, so the limit
        /// mostly matters for HTTP/1.1.
        package var maxConnections: Int = 1024

        /// Most connections open at once to one host; nil leaves only ``maxConnections`` (default nil).
        ///
        /// Worth setting for HTTP/2: once a connection carries as many streams as the server allows
        /// (often 100), libcurl opens a new connection, with a new TLS handshake, for each further
        /// request, unless this cap makes them wait for a free stream instead.
        package var maxConnectionsPerHost: Int?

        /// The `User-Agent` header sent unless a request sets its own (default "sandbench/0.1").
        package var userAgent: String = "sandbench/0.1"

        /// A PEM file of CA certificates to trust instead of the system's, e.g. for a server with a
        /// self-signed certificate (default nil: the system's store).
        package var caBundlePath: String?

        /// Whether libcurl prints every exchange's protocol details to standard error (default false).
        package var verbose: Bool = false

        /// Whether plain `http://` requests to an IP literal go through the built-in HTTP/1.1
        /// client instead of libcurl (default true); it is not used with ``verbose`` or when a
        /// proxy is set in the environment (`http_proxy`, `all_proxy`).
        package var builtInHTTP1: Bool = true

        /// Largest response body accepted, in bytes (default 256 MiB, ``defaultMaxResponseBytes``).
        ///
        /// A body announced larger fails before it is read; one that grows larger (chunked, or sent
        /// until the connection closes) is stopped when it crosses the limit. Either way the request
        /// throws a `.protocolError` `TransportError` instead of allocating what the server sends.
        /// Response headers have a fixed cap of 1 MiB.
        package var maxResponseBytes: Int = Self.defaultMaxResponseBytes

        /// 256 MiB: well above the API's largest answer, an execute returning 100 MB of files, which
        /// is about 134 MB as base64 in JSON.
        package static let defaultMaxResponseBytes = 256 << 20

        /// Makes a configuration with the documented defaults, overriding the ones given.
        package init(
            connectTimeout: Duration = .seconds(10),
            timeout: Duration = .seconds(60),
            maxConnections: Int = 1024,
            maxConnectionsPerHost: Int? = nil,
            userAgent: String = "sandbench/0.1",
            caBundlePath: String? = nil,
            verbose: Bool = false,
            maxResponseBytes: Int = Self.defaultMaxResponseBytes,
            builtInHTTP1: Bool = true
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxConnections = maxConnections
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.userAgent = userAgent
            self.caBundlePath = caBundlePath
            self.verbose = verbose
            self.maxResponseBytes = maxResponseBytes
            self.builtInHTTP1 = builtInHTTP1
        }
    }
}

extension Duration {
    /// Longest timeout handed to libcurl: 100 days, far beyond any request, and far from the
    /// overflow of libcurl's millisecond arithmetic.
    static let curlMaxMilliseconds = 100 * 86_400 * 1000

    /// Whole milliseconds for a libcurl timeout option, in 1...``curlMaxMilliseconds``: at least 1
    /// because libcurl reads 0 as "never"; negative durations give 1.
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 1 }
        guard seconds < Int64(Self.curlMaxMilliseconds / 1000) else { return Self.curlMaxMilliseconds }
        // Both parts are now small: seconds below 8.64e6, attoseconds below 1e18.
        return min(Self.curlMaxMilliseconds, max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)))
    }
}
