import Testing

@testable import SandboxEmulator

/// `--max-concurrent-requests`: slots handed out in arrival order, waiters that give up leave the queue.
@Suite struct RequestLimiterTests {
    @Test func slotsGoToWaitersInArrivalOrder() async throws {
        let limiter = RequestLimiter(limit: 2)
        try await limiter.acquire()
        try await limiter.acquire()
        let granted = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<5 {
                group.addTask {
                    try await limiter.acquire()
                    granted.continuation.yield(n)
                }
                // The next waiter starts only once this one is queued, so arrival order is n's order. Polled
                // with a sleep, not Task.yield, which would keep one of the pool's threads spinning.
                while limiter.waiting < n + 1 { try await Task.sleep(for: .milliseconds(1)) }
            }
            var grants = granted.stream.makeAsyncIterator()
            for expected in 0..<5 {
                limiter.release()
                #expect(await grants.next() == expected)
                #expect(limiter.waiting == 4 - expected)
            }
            try await group.waitForAll()
        }
    }

    @Test func aCancelledWaiterLeavesTheQueueWithoutASlot() async throws {
        let limiter = RequestLimiter(limit: 1)
        try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // The slot freed now is not handed to the cancelled waiter: the next acquire gets it at once.
        limiter.release()
        try await limiter.acquire()
        limiter.release()
    }
}
