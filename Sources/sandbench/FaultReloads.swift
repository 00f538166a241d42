import Foundation
import SandboxEmulator
import Synchronization

/// SIGHUP for `sandbench emulator --faults FILE`: reads FILE again and installs it, printing the
/// counts of the plan it replaced; a bad file leaves the current plan in force.
final class FaultReloads: @unchecked Sendable {
    private let path: String
    private let injector = Mutex<FaultInjector?>(nil)
    /// Immutable after init; kept so the source stays alive.
    private let source: any DispatchSourceSignal

    /// Starts listening for SIGHUP (before the emulator runs, so an early SIGHUP cannot kill it).
    init(path: String) {
        self.path = path
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [self] in self.received() }
        source.resume()
    }

    /// The running emulator's plan, once it is listening.
    func arm(_ faults: FaultInjector?) {
        injector.withLock { $0 = faults }
    }

    /// The counts of the plan in force, for the shutdown summary.
    var report: FaultReport? { injector.withLock { $0 }?.report }

    private func received() {
        guard let injector = injector.withLock({ $0 }) else { return }
        let text: String
        do {
            let previous = try injector.reload(fromFile: path)
            let current = injector.report
            text =
                "faults: SIGHUP: reloaded \(path) (\(current.rulesSummary), seed \(current.seed)); counts of the plan it replaced:\n"
                + previous.consoleText
        } catch {
            text = "faults: SIGHUP: \(path) was not reloaded; the current plan stays in force:\n\(error.description)\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
