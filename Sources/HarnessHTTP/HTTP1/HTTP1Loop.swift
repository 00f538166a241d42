import CCurl
import Glibc
import HarnessCore

/// One TCP connection of the built-in HTTP/1.1 client. Driver thread only.
final class HTTP1Connection {
    let fd: Int32
    let endpoint: HTTP1Endpoint
    var connected = false
    var connectDeadline: ContinuousClock.Instant
    /// The exchange it carries; nil while idle in the pool.
    var exchange: HTTP1Exchange?
    /// Responses it has completed: a request on a connection that served none is not sent again.
    var served = 0
    /// Whether EPOLLOUT is registered (only while connecting or a write is incomplete).
    var watchingWrites = true
    /// When it last went back to the pool.
    var idleSince = ContinuousClock.now

    init(fd: Int32, endpoint: HTTP1Endpoint, connectDeadline: ContinuousClock.Instant) {
        self.fd = fd
        self.endpoint = endpoint
        self.connectDeadline = connectDeadline
    }
}

/// The built-in HTTP/1.1 client's state and its reactions to socket events, owned by the driver
/// thread (``HTTP1Driver``): connections by descriptor, kept-alive ones pooled per endpoint,
/// requests waiting for a free connection, and the deadlines of all of them.
///
/// A request costs, in the steady state of a kept-alive connection, one `send` and one `read`:
/// each connection stays registered for reading from its connect to its close, and for writing
/// only while a write is incomplete, so no `epoll_ctl` runs per request.
final class HTTP1Loop {
    /// Limits the loop keeps to.
    struct Limits {
        var maxConnections: Int
        var maxConnectionsPerHost: Int?
        var connectTimeout: Duration
    }

    private let epoll: Int32
    private let limits: Limits
    /// Counts a new connection, for ``CurlTransport/connectionsOpened``.
    private let opened: () -> Void
    private var connections: [HTTP1Connection?] = []
    private var idle: [HTTP1Endpoint: [HTTP1Connection]] = [:]
    private var perHost: [HTTP1Endpoint: Int] = [:]
    private var open = 0
    /// Requests waiting for a connection, oldest first.
    private var waiting: [HTTP1Exchange] = []
    /// ``pumpWaiting()`` is running (it closes and opens connections, which would call it again).
    private var pumping = false
    /// A pooled connection idle longer than this is closed instead of reused, as libcurl does
    /// (118 s): a middlebox may have dropped it without a word.
    static let maxIdle: Duration = .seconds(118)
    /// No deadline falls before this; ``expire(now:)`` looks again from then on.
    private var nextDeadline: ContinuousClock.Instant?
    private let buffer: UnsafeMutableRawBufferPointer

