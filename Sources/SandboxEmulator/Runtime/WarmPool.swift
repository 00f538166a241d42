import Logging

/// Ready, blank workers per language, so that creating a sandbox is a hand-out rather than a start.
///
/// ``take(_:)`` returns a pooled worker when one is ready (and asks for a refill) or starts one on
/// demand; ``run()`` is the refill loop, started by the emulator's service group.
actor WarmPool {
    private let factory: SandboxFactory
    private let targets: [SandboxLanguage: Int]
    private var ready: [SandboxLanguage: [SandboxProcess]] = [:]
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private var closed = false
    private let logger: Logger

    init(factory: SandboxFactory, targets: [SandboxLanguage: Int], logger: Logger) {
        self.factory = factory
        self.targets = targets
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A ready worker for `language`: from the pool, or started now.
    func take(_ language: SandboxLanguage) async throws -> SandboxProcess {
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
        if !closed, !process.isDead, (ready[process.language]?.count ?? 0) < (targets[process.language] ?? 0) {
            ready[process.language, default: []].append(process)
        } else {
            await factory.destroy(process)
        }
    }

    /// Whether a worker for `language` is ready right now.
    func hasReady(_ language: SandboxLanguage) -> Bool { !(ready[language]?.isEmpty ?? true) }

    /// Number of ready workers per language.
    var readyCounts: [SandboxLanguage: Int] { ready.mapValues(\.count) }

    /// Refills the pool until cancelled or ``close()``d, one start at a time (a burst of starts would
    /// steal the CPU from running sandboxes on a small machine).
    func run() async {
        wake.yield()
        for await _ in wakeups {
            if closed || Task.isCancelled { break }
            for language in SandboxLanguage.allCases {
                while !closed, (ready[language]?.count ?? 0) < (targets[language] ?? 0) {
                    do {
                        let process = try await factory.start(language)
                        if closed {
                            await factory.destroy(process)
                            break
                        }
                        ready[language, default: []].append(process)
                    } catch {
                        logger.error("warm pool could not start a \(language.rawValue) worker: \(error)")
                        break
                    }
                }
            }
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
