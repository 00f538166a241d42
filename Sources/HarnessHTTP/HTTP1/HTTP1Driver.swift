import CCurl
import Foundation
import HarnessCore
import Synchronization

/// The thread of the built-in HTTP/1.1 client: an epoll loop over plain sockets (``HTTP1Loop``).
///
/// It takes the `http://` requests to IP literals off libcurl, which spends more CPU on each than
/// the whole exchange costs here (a load test's harness must not be the bottleneck). Senders hand
/// exchanges over through a ``DriverInbox``, as to ``CurlDriver``; finished exchanges resume their
/// tasks straight from the thread.
final class HTTP1Driver: @unchecked Sendable {
    /// Longest sleep with no deadline due: a safety net only, as wakeups arrive by eventfd.
    private static let idleWaitMilliseconds: Int32 = 1000

    private let epoll: Int32
    /// Where senders hand exchanges over.
    let inbox: DriverInbox<HTTP1Exchange>
    private let limits: HTTP1Loop.Limits
    /// New connections opened so far.
    let connectionsOpened = Atomic<Int>(0)

    /// Creates the epoll set and starts the thread.
    init(limits: HTTP1Loop.Limits) throws(TransportError) {
        let epoll = sb_epoll_new()
        guard epoll >= 0 else {
            let reason = String(cString: strerror(errno))
            throw TransportError(
                .other, "could not create the HTTP/1.1 client's epoll set (\(reason)); raise the open-file limit (ulimit -n)", url: "")
        }
        do { inbox = try DriverInbox(epoll: epoll, client: "HTTP/1.1 client") } catch {
            close(epoll)
            throw error
        }
        self.epoll = epoll
        self.limits = limits
        Thread { [self] in run() }.start()
    }

    /// Stops the thread, failing every unfinished request with `.cancelled`, and waits for it.
    func shutdown() {
        inbox.stopAndWait()
    }

    /// Stops the thread as ``shutdown()`` does, suspending instead of blocking until it has exited.
    func stop() async {
        await inbox.stop()
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
        while !inbox.take(&adds, &cancels) {
            let now = ContinuousClock.now
            for exchange in adds {
                if exchange.isCancelRequested {
                    exchange.fail(DriverInbox<HTTP1Exchange>.cancelledError(exchange.url))
                } else {
                    loop.take(exchange, now: now)
                }
            }
            adds.removeAll(keepingCapacity: true)
            for exchange in cancels { loop.cancel(exchange, error: DriverInbox<HTTP1Exchange>.cancelledError(exchange.url)) }
            cancels.removeAll(keepingCapacity: true)

            let wait = inbox.mayPark() ? loop.waitMilliseconds(now: .now, cap: Self.idleWaitMilliseconds) : 0
            let ready = sb_epoll_wait(epoll, readyFDs, readyFlags, Int32(capacity), wait)
            for i in 0..<Int(max(0, ready)) {
                if readyFDs[i] == inbox.wakeup {
                    sb_wakeup_drain(inbox.wakeup)
                } else {
                    loop.handle(fd: readyFDs[i], flags: readyFlags[i])
                }
            }
            loop.expire(now: .now)
        }
        loop.shutdown(DriverInbox<HTTP1Exchange>.shutDownError)
        for exchange in inbox.leftovers() { exchange.fail(DriverInbox<HTTP1Exchange>.shutDownError(exchange.url)) }
        close(inbox.wakeup)
        close(epoll)
        inbox.driverExited()
    }
}