    init(epoll: Int32, limits: Limits, opened: @escaping () -> Void) {
        self.epoll = epoll
        self.limits = limits
        self.opened = opened
        buffer = .allocate(byteCount: 64 << 10, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Takes up a new request: times it from now and sends it as soon as a connection is free.
    func take(_ exchange: HTTP1Exchange, now: ContinuousClock.Instant) {
        exchange.start = now
        exchange.deadline = now + exchange.timeout
        note(exchange.deadline)
        dispatch(exchange, now: now)
    }

    /// Drops `exchange` and throws `.cancelled` to its task, unless it has finished already.
    func cancel(_ exchange: HTTP1Exchange, error: TransportError) {
        if let connection = exchange.connection, connection.exchange === exchange {
            exchange.fail(error)
            close(connection) // clears both sides' references
        } else if let index = waiting.firstIndex(where: { $0 === exchange }) {
            waiting.remove(at: index)
            exchange.fail(error)
        }
    }

    /// Milliseconds `epoll_wait` may sleep: until the next deadline, at most `cap`.
    func waitMilliseconds(now: ContinuousClock.Instant, cap: Int32) -> Int32 {
        guard let nextDeadline else { return cap }
        guard nextDeadline > now else { return 0 }
        let (seconds, attoseconds) = (nextDeadline - now).components
        guard seconds < Int64(cap / 1000) else { return cap }
        // Rounded up, so a deadline is never checked early; both parts are small here.
        return Int32(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// Reacts to epoll's `flags` (libcurl's CURL_CSELECT_* bits) for descriptor `fd`.
    func handle(fd: Int32, flags: Int32) {
        guard fd >= 0, Int(fd) < connections.count, let connection = connections[Int(fd)] else { return }
        if !connection.connected {
            let error = sb_socket_error(fd)
            guard error == 0 else {
                connection.exchange?.fail(connectError(connection, errno: error))
                close(connection)
                return
            }
            guard flags & (CURL_CSELECT_OUT | CURL_CSELECT_ERR | CURL_CSELECT_IN) != 0 else { return }
            connection.connected = true
            opened()
            write(connection)
            return
        }
        if flags & CURL_CSELECT_OUT != 0, let exchange = connection.exchange, exchange.written < exchange.request.count {
            write(connection)
        }
        if flags & (CURL_CSELECT_IN | CURL_CSELECT_ERR) != 0, connections[Int(fd)] === connection {
            read(connection)
        }
    }

    /// Fails every request whose deadline has passed, and its connection with it.
    func expire(now: ContinuousClock.Instant) {
        guard let deadline = nextDeadline, deadline <= now else { return }
        nextDeadline = nil
        // Waiting requests first: closing an expired connection below starts waiting ones, whose
        // deadlines are noted as they start.
        waiting.removeAll { exchange in
            guard exchange.deadline <= now else {
                note(exchange.deadline)
                return false
            }
            exchange.fail(timeoutError(exchange, connecting: false))
            return true
        }
        for case let connection? in connections {
            guard let exchange = connection.exchange else { continue }
            if !connection.connected, connection.connectDeadline <= now {
                exchange.fail(timeoutError(exchange, connecting: true))
                close(connection)
            } else if exchange.deadline <= now {
                exchange.fail(timeoutError(exchange, connecting: false))
                close(connection)
            } else {
                note(connection.connected ? exchange.deadline : min(exchange.deadline, connection.connectDeadline))
            }
        }
    }

    /// Closes every connection and fails every request still in the loop with `error`.
    func shutdown(_ error: (String) -> TransportError) {
        for case let connection? in connections {
            connection.exchange?.fail(error(connection.exchange?.url ?? ""))
            connection.exchange = nil
            Glibc.close(connection.fd)
        }
        connections.removeAll()
        idle.removeAll()
        for exchange in waiting { exchange.fail(error(exchange.url)) }
        waiting.removeAll()
    }

    // MARK: - Connections

    private func note(_ deadline: ContinuousClock.Instant) {
        if nextDeadline.map({ deadline < $0 }) ?? true { nextDeadline = deadline }
    }

    /// Sends `exchange` on a pooled connection, or queues it behind any older waiting request and
    /// lets the queue move.
    private func dispatch(_ exchange: HTTP1Exchange, now: ContinuousClock.Instant) {
        if waiting.isEmpty, let connection = pooled(exchange.endpoint, now: now) {
            assign(exchange, to: connection)
        } else {
            waiting.append(exchange)
            pumpWaiting(now: now)
        }
    }

    /// A kept-alive connection to `endpoint` that is safe to reuse; stale ones are closed on the way.
    private func pooled(_ endpoint: HTTP1Endpoint, now: ContinuousClock.Instant) -> HTTP1Connection? {
        while let connection = idle[endpoint]?.popLast() {
            if now - connection.idleSince < Self.maxIdle { return connection }
            close(connection)
        }
        return nil
    }

    private func mayOpen(_ endpoint: HTTP1Endpoint) -> Bool {
        open < max(1, limits.maxConnections) && perHostAllows(endpoint)
    }

    private func perHostAllows(_ endpoint: HTTP1Endpoint) -> Bool {
        guard let perHostLimit = limits.maxConnectionsPerHost, perHostLimit > 0 else { return true }
        return perHost[endpoint, default: 0] < perHostLimit
    }

    /// Starts every waiting request that can start, oldest first: on a pooled connection, on a new
    /// one, or, when only the overall limit stands in the way, on a new one in place of a pooled
    /// connection to another endpoint. A request held back by its own endpoint's limit does not
    /// hold back requests to other endpoints; an expired one is failed instead of started.
    private func pumpWaiting(now: ContinuousClock.Instant) {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        var index = 0
        while index < waiting.count {
            let exchange = waiting[index]
            if exchange.deadline <= now {
                waiting.remove(at: index)
                exchange.fail(timeoutError(exchange, connecting: false))
            } else if let connection = pooled(exchange.endpoint, now: now) {
                waiting.remove(at: index)
                assign(exchange, to: connection)
            } else if mayOpen(exchange.endpoint) {
                waiting.remove(at: index)
                connect(exchange, now: now)
            } else if perHostAllows(exchange.endpoint), let endpoint = idle.first(where: { !$0.value.isEmpty })?.key,
                let victim = idle[endpoint]?.popLast()
            {
                close(victim)
                waiting.remove(at: index)
                connect(exchange, now: now)
            } else {
                index += 1
            }
        }
    }

    private func connect(_ exchange: HTTP1Exchange, now: ContinuousClock.Instant) {
        var error: Int32 = 0
        let endpoint = exchange.endpoint
        let fd = endpoint.address.withUnsafeBufferPointer { address in
            sb_h1_connect(endpoint.family, address.baseAddress, Int32(endpoint.port), &error)
        }
        guard fd >= 0 else {
            exchange.fail(connectError(endpoint, url: exchange.url, errno: error))
            return
        }
        guard sb_epoll_watch(epoll, EPOLL_CTL_ADD, fd, 1) == 0 else {
            let reason = errno
            Glibc.close(fd)
            exchange.fail(connectError(endpoint, url: exchange.url, errno: reason))
            return
        }
        let connection = HTTP1Connection(fd: fd, endpoint: endpoint, connectDeadline: now + limits.connectTimeout)
        note(connection.connectDeadline)
        if Int(fd) >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - connections.count))
        }
        connections[Int(fd)] = connection
        open += 1
        perHost[endpoint, default: 0] += 1
        connection.exchange = exchange
        exchange.connection = connection
        exchange.written = 0
        note(exchange.deadline)
    }

    private func assign(_ exchange: HTTP1Exchange, to connection: HTTP1Connection) {
        connection.exchange = exchange
        exchange.connection = connection
        exchange.written = 0
        note(exchange.deadline)
        write(connection)
    }

    private func write(_ connection: HTTP1Connection) {
        guard let exchange = connection.exchange else { return }
        while exchange.written < exchange.request.count {
            let sent = exchange.request.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return 0 }
                return sb_send(connection.fd, base + exchange.written, bytes.count - exchange.written)
            }
            if sent > 0 {
                exchange.written += sent
            } else if sent < 0, errno == EINTR {
                continue
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                watchWrites(connection, true)
                return
            } else {
                broken(connection, errno: sent < 0 ? errno : EPIPE)
                return
            }
        }
        watchWrites(connection, false)
    }

    private func watchWrites(_ connection: HTTP1Connection, _ writable: Bool) {
        guard connection.watchingWrites != writable else { return }
        connection.watchingWrites = writable
        _ = sb_epoll_watch(epoll, EPOLL_CTL_MOD, connection.fd, writable ? 1 : 0)
    }

    private func read(_ connection: HTTP1Connection) {
        while true {
            let count = Glibc.read(connection.fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                guard let exchange = connection.exchange else {
                    close(connection) // bytes nobody asked for on an idle connection: it cannot be trusted again
                    return
                }
                if exchange.firstByte == nil { exchange.firstByte = .now }
                let progress: HTTP1ResponseParser.Progress
                do {
                    progress = try exchange.parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                } catch {
                    exchange.fail(parseError(error, exchange))
                    close(connection)
                    return
                }
                switch progress {
                case .needMore:
                    if count < buffer.count { return }
                case .complete(let consumed):
                    // A read that filled the buffer may have left more bytes queued: not reused then.
                    complete(connection, exchange, extraBytes: consumed < count || count == buffer.count)
                    return
                }
            } else if count == 0 {
                closedByPeer(connection)
                return
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else {
                broken(connection, errno: errno)
                return
            }
        }
    }

    private func complete(_ connection: HTTP1Connection, _ exchange: HTTP1Exchange, extraBytes: Bool) {
        let reusable = exchange.parser.keepAlive && !exchange.closes && !extraBytes && exchange.written == exchange.request.count
        connection.exchange = nil
        exchange.connection = nil
        connection.served += 1
        exchange.finish(at: .now)
        if reusable { release(connection) } else { close(connection) }
    }

    /// A kept-alive connection is free: the oldest request waiting for its endpoint gets it;
    /// otherwise it goes to the pool, from where a request held back by the overall limit may have
    /// it closed to open its own.
    private func release(_ connection: HTTP1Connection) {
        if let index = waiting.firstIndex(where: { $0.endpoint == connection.endpoint }) {
            assign(waiting.remove(at: index), to: connection)
            return
        }
        connection.idleSince = .now
        idle[connection.endpoint, default: []].append(connection)
        if !waiting.isEmpty { pumpWaiting(now: connection.idleSince) }
    }

    private func closedByPeer(_ connection: HTTP1Connection) {
        guard let exchange = connection.exchange else {
            close(connection)
            return
        }
        if retryOnNewConnection(connection, exchange) { return }
        do {
            try exchange.parser.finishAtClose()
            connection.exchange = nil
            exchange.connection = nil
            exchange.finish(at: .now)
        } catch {
            exchange.fail(parseError(error, exchange))
        }
        close(connection)
    }

    private func broken(_ connection: HTTP1Connection, errno code: Int32) {
        if let exchange = connection.exchange, !retryOnNewConnection(connection, exchange) {
            let reason = String(cString: strerror(code))
            exchange.fail(
                TransportError(
                    .other, "the connection to \(Self.describe(connection.endpoint)) broke (\(reason)) before the answer was complete",
                    url: exchange.url))
        }
        close(connection)
    }

    /// A kept-alive connection the server had closed before any of the answer came: the request
    /// goes out once more on another connection, as libcurl does.
    private func retryOnNewConnection(_ connection: HTTP1Connection, _ exchange: HTTP1Exchange) -> Bool {
        guard connection.served > 0, !exchange.parser.started, !exchange.retried else { return false }
        exchange.retried = true
        connection.exchange = nil
        exchange.connection = nil
        // Not through the pool: its other connections may have been closed by the same server.
        // The slot just freed is this endpoint's, so the new connection stays within the limits.
        let wasPumping = pumping
        pumping = true
        close(connection)
        pumping = wasPumping
        connect(exchange, now: .now)
        if !waiting.isEmpty { pumpWaiting(now: .now) }
        return true
    }

    private func close(_ connection: HTTP1Connection) {
        let fd = Int(connection.fd)
        guard fd < connections.count, connections[fd] === connection else { return }
        connections[fd] = nil
        Glibc.close(connection.fd) // also leaves the epoll set
        open -= 1
        perHost[connection.endpoint, default: 1] -= 1
        if connection.exchange == nil, var pool = idle[connection.endpoint], let index = pool.firstIndex(where: { $0 === connection }) {
            pool.remove(at: index)
            idle[connection.endpoint] = pool
        }
        connection.exchange?.connection = nil
        connection.exchange = nil
        // A slot is free: waiting requests may start now.
        if !waiting.isEmpty { pumpWaiting(now: .now) }
    }

    // MARK: - Errors

    private func connectError(_ connection: HTTP1Connection, errno code: Int32) -> TransportError {
        connectError(connection.endpoint, url: connection.exchange?.url ?? "", errno: code)
    }

    private func connectError(_ endpoint: HTTP1Endpoint, url: String, errno code: Int32) -> TransportError {
        let reason = String(cString: strerror(code))
        return TransportError(
            .connect,
            "could not connect to \(Self.describe(endpoint)) (\(reason)); check that the server is running and the host and port are right",
            url: url)
    }

    private func timeoutError(_ exchange: HTTP1Exchange, connecting: Bool) -> TransportError {
        let limit = connecting ? limits.connectTimeout : exchange.timeout
        let what = connecting ? "connecting took longer than \(limit)" : "no complete answer within \(limit)"
        return TransportError(
            .timeout,
            "\(what) (\(exchange.parser.body.count) body bytes received); the server did not answer in time; "
                + "raise the timeout or check the server's load", url: exchange.url)
    }

    private func parseError(_ error: any Error, _ exchange: HTTP1Exchange) -> TransportError {
        guard let failure = error as? HTTP1ResponseParser.Failure else {
            return TransportError(.other, "\(error)", url: exchange.url)
        }
        let message =
            switch failure {
            case .notHTTP: "the server's answer is not HTTP/1.x; check the URL points at an HTTP server"
            case .malformed(let what): "the server's answer is not valid HTTP (\(what)); check the URL points at an HTTP server"
            case .headersTooLarge:
                "the response headers are larger than \(HTTP1ResponseParser.maxHeaderBytes) bytes, so the transfer was stopped"
            case .bodyTooLarge:
                "the response body is larger than the limit of \(exchange.parser.bodyLimit) bytes, so the transfer was stopped; "
                    + "raise CurlTransport.Configuration.maxResponseBytes (sandbench: --max-response-bytes) "
                    + "if the server really sends that much"
            case .closedEarly(let nothing):
                nothing
                    ? "the server sent nothing: it closed the connection before its answer was complete"
                    : "the server closed the connection before its answer was complete"
            }
        return TransportError(.protocolError, message, url: exchange.url)
    }

    private static func describe(_ endpoint: HTTP1Endpoint) -> String {
        var text = [CChar](repeating: 0, count: 64)
        let family = endpoint.family
        _ = endpoint.address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, 64) }
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(host)]:\(endpoint.port)" : "\(host):\(endpoint.port)"
    }
}
