import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests that need answers the emulator does not give:
/// canned statuses and headers, garbage, bodies that never end, or no answer at all. One thread
/// per connection. Shared by the HTTP tests and the end-to-end tests of the built binary.
package final class LoopbackServer: Sendable {
    /// A request as the server read it.
    package struct Request: Sendable {
        package var method: String
        package var path: String
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]

        package func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// What the server does with a request.
    package enum Reply: Sendable {
        /// A well-formed response; `Content-Length` is added.
        case response(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [])
        /// These bytes verbatim, then the connection closes.
        case raw([UInt8])
        /// Nothing, until the client goes away.
        case silence
        /// `head` verbatim, then `chunk` over and over (waiting `pause` between chunks, if given)
        /// until the client goes away: a body that never ends.
        case endless(head: [UInt8], chunk: [UInt8], pause: Duration? = nil)
    }

    package let port: Int
    package var baseURL: String { "http://127.0.0.1:\(port)" }

    private let listener: Int32
    private let respond: @Sendable (Request) -> Reply
    private let openConnections = Mutex<Set<Int32>>([])
    private let log = Mutex<[Request]>([])
    private let arrivals: AsyncStream<Request>.Continuation
    /// Every request, as it arrives: lets a test wait for the server instead of sleeping.
    package let requests: AsyncStream<Request>

    /// Starts listening on a free loopback port.
    package init(_ respond: @escaping @Sendable (Request) -> Reply) throws {
        self.respond = respond
        (requests, arrivals) = AsyncStream.makeStream(of: Request.self)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 1024) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Runs `body` with a running server and stops it afterwards, also when `body` throws.
    package static func with<T>(
        _ respond: @escaping @Sendable (Request) -> Reply,
        _ body: (LoopbackServer) async throws -> T
    ) async throws -> T {
        let server = try LoopbackServer(respond)
        defer { server.stop() }
        return try await body(server)
    }

    /// Requests received so far.
    package var received: [Request] { log.withLock { $0 } }

    /// Stops accepting and drops every connection.
    package func stop() {
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        openConnections.withLock { connections in
            for connection in connections { Glibc.shutdown(connection, Int32(SHUT_RDWR)) }
        }
        arrivals.finish()
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                break
            }
            openConnections.withLock { _ = $0.insert(connection) }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
        close(listener)
    }

    private func serve(_ connection: Int32) {
        defer {
            openConnections.withLock { _ = $0.remove(connection) }
            close(connection)
        }
        var buffer: [UInt8] = []
        while let request = readRequest(connection, &buffer) {
            log.withLock { $0.append(request) }
            arrivals.yield(request)
            switch respond(request) {
            case .response(let status, let headers, let body):
                var head = "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.count)\r\n"
                for header in headers { head += "\(header.name): \(header.value)\r\n" }
                guard write(connection, Array((head + "\r\n").utf8) + body) else { return }
            case .raw(let bytes):
                _ = write(connection, bytes)
                return
            case .silence:
                var scratch = [UInt8](repeating: 0, count: 1024)
                while recv(connection, &scratch, scratch.count, 0) > 0 {}
                return
            case .endless(let head, let chunk, let pause):
                guard write(connection, head) else { return }
                // Pacing the hostile server's own output, not synchronising the test.
                while write(connection, chunk) {
                    if let pause {
                        Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18)
                    }
                }
                return
            }
        }
    }

    /// Reads one request (head, then `Content-Length` bytes of body), or nil when the peer closed.
    private func readRequest(_ connection: Int32, _ buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            if let end = buffer.firstRange(of: separator)?.upperBound {
                headEnd = end
                break
            }
            guard receive(connection, into: &buffer) else { return nil }
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: buffer[..<(headEnd - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        while buffer.count < headEnd + length {
            guard receive(connection, into: &buffer) else { return nil }
        }
        let request = Request(
            method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
            body: Array(buffer[headEnd..<(headEnd + length)]))
        buffer.removeFirst(headEnd + length)
        return request
    }

    private func receive(_ connection: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let count = recv(connection, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private func write(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }
}

/// A loopback port with nothing listening on it: bound without listening, then closed.
package func closedLoopbackPort() -> Int {
    let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(probe) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) == 0 ? getsockname(probe, $0, &length) : -1 }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
