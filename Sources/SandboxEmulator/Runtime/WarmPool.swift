import Logging

/// Ready, blank workers per language, so that creating a sandbox is a hand-out rather than a start.
///
/// ``take(_:)`` returns a pooled worker when one is ready (and asks for a refill) or starts one on
/// demand; ``run()`` is the refill loop, started by the emulator's service group. How many workers
/// are kept ready follows demand (``PoolSizing``) between each language's configured bounds, and
/// refills run several at a time, so that the pool keeps up with a steady stream of creates.
actor WarmPool {
    private let factory: SandboxFactory
    private var sizing: [SandboxLanguage: PoolSizing]
    private var ready: [SandboxLanguage: [SandboxProcess]] = [:]
    /// Starts in flight per language.
    private var starting: [SandboxLanguage: Int] = [:]
    /// Most starts in flight at once, all languages together.
    private let parallelStarts: Int
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private var closed = false
    private let logger: Logger
    private let clock = ContinuousClock()

    /// `bounds`: the fewest and most ready workers per language; `parallelStarts`: starts in flight at once.
    init(factory: SandboxFactory, bounds: [SandboxLanguage: ClosedRange<Int>], parallelStarts: Int = 8, logger: Logger) {
        self.factory = factory
        self.sizing = bounds.mapValues { PoolSizing(bounds: $0) }
        self.parallelStarts = max(1, parallelStarts)
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A ready worker for `language`: from the pool, or started now.
    func take(_ language: SandboxLanguage) async throws -> SandboxProcess {
        sizing[language]?.recordTake(at: clock.now)
        while var list = ready[language], !list.isEmpty {
            let process = list.removeFirst()
            ready[language] = list
            wake.yield()
            if !process.isDead { return process }
            await factory.destroy(process)
        }
        wake.yield()
        return try await factory.start(language)
    }

    /// Keeps a blank worker started elsewhere (the start-up probe) if the pool has room for it; destroys it otherwise.
    func adopt(_ process: SandboxProcess) async {
        if !closed, !process.isDead, (ready[process.language]?.count ?? 0) < target(process.language) {
            ready[process.language, default: []].append(process)
        } else {
            await factory.destroy(process)
        }
    }

    /// Whether a worker for `language` is ready right now.
    func hasReady(_ language: SandboxLanguage) -> Bool { !(ready[language]?.isEmpty ?? true) }

    /// Number of ready workers per language.
    var readyCounts: [SandboxLanguage: Int] { ready.mapValues(\.count) }

    /// How many ready workers of `language` the pool aims for now.
    func target(_ language: SandboxLanguage) -> Int { sizing[language]?.target(at: clock.now) ?? 0 }

    /// Refills the pool until cancelled or ``close()``d: up to `parallelStarts` starts at a time, until
    /// ready and starting workers reach each language's target. Wakes on every take and once a second,
    /// when it also lets go of workers beyond a target that demand has lowered.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { [wake] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    wake.yield()
                }
            }
            wake.yield()
            for await _ in wakeups {
                if closed || Task.isCancelled { break }
                await trim()
                for language in SandboxLanguage.allCases {
                    while !closed, starting.values.reduce(0, +) < parallelStarts,
                        (ready[language]?.count ?? 0) + (starting[language] ?? 0) < target(language)
                    {
                        starting[language, default: 0] += 1
                        group.addTask { await self.refill(language) }
                    }
                }
            }
            group.cancelAll()
        }
    }

    private func refill(_ language: SandboxLanguage) async {
        defer {
            starting[language, default: 1] -= 1
            wake.yield()
        }
        do {
            let process = try await factory.start(language)
            if closed {
                await factory.destroy(process)
            } else {
                ready[language, default: []].append(process)
            }
        } catch {
            logger.error("warm pool could not start a \(language.rawValue) worker: \(error)")
            // Do not spin on a start that keeps failing: the next wake-up (a take, or the 1 s tick) retries.
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Destroys ready workers beyond the target (the oldest first), once nothing was taken for a while.
    private func trim() async {
        for language in SandboxLanguage.allCases where sizing[language]?.isIdle(at: clock.now) ?? true {
            let excess = (ready[language]?.count ?? 0) - target(language)
            guard excess > 0, var list = ready[language] else { continue }
            let surplus = Array(list.prefix(excess))
            list.removeFirst(excess)
            ready[language] = list
            for process in surplus { await factory.destroy(process) }
        }
    }

    /// Stops refilling and destroys every pooled worker.
    func close() async {
        closed = true
        wake.finish()
        let all = ready.values.flatMap { $0 }
        ready = [:]
        for process in all { await factory.destroy(process) }
    }
}

/// How many ready workers of one language to keep: the configured minimum, raised with the recent
/// rate of creates so that the workers handed out during one refill's time are already waiting,
/// and never above the maximum. A pure value driven by the caller's clock, so tests drive it directly.
struct PoolSizing: Sendable {
    /// The fewest and most workers kept ready.
    let bounds: ClosedRange<Int>
    /// How far back takes count towards the rate.
    static let window: Duration = .seconds(1)
    /// Ready workers per take per second: the time a refill may take to come back, plus slack.
    static let lead = 0.25
    /// How long without a take before workers beyond the target are let go.
    static let idleAfter: Duration = .seconds(10)
    /// Takes within ``window``, oldest first.
    private var takes: [ContinuousClock.Instant] = []
    private var lastTake: ContinuousClock.Instant?

    init(bounds: ClosedRange<Int>) { self.bounds = bounds }

    /// Counts one hand-out at `now`.
    mutating func recordTake(at now: ContinuousClock.Instant) {
        lastTake = now
        takes.removeAll { now - $0 > Self.window }
        // Bounded: beyond the rate the maximum needs, older takes make no difference.
        if takes.count >= 4 * bounds.upperBound + 64 { takes.removeFirst() }
        takes.append(now)
    }

    /// Whether nothing was taken for ``idleAfter`` before `now`.
    func isIdle(at now: ContinuousClock.Instant) -> Bool { lastTake.map { now - $0 >= Self.idleAfter } ?? true }

    /// The target at `now`: the rate of the takes within ``window``, measured over the time they
    /// span (at least ``shortestSpan``), so that the pool grows within a fraction of a second when a
    /// stream of creates begins rather than after a whole window.
    func target(at now: ContinuousClock.Instant) -> Int {
        let recent = takes.reversed().prefix { now - $0 <= Self.window }
        guard let oldest = recent.last else { return bounds.lowerBound }
        let span = max(now - oldest, Self.shortestSpan)
        let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
        let wanted = (Double(recent.count) / seconds * Self.lead).rounded(.up)
        return wanted >= Double(bounds.upperBound) ? bounds.upperBound : max(bounds.lowerBound, Int(wanted))
    }

    /// The shortest time a rate is measured over (a single take is not a burst).
    static let shortestSpan: Duration = .milliseconds(200)
}
