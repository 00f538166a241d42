import Testing

@testable import SandboxEmulator

/// The warm pool's size follows the rate of creates between its bounds.
@Suite struct WarmPoolSizingTests {
    let start = ContinuousClock.now

    @Test func idleKeepsTheMinimum() {
        let sizing = PoolSizing(bounds: 2...32)
        #expect(sizing.target(at: start) == 2)
        #expect(sizing.isIdle(at: start))
    }

    @Test func aSteadyRateRaisesTheTargetToWhatARefillTakes() {
        var sizing = PoolSizing(bounds: 2...32)
        // 50 creates a second for two seconds: a quarter second's worth, 13, is kept ready.
        for i in 0..<100 { sizing.recordTake(at: start + .milliseconds(20 * i)) }
        let now = start + .milliseconds(2000)
        #expect(sizing.target(at: now) == 13)
        #expect(!sizing.isIdle(at: now))
        // Takes older than the window no longer count; the minimum returns.
        #expect(sizing.target(at: now + .seconds(2)) == 2)
        #expect(!sizing.isIdle(at: now + .seconds(2)))
        #expect(sizing.isIdle(at: now + PoolSizing.idleAfter))
    }

    @Test func aBurstRaisesTheTargetAtOnce() {
        var sizing = PoolSizing(bounds: 2...32)
        sizing.recordTake(at: start)
        #expect(sizing.target(at: start) == 2, "one take is no burst")
        // Ten creates within 0.2 s: 50 a second, so 13 ready, without waiting for a whole window.
        for i in 1..<10 { sizing.recordTake(at: start + .milliseconds(20 * i)) }
        #expect(sizing.target(at: start + .milliseconds(200)) == 13)
    }

    @Test func theMaximumHoldsUnderAnyRate() {
        var sizing = PoolSizing(bounds: 1...6)
        for i in 0..<10_000 { sizing.recordTake(at: start + .microseconds(50 * i)) }
        #expect(sizing.target(at: start + .milliseconds(500)) == 6)
        let fixed = PoolSizing(bounds: 4...4)
        #expect(fixed.target(at: start) == 4)
    }
}
