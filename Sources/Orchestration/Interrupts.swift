import Foundation
import HarnessCore
import Synchronization

/// Ctrl-C and SIGTERM for runs: the first signal cancels the work (clean-up still runs); a second
/// forces exit and prints the sandboxes that were left.
final class Interrupts: @unchecked Sendable {
    private struct State {
        var count = 0
        var cancel: (@Sendable () -> Void)?
        var ledger: SandboxLedger?
    }

    private let state = Mutex(State())
    /// Immutable after init; kept so the sources stay alive.
    private let sources: [any DispatchSourceSignal]

    /// Starts listening for SIGINT and SIGTERM.
    init() {
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: sig, queue: .global())
        }
        for source in sources {
            source.setEventHandler { [self] in self.received() }
            source.resume()
        }
    }

    /// What to cancel on the first signal, and whose leftovers to print on the second.
    func arm(cancel: @escaping @Sendable () -> Void, ledger: SandboxLedger) {
        state.withLock {
            $0.cancel = cancel
            $0.ledger = ledger
        }
    }

    /// Whether a signal has arrived.
    var interrupted: Bool { state.withLock { $0.count > 0 } }

    private func received() {
        let (count, cancel, ledger) = state.withLock { s -> (Int, (@Sendable () -> Void)?, SandboxLedger?) in
            s.count += 1
            return (s.count, s.cancel, s.ledger)
        }
        if count == 1 {
            FileHandle.standardError.write(
                Data("\ninterrupted: stopping and deleting this run's sandboxes (press Ctrl-C again to force exit)\n".utf8))
            cancel?()
            return
        }
        let semaphore = DispatchSemaphore(value: 0)
        let report = Mutex<[(sandbox: String, scenario: String)]>([])
        Task {
            let remaining = await ledger?.remaining ?? []
            report.withLock { $0 = remaining }
            semaphore.signal()
        }
        _ = semaphore.wait(timeout: .now() + 1)
        let left = report.withLock { $0 }
        var text = "\nforced exit"
        if left.isEmpty {
            text += ": no sandbox of this run was left alive\n"
        } else {
            text +=
                "; these sandboxes may still exist:\n" + left.map { "  \($0.sandbox)  (scenario \($0.scenario))" }.joined(separator: "\n")
                + "\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
        exit(130)
    }
}
