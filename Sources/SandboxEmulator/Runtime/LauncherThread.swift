import Foundation
import Synchronization

/// A thread that lives as long as the process and starts every worker chain.
///
/// Worker chains ask for SIGKILL on parent death (`setpriv --pdeathsig KILL`), so that they die with
/// an emulator that is killed outright. Linux sends that signal when the *thread* that spawned the
/// child exits, not the process: spawned from a pool thread that later retires, workers would die at
/// random. This thread never exits, so the signal fires exactly when the process dies.
final class LauncherThread: @unchecked Sendable {
    // @unchecked: `jobs` is only touched under `condition`'s lock.
    static let shared = LauncherThread()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "sandbench-launcher"
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on the launcher thread and waits for it, blocking the caller (never a thread of the
    /// cooperative pool); `body` must be short (a spawn).
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, any Error>>(.failure(CancellationError()))
        condition.lock()
        jobs.append {
            result.withLock { $0 = Result { try body() } }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return try result.withLock { $0 }.get()
    }

    /// Queues `job` to run on the launcher thread, without waiting for it; `job` must be short (a send).
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the launcher thread and returns its result; `body` must be short (a spawn).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            condition.lock()
            jobs.append { continuation.resume(with: Result { try body() }) }
            condition.signal()
            condition.unlock()
        }
    }
}
