import NIOCore
import NIOPosix
import SandboxAPI
import Synchronization

/// The two deadlines of one execute, each with one timer on the worker's event loop, and what is to
/// happen when each passes. That depends on what the execute is doing at that moment: placing
/// files (answer 504), running code (interrupt it, then kill it) or collecting files (answer
/// without them). One pair of timers serves the whole execute, as it served the code alone before
/// the file work was covered, so the execute path schedules no more than it did.
final class ExecuteAlarms: Sendable {
    enum Alarm: Sendable {
        /// The execute deadline: file placement and code must be done.
        case deadline
        /// The deadline plus the kill grace: the answer must go out.
        case lastAnswer
    }

    let deadline: NIODeadline
    let lastAnswer: NIODeadline
    private let state = Mutex<State>(State())

    private struct State {
        var passed: Set<Alarm> = []
        var actions: [Alarm: @Sendable () -> Void] = [:]
        var timers: [Scheduled<Void>] = []
    }

    init(deadline: NIODeadline, lastAnswer: NIODeadline) {
        self.deadline = deadline
        self.lastAnswer = lastAnswer
    }

    /// Arms both timers on `eventLoop`.
    func start(on eventLoop: any EventLoop) {
        let timers = [
            eventLoop.scheduleTask(deadline: deadline) { [self] in fire(.deadline) },
            eventLoop.scheduleTask(deadline: lastAnswer) { [self] in fire(.lastAnswer) }
        ]
        state.withLock { $0.timers = timers }
    }

    /// Cancels both timers; actions not yet run never run.
    func stop() {
        let timers = state.withLock { s in
            s.actions = [:]
            return s.timers
        }
        for timer in timers { timer.cancel() }
    }

    /// Sets what happens when `alarm` passes (nil: nothing); when it has passed already, runs it now.
    func when(_ alarm: Alarm, _ action: (@Sendable () -> Void)?) {
        let late = state.withLock { s -> Bool in
            if s.passed.contains(alarm) { return true }
            s.actions[alarm] = action
            return false
        }
        if late { action?() }
    }

    private func fire(_ alarm: Alarm) {
        let action = state.withLock { s in
            s.passed.insert(alarm)
            return s.actions.removeValue(forKey: alarm)
        }
        action?()
    }

    /// Runs blocking file work on NIO's thread pool for blocking I/O, answering by `alarm` at the
    /// latest: work still queued behind other sandboxes' file work, or still running then, is left
    /// to end by itself (it checks the same deadline between entries and chunks, so it does nothing
    /// once that passed), and the caller gets `DEADLINE_EXCEEDED`. The pool thread resumes the
    /// caller directly, with no hop through an event loop.
    func blocking<T: Sendable>(until alarm: Alarm, _ work: @escaping @Sendable () throws(GoogleError) -> T) async throws(GoogleError) -> T {
        defer { when(alarm, nil) }
        do {
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let answer = ResumeOnce(continuation)
                let late = GoogleError(.deadlineExceeded, "the execute deadline passed during file work")
                when(alarm) { answer.resume(with: .failure(late)) }
                NIOThreadPool.singleton.submit { state in
                    guard case .active = state else {
                        return answer.resume(with: .failure(GoogleError(.unavailable, "The emulator is shutting down.")))
                    }
                    answer.resume(with: Result { try work() })
                }
            }
        } catch let error as GoogleError {
            throw error
        } catch {
            throw GoogleError(.internal, "file work failed: \(error)")
        }
    }
}

/// A continuation that the first of several racing parties resumes; the others find it gone.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<T, any Error>) {
        continuation.withLock { c in
            defer { c = nil }
            return c
        }?.resume(with: result)
    }
}
