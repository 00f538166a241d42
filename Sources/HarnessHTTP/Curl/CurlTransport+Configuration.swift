extension CurlTransport {
    /// How a ``CurlTransport`` connects, times out and pools connections; the defaults suit a load test of one API.
    ///
    /// ```swift
    /// var configuration = CurlTransport.Configuration()
    /// configuration.timeout = .seconds(30)
    /// configuration.maxConnections = 256
    /// ```
    public struct Configuration: Sendable {
        /// Limit for opening a connection, TCP and TLS handshake included (default 10 s).
        public var connectTimeout: Duration = .seconds(10)

        /// Limit for a whole exchange when the request sets no `timeout` of its own (default 60 s).
        public var timeout: Duration = .seconds(60)

        /// Most connections open at once, and kept alive for reuse, across all hosts (default 1024).
        ///
        /// Requests beyond it wait inside the transport for a free connection, and that wait counts
        /// in their `elapsed`. HTTP/2 multiplexes many requests on one connection, so the limit
        /// mostly matters for HTTP/1.1.
        public var maxConnections: Int = 1024

        /// Most connections open at once to one host; nil leaves only ``maxConnections`` (default nil).
        ///
        /// Worth setting for HTTP/2: once a connection carries as many streams as the server allows
        /// (often 100), libcurl opens a new connection, with a new TLS handshake, for each further
        /// request, unless this cap makes them wait for a free stream instead.
        public var maxConnectionsPerHost: Int?

        /// The `User-Agent` header sent unless a request sets its own (default "sandbench/0.1").
        public var userAgent: String = "sandbench/0.1"

        /// A PEM file of CA certificates to trust instead of the system's, e.g. for a server with a
        /// self-signed certificate (default nil: the system's store).
        public var caBundlePath: String?

        /// Whether libcurl prints every exchange's protocol details to standard error (default false).
        public var verbose: Bool = false

        /// Makes a configuration with the documented defaults, overriding the ones given.
        public init(
            connectTimeout: Duration = .seconds(10),
            timeout: Duration = .seconds(60),
            maxConnections: Int = 1024,
            maxConnectionsPerHost: Int? = nil,
            userAgent: String = "sandbench/0.1",
            caBundlePath: String? = nil,
            verbose: Bool = false
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxConnections = maxConnections
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.userAgent = userAgent
            self.caBundlePath = caBundlePath
            self.verbose = verbose
        }
    }
}

extension Duration {
    /// Whole milliseconds for a libcurl timeout option, at least 1 because libcurl reads 0 as "never".
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        guard !milliseconds.overflow else { return Int.max }
        return max(1, Int(milliseconds.partialValue + attoseconds / 1_000_000_000_000_000))
    }
}
