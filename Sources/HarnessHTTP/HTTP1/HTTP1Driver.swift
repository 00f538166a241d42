import CCurl
import Foundation
import HarnessCore
import Synchronization

/// The thread of the built-in HTTP/1.1 client: an epoll loop over plain sockets (``HTTP1Loop``).
///
/// It takes the `http://` requests to IP literals off libcurl, which spends more CPU on each than
/// the whole exchange costs here (a load test's harness must not be the bottleneck). Senders hand
/// exchanges over under a lock and wake the thread through an eventfd only while it sleeps, as
/// ``CurlDriver`` does; finished exchanges resume their tasks straight from the thread.
final class HTTP1Driver: @unchecked Sendable {
    private struct State {
        var pending: [HTTP1Exchange] = []
        var cancelled: [HTTP1Exchange] = []
        var sleeping = false
        var wakeupSent = false
        var stopping = false
    }

    /// Longest sleep with no deadline due: a safety net only, as wakeups arrive by eventfd.
    private static let idleWaitMilliseconds: Int32 = 1000

    private let epoll: Int32
    private let wakeup: Int32
    private let limits: HTTP1Loop.Limits
    private let state = Mutex(State())
    private let exited = DispatchSemaphore(value: 0)
    /// New connections opened so far.
    let connectionsOpened = Atomic<Int>(0)

    /// Creates the epoll set and starts the thread.
    init(limits: HTTP1Loop.Limits) throws(TransportError) {
        let epoll = sb_epoll_new()
        let wakeup = epoll >= 0 ? sb_wakeup_new(epoll) : -1
        guard wakeup >= 0 else {
            let reason = String(cString: strerror(errno))
            if epoll >= 0 { close(epoll) }
            throw TransportError(
                .other, "could not create the HTTP/1.1 client's epoll set (\(reason)); raise the open-file limit (ulimit -n)", url: "")
        }
        self.epoll = epoll
        self.wakeup = wakeup
        self.limits = limits
        Thread { [self] in run() }.start()
    }

    /// Queues `exchange` for the thread, or fails it at once when shut down or already cancelled.
    func submit(_ exchange: HTTP1Exchange) {
        enum Decision { case wake, queued, shutDown, cancelled }
        let decision: Decision = state.withLock { state in
            if state.stopping { return .shutDown }
            if exchange.cancelRequested.load(ordering: .acquiring) { return .cancelled }
            state.pending.append(exchange)
            if !state.sleeping || state.wakeupSent { return .queued }
            state.wakeupSent = true
            return .wake
        }
        switch decision {
        case .wake: sb_wakeup_signal(wakeup)
        case .queued: break
        case .shutDown: exchange.fail(Self.shutDownError(exchange.url))
        case .cancelled: exchange.fail(Self.cancelledError(exchange.url))
        }
    }

    /// Asks the thread to drop `exchange` and throw `.cancelled` to its task.
    func cancel(_ exchange: HTTP1Exchange) {
        exchange.cancelRequested.store(true, ordering: .releasing)
        let wake = state.withLock { state in
            guard !state.stopping else { return false }
            state.cancelled.append(exchange)
            return true
        }
        if wake { sb_wakeup_signal(wakeup) }
    }

    /// Stops the thread, failing every unfinished request with `.cancelled`, and waits for it.
    func shutdown() {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { sb_wakeup_signal(wakeup) }
        exited.wait()
        exited.signal() // let any other caller through as well
    }

    private func run() {
        Thread.current.name = "sandbench.http1"
        let loop = HTTP1Loop(epoll: epoll, limits: limits) { [self] in connectionsOpened.add(1, ordering: .relaxed) }
        var adds: [HTTP1Exchange] = []
        var cancels: [HTTP1Exchange] = []
        let capacity = 256
        let readyFDs = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let readyFlags = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        defer {
            readyFDs.deallocate()
            readyFlags.deallocate()
        }
        while true {
            let stopping = state.withLock { state in
                state.sleeping = false
                state.wakeupSent = false
                guard !state.stopping else { return true }
                swap(&adds, &state.pending)
                swap(&cancels, &state.cancelled)
                return false
            }
            if stopping { break }
            let now = ContinuousClock.now
            for exchange in adds {
                if exchange.cancelRequested.load(ordering: .acquiring) {
                    exchange.fail(Self.cancelledError(exchange.url))
                } else {
                    loop.take(exchange, now: now)
                }
            }
            adds.removeAll(keepingCapacity: true)
            for exchange in cancels { loop.cancel(exchange, error: Self.cancelledError(exchange.url)) }
            cancels.removeAll(keepingCapacity: true)

            let idle = state.withLock { state in
                state.sleeping = state.pending.isEmpty && state.cancelled.isEmpty && !state.stopping
                return state.sleeping
            }
            let wait = idle ? loop.waitMilliseconds(now: .now, cap: Self.idleWaitMilliseconds) : 0
            let ready = sb_epoll_wait(epoll, readyFDs, readyFlags, Int32(capacity), wait)
            for i in 0..<Int(max(0, ready)) {
                if readyFDs[i] == wakeup {
                    sb_wakeup_drain(wakeup)
                } else {
                    loop.handle(fd: readyFDs[i], flags: readyFlags[i])
                }
            }
            loop.expire(now: .now)
        }
        // Senders see `stopping` and queue nothing more, so this empties the queue for good.
        let pending = state.withLock { state in
            state.cancelled.removeAll()
            defer { state.pending.removeAll() }
            return state.pending
        }
        loop.shutdown(Self.shutDownError)
        for exchange in pending { exchange.fail(Self.shutDownError(exchange.url)) }
        close(wakeup)
        close(epoll)
        exited.signal()
    }

    private static func shutDownError(_ url: String) -> TransportError {
        TransportError(
            .cancelled,
            "the transport was shut down before the request finished; send requests only inside withCurlTransport or before shutdown()",
            url: url)
    }

    private static func cancelledError(_ url: String) -> TransportError {
        TransportError(.cancelled, "the task was cancelled, so the request was abandoned", url: url)
    }
}
