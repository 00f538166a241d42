import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import SandboxAPI
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

extension EmulatorResponder {
    /// Waits out the decided delay, then answers an injected error or resets the connection;
    /// nil when the request is to be served (possibly with a body fault).
    func injectBeforeServing(_ decision: FaultDecision, context: Context) async throws -> Response? {
        if decision.delay > .zero { try? await Self.pause(until: .now + decision.delay) }
        switch decision.outcome {
        case .error(let status, _, let retryAfter):
            return Self.injectedError(status: status, retryAfter: retryAfter)
        case .reset:
            try await Self.reset(context.channel)
        default:
            return nil
        }
    }

    /// Sleeps until `deadline`; throws `CancellationError` early when the task is cancelled or the
    /// server begins a graceful shutdown, so injected delays never hold up SIGTERM.
    static func pause(until deadline: ContinuousClock.Instant) async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(until: deadline, tolerance: .zero, clock: .continuous) }
    }

    /// A Google error body with `status` (and `Retry-After` in whole seconds, rounded up).
    static func injectedError(status: Int, retryAfter: Duration?) -> Response {
        let code = Self.statusCode(forHTTP: status)
        var error: [String: JSONValue] = [
            "code": .number(Double(status)),
            "message": .string("Injected fault: \(code.rawValue) (\(status)) from the emulator's fault plan."),
            "status": .string(code.rawValue)
        ]
        var retryAfterSeconds: Int64?
        if let retryAfter {
            let nanoseconds = FaultDecision.nanoseconds(retryAfter)
            let seconds = nanoseconds / 1_000_000_000 + (nanoseconds % 1_000_000_000 > 0 ? 1 : 0)
            error["details"] = [["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": .string("\(seconds)s")]]
            retryAfterSeconds = seconds
        }
        var response = json(["error": .object(error)], status: status)
        if let retryAfterSeconds { response.headers[.retryAfter] = String(retryAfterSeconds) }
        return response
    }

    /// The canonical status Google's front ends pair with an HTTP status.
    static func statusCode(forHTTP status: Int) -> StatusCode {
        switch status {
        case 400: .invalidArgument
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .aborted
        case 429: .resourceExhausted
        case 499: .cancelled
        case 500: .internal
        case 501: .unimplemented
        case 503: .unavailable
        case 504: .deadlineExceeded
        case 400..<500: .failedPrecondition
        default: .unknown
        }
    }

    /// Closes the connection with a TCP reset (SO_LINGER 0) before anything is written, then throws
    /// so Hummingbird drops the request (its attempt to write a 500 fails on the closed channel).
    static func reset(_ channel: any Channel) async throws -> Never {
        if let options = channel as? any SocketOptionProvider {
            try? await options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
        throw InjectedFault.reset
    }

    /// Wraps the response body for a `slow_body` or `truncate` outcome.
    static func injectIntoBody(_ fault: FaultAction, of response: inout Response, channel: any Channel) {
        let original = response.body
        let length = original.contentLength
        switch fault {
        case .truncate:
            response.body = ResponseBody(contentLength: length) { writer in
                try await original.write(TruncatingBodyWriter(base: writer, remaining: (length ?? 0) / 2, channel: channel))
            }
        case .slowBody(let bytesPerSecond, _):
            response.body = ResponseBody(contentLength: length) { writer in
                try await original.write(ThrottledBodyWriter(base: writer, bytesPerSecond: bytesPerSecond))
            }
        default:
            break
        }
    }
}

/// Thrown to make Hummingbird close a connection on purpose.
enum InjectedFault: Error {
    case reset
    case truncated
}

/// Passes on the first `remaining` bytes of a body, then closes the connection.
struct TruncatingBodyWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    var remaining: Int
    let channel: any Channel

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        if buffer.readableBytes < remaining {
            remaining -= buffer.readableBytes
            try await base.write(buffer)
            return
        }
        if remaining > 0, let head = buffer.readSlice(length: remaining) { try await base.write(head) }
        remaining = 0
        try await cut()
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await cut()
    }

    /// Shuts the output down once the bytes written so far have left (a plain close would drop
    /// queued writes of a large body), then fails so Hummingbird closes the connection.
    private func cut() async throws -> Never {
        try? await channel.close(mode: .output)
        throw InjectedFault.truncated
    }
}

/// Passes a body on in small writes, none earlier than the rate allows: byte `n` leaves no sooner
/// than `n / bytesPerSecond` seconds after the first. When the server begins a graceful shutdown,
/// the rest goes at once.
struct ThrottledBodyWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let bytesPerSecond: Int
    private let start = ContinuousClock.now
    private var sent = 0
    private var shuttingDown = false

    init(base: any ResponseBodyWriter, bytesPerSecond: Int) {
        self.base = base
        self.bytesPerSecond = max(1, bytesPerSecond)
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        // About ten writes a second, so the pace is visible to a client at any rate.
        let chunk = min(max(1, bytesPerSecond / 10), 64 << 10)
        while buffer.readableBytes > 0, let slice = buffer.readSlice(length: min(chunk, buffer.readableBytes)) {
            if !shuttingDown {
                do {
                    try await EmulatorResponder.pause(until: start + offset(of: sent))
                } catch {
                    // Cancelled: drop the connection. A graceful shutdown: finish the body now.
                    try Task.checkCancellation()
                    shuttingDown = true
                }
            }
            try await base.write(slice)
            sent += slice.readableBytes
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }

    /// When byte `bytes` may leave, relative to the first: `bytes / bytesPerSecond` seconds.
    private func offset(of bytes: Int) -> Duration {
        let (scaled, overflow) = bytes.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .seconds(Int64(clamping: bytes / bytesPerSecond)) }
        return .nanoseconds(Int64(clamping: scaled / bytesPerSecond))
    }
}
