import CCurl
import Foundation
import HarnessCore
import Synchronization

/// Owns a libcurl multi handle and the one thread that drives it, event by event.
///
/// The thread runs libcurl's socket interface over epoll: libcurl says which sockets to watch and
/// when its next timeout is due (two C callbacks in `CCurl`'s shim), the thread sleeps in
/// `epoll_wait` and hands libcurl only the sockets that are ready (`curl_multi_socket_action`), so a
/// wake-up costs in proportion to what happened, not to how many transfers are in flight.
///
/// Senders never touch the multi handle: they hand exchanges (and cancellations) over through a
/// ``DriverInbox``, which wakes the thread through an eventfd in the same epoll set while it sleeps. Finished
/// transfers resume their waiting tasks straight from the thread, with no hop through another task.
final class CurlDriver: @unchecked Sendable {
    /// `curl_global_init` must run once per process before any other libcurl call; a lazy static
    /// gives exactly that.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    /// Longest sleep without a libcurl timeout due: a safety net only, as wakeups arrive by eventfd.
    private static let idleWaitMilliseconds: Int32 = 1000

    private let multi: UnsafeMutableRawPointer
    private let epoll: Int32
    /// Where senders hand exchanges over.
    let inbox: DriverInbox<CurlExchange>
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` (monotonic ns, -1: never); written by the timer
    /// callback, on the driver thread only.
    private let timerDeadline: UnsafeMutablePointer<Int64>
    /// The socket callback's view of the epoll set and the multi handle.
    private let socketContext: UnsafeMutablePointer<sb_epoll_context>
    /// Easy handles of finished transfers, reused by later requests.
    private let idleHandles = Mutex<[CurlEasyHandle]>([])
    /// New connections opened so far (libcurl's `CURLINFO_NUM_CONNECTS`, summed).
    let connectionsOpened = Atomic<Int>(0)

    /// Creates the multi handle and its epoll set and starts the driver thread.
    init(configuration: CurlTransport.Configuration) throws(TransportError) {
        guard Self.globalInit == CURLE_OK, let multi = curl_multi_init() else {
            throw TransportError(.other, "libcurl could not be initialised; check that libcurl and its TLS library are installed", url: "")
        }
        let epoll = sb_epoll_new()
        guard epoll >= 0 else {
            let reason = String(cString: strerror(errno))
            curl_multi_cleanup(multi)
            throw TransportError(
                .other, "could not create the transport's epoll set (\(reason)); raise the open-file limit (ulimit -n)", url: "")
        }
        do { inbox = try DriverInbox(epoll: epoll, client: "transport") } catch {
            close(epoll)
            curl_multi_cleanup(multi)
            throw error
        }
        self.multi = multi
        self.epoll = epoll
        timerDeadline = .allocate(capacity: 1)
        timerDeadline.initialize(to: -1)
        socketContext = .allocate(capacity: 1)
        socketContext.initialize(to: sb_epoll_context(epfd: epoll, multi: multi))
        sb_multi_use_epoll(socketContext, timerDeadline)
        sb_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, configuration.maxConnections))
        sb_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max(1, configuration.maxConnections))
        sb_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, configuration.maxConnectionsPerHost ?? 0))
        sb_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        Thread { [self] in run() }.start()
    }

    deinit {
        // The thread holds `self` until it has exited, so nothing uses these any more.
        timerDeadline.deallocate()
        socketContext.deallocate()
    }

    /// An idle easy handle, or a new one.
    func checkoutHandle(url: String) throws(TransportError) -> CurlEasyHandle {
        if let handle = idleHandles.withLock({ $0.popLast() }) { return handle }
        guard let handle = CurlEasyHandle() else {
            throw TransportError(.other, "libcurl could not create a handle (out of memory?); lower the concurrency", url: url)
        }
        return handle
    }

    /// Stops the driver thread, failing every unfinished request with `.cancelled`, and waits for it.
    func shutdown() {
        inbox.stopAndWait()
    }

    /// Stops the thread as ``shutdown()`` does, suspending instead of blocking until it has exited.
    func stop() async {
        await inbox.stop()
    }

    // MARK: - Driver thread

    private func run() {
        Thread.current.name = "sandbench.curl"
        var adds: [CurlExchange] = []
        var cancels: [CurlExchange] = []
        var released: [CurlEasyHandle] = []
        var running: [UnsafeMutableRawPointer: CurlExchange] = [:]
        let capacity = 256
        let readyFDs = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let readyFlags = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        defer {
            readyFDs.deallocate()
            readyFlags.deallocate()
        }
        var active: Int32 = 0
        while true {
            // When stopping, leave the queue to stop(), which fails what is in it.
            if inbox.take(&adds, &cancels) { break }
            if !released.isEmpty {
                idleHandles.withLock { $0.append(contentsOf: released) }
                released.removeAll(keepingCapacity: true)
            }
            for exchange in adds {
                if exchange.isCancelRequested {
                    exchange.fail(DriverInbox<CurlExchange>.cancelledError(exchange.url))
                    released.append(exchange.handle)
                } else if curl_multi_add_handle(multi, exchange.handle.raw) == CURLM_OK {
                    // Timed from here, as wrk times from its write: the hop from the sending task to
                    // this thread is the harness's own delay, not the server's.
                    exchange.start = .now
                    // libcurl sets a 0 ms timer for the new transfer; the timeout below starts it.
                    running[exchange.handle.raw] = exchange
                } else {
                    exchange.fail(TransportError(.other, "libcurl could not start the request; retry it", url: exchange.url))
                }
            }
            adds.removeAll(keepingCapacity: true)
            for exchange in cancels where running[exchange.handle.raw] === exchange {
                running[exchange.handle.raw] = nil
                curl_multi_remove_handle(multi, exchange.handle.raw)
                exchange.fail(DriverInbox<CurlExchange>.cancelledError(exchange.url))
                released.append(exchange.handle)
            }
            cancels.removeAll(keepingCapacity: true)

            let wait = inbox.mayPark() ? sb_timeout_ms(timerDeadline.pointee, Self.idleWaitMilliseconds) : 0
            let ready = sb_epoll_wait(epoll, readyFDs, readyFlags, Int32(capacity), wait)
            for i in 0..<Int(max(0, ready)) {
                if readyFDs[i] == inbox.wakeup {
                    sb_wakeup_drain(inbox.wakeup)
                } else {
                    curl_multi_socket_action(multi, readyFDs[i], readyFlags[i], &active)
                }
            }
            if timerDeadline.pointee >= 0, timerDeadline.pointee <= sb_monotonic_ns() {
                // One-shot: libcurl sets a new timer from inside this call if it needs one.
                timerDeadline.pointee = -1
                curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &active)
            }
            finishCompleted(&running, released: &released)
        }
        stop(running: running)
    }

    /// Resumes every transfer libcurl reports as done and detaches its handle.
    private func finishCompleted(_ running: inout [UnsafeMutableRawPointer: CurlExchange], released: inout [CurlEasyHandle]) {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            // The message dies with curl_multi_remove_handle: read it first.
            let code = message.pointee.data.result
            guard let exchange = running.removeValue(forKey: easy) else { continue }
            curl_multi_remove_handle(multi, easy)
            connectionsOpened.add(exchange.handle.info(CURLINFO_NUM_CONNECTS), ordering: .relaxed)
            exchange.finish(code)
            released.append(exchange.handle)
        }
    }

    private func stop(running: [UnsafeMutableRawPointer: CurlExchange]) {
        // Senders see `stopping` and queue nothing more, so this empties the queue for good.
        idleHandles.withLock { $0.removeAll() }
        let pending = inbox.leftovers()
        for (easy, exchange) in running {
            curl_multi_remove_handle(multi, easy)
            exchange.fail(DriverInbox<CurlExchange>.shutDownError(exchange.url))
        }
        for exchange in pending {
            exchange.fail(DriverInbox<CurlExchange>.shutDownError(exchange.url))
        }
        // Cleaning up may still call the socket callback, so the epoll set goes last.
        curl_multi_cleanup(multi)
        close(inbox.wakeup)
        close(epoll)
        inbox.driverExited()
    }
}
