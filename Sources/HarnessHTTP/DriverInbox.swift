import CCurl
import Dispatch
import Glibc
import HarnessCore
import Synchronization

/// A request as a transport's driver thread queues it: failed once by whoever ends it first.
protocol DriverExchange: AnyObject, Sendable {
    /// The request's URL, for errors.
    var url: String { get }
    /// Whether the task was cancelled (from any thread); the driver then drops the exchange.
    var isCancelRequested: Bool { get }
    /// Marks the exchange cancelled; any thread.
    func requestCancel()
    /// Resumes the waiting task with `error`.
    func fail(_ error: TransportError)
    /// The waiting task, set before the exchange is handed over.
    var continuation: UnsafeContinuation<Void, Never>? { get set }
}

extension DriverExchange {
    /// Hands the exchange to `inbox`'s driver thread and waits until it ends; cancelling the task
    /// asks the driver to drop it.
    func hand(to inbox: DriverInbox<Self>) async {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                self.continuation = continuation
                inbox.submit(self)
            }
        } onCancel: {
            inbox.cancel(self)
        }
    }
}

/// The hand-over between the tasks that send and a driver thread (``CurlDriver``,
/// ``HTTP1Driver``): new and cancelled exchanges queue under one lock, and an eventfd in the
/// driver's epoll set wakes it, only while it sleeps; a busy driver picks new work up on its next
/// round by itself.
final class DriverInbox<Exchange: DriverExchange>: Sendable {
    private struct State {
        /// Tasks waiting in ``stop()`` for the driver to exit, and whether it has.
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
        var exited = false
        var pending: [Exchange] = []
        var cancelled: [Exchange] = []
        /// The driver thread is in (or about to enter) `epoll_wait` and needs a wakeup to see new work.
        var sleeping = false
        /// A wakeup is on its way, so further senders need not send another.
        var wakeupSent = false
        var stopping = false
    }

    private let state = Mutex(State())
    private let exited = DispatchSemaphore(value: 0)
    /// The eventfd, registered in the driver's epoll set.
    let wakeup: Int32

    /// An inbox whose wakeups arrive in the epoll set `epoll`.
    /// - Throws: `.other` when no eventfd can be made (the open-file limit).
    init(epoll: Int32, client: String) throws(TransportError) {
        let wakeup = sb_wakeup_new(epoll)
        guard wakeup >= 0 else {
            let reason = String(cString: strerror(errno))
            throw TransportError(
                .other, "could not create the \(client)'s wakeup descriptor (\(reason)); raise the open-file limit (ulimit -n)",
                url: "")
        }
        self.wakeup = wakeup
    }

    /// Queues `exchange` for the driver, or fails it at once when the transport is shut down or the
    /// task was cancelled already.
    func submit(_ exchange: Exchange) {
        let decision: SubmitDecision = state.withLock { state in
            if state.stopping { return .shutDown }
            if exchange.isCancelRequested { return .cancelled }
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

    /// Asks the driver to drop `exchange` and throw `.cancelled` to its task.
    func cancel(_ exchange: Exchange) {
        exchange.requestCancel()
        let wake = state.withLock { state in
            guard !state.stopping else { return false }
            state.cancelled.append(exchange)
            return true
        }
        if wake { sb_wakeup_signal(wakeup) }
    }

    /// Stops the driver thread (it fails every unfinished request with `.cancelled`) and blocks
    /// until it has exited: for `deinit` and synchronous callers only, never on the cooperative
    /// pool (``stop()`` waits without blocking). Safe to call more than once, from any thread but
    /// the driver's.
    func stopAndWait() {
        requestStop()
        exited.wait()
        exited.signal() // let any other caller through as well
    }

    /// Stops the driver thread, as ``stopAndWait()`` does, and suspends until it has exited.
    func stop() async {
        requestStop()
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { state in
                if !state.exited { state.exitWaiters.append(waiter) }
                return state.exited
            }
            if exited { waiter.resume() }
        }
    }

    private func requestStop() {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { sb_wakeup_signal(wakeup) }
    }

    /// Driver thread, last of all: lets ``stopAndWait()`` and ``stop()`` return.
    func driverExited() {
        let waiters = state.withLock { state in
            state.exited = true
            defer { state.exitWaiters = [] }
            return state.exitWaiters
        }
        exited.signal()
        for waiter in waiters { waiter.resume() }
    }

    /// Driver thread: moves what is queued into `adds` and `cancels` (which must be empty) and
    /// counts the driver awake; true when the inbox is stopping (the queues are then left alone).
    func take(_ adds: inout [Exchange], _ cancels: inout [Exchange]) -> Bool {
        state.withLock { state in
            state.sleeping = false
            state.wakeupSent = false
            guard !state.stopping else { return true }
            swap(&adds, &state.pending)
            swap(&cancels, &state.cancelled)
            return false
        }
    }

    /// Driver thread, before `epoll_wait`: whether it may sleep (nothing is queued), in which case
    /// senders from now on wake it.
    func mayPark() -> Bool {
        state.withLock { state in
            state.sleeping = state.pending.isEmpty && state.cancelled.isEmpty && !state.stopping
            return state.sleeping
        }
    }

    /// Driver thread, on its way out: what is still queued. Senders see `stopping` and queue
    /// nothing more, so the queue stays empty for good.
    func leftovers() -> [Exchange] {
        state.withLock { state in
            state.cancelled.removeAll()
            defer { state.pending.removeAll() }
            return state.pending
        }
    }

    /// The error for a request the transport could not finish because it was shut down.
    static func shutDownError(_ url: String) -> TransportError {
        TransportError(
            .cancelled,
            "the transport was shut down before the request finished; send requests only inside withCurlTransport or before shutdown()",
            url: url)
    }

    /// The error for a request whose task was cancelled.
    static func cancelledError(_ url: String) -> TransportError {
        TransportError(.cancelled, "the task was cancelled, so the request was abandoned", url: url)
    }
}

/// What ``DriverInbox/submit(_:)`` does with an exchange once its lock is released.
private enum SubmitDecision { case wake, queued, shutDown, cancelled }
