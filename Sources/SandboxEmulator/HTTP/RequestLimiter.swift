import Synchronization

/// At most `limit` requests served at once; the others wait in arrival order (`--max-concurrent-requests`).
///
/// With a fixed injected latency L this gives the emulator a known capacity of limit / L requests per
/// second (Little's law), which `sandbench capacity` is checked against. A waiter whose task is
/// cancelled leaves the queue at once.
final class RequestLimiter: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        /// FIFO: `waiters[head...]` wait, oldest first; the consumed prefix is dropped now and then.
        var waiters: [Waiter] = []
        var head = 0
        var nextID: UInt64 = 0

        mutating func popFirst() -> Waiter? {
            guard head < waiters.count else { return nil }
            let first = waiters[head]
            head += 1
            if head > 64, head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            return first
        }

        mutating func remove(_ id: UInt64) -> Waiter? {
            guard let index = waiters[head...].firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index)
        }
    }

    private let state: Mutex<State>

    /// A limiter letting `limit` (at least 1) requests through at once.
    init(limit: Int) {
        state = Mutex(State(available: Swift.max(1, limit)))
    }

    /// Waits for a free slot, in arrival order; pair every successful call with ``release()``.
    /// - Throws: `CancellationError` when the task is cancelled while waiting (no slot is then held).
    func acquire() async throws {
        let id = state.withLock { s in
            s.nextID &+= 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Task.isCancelled is set before the cancellation handler runs, so checking it under the
                // lock never leaves a cancelled waiter queued.
                let outcome: Result<Void, any Error>? = state.withLock { s in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if s.available > 0 {
                        s.available -= 1
                        return .success(())
                    }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.remove(id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Requests waiting for a slot now.
    var waiting: Int { state.withLock { $0.waiters.count - $0.head } }

    /// Frees a slot: the oldest waiter gets it, else it becomes available.
    func release() {
        let next = state.withLock { s -> Waiter? in
            if let first = s.popFirst() { return first }
            s.available += 1
            return nil
        }
        next?.continuation.resume()
    }
}
