import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// Pause and resume: SIGSTOP and SIGCONT to every process of the sandbox, done once the kernel
// shows them all stopped (or all running again) in /proc.
extension SandboxProcess {
    /// Longest wait for the processes to show the new state; a process in uninterruptible sleep
    /// (state D) takes the signal only when it wakes.
    static let signalSettleLimit: Duration = .seconds(5)

    /// Stops the sandbox after the executes already admitted have finished: it takes its turn at
    /// the execute gate, so no code is frozen half-way through a call.
    func stopAll() async {
        await gate.withTurn {
            guard !self.isDead else { return }
            self.state.withLock { $0.stopped = true }
            self.setStopped(true)
            await self.settle { state in state == "T" || state == "t" }
        }
    }

    /// Continues every process of a stopped sandbox.
    func continueAll() async {
        guard !isDead else { return }
        setStopped(false)
        state.withLock { $0.stopped = false }
        await settle { state in state != "T" }
    }

    /// Polls the processes' states until each satisfies `reached` (or has exited), at most ``signalSettleLimit``.
    private func settle(_ reached: (Character) -> Bool) async {
        let deadline = ContinuousClock.now + Self.signalSettleLimit
        while ContinuousClock.now < deadline, !isDead {
            var pids = cgroups?.processes ?? []
            if !pids.contains(pid) { pids.append(pid) }
            let settled = pids.allSatisfy { p in
                guard let state = Self.processState(p) else { return true }
                return state == "Z" || state == "X" || reached(state)
            }
            if settled { return }
            await Self.pause(milliseconds: 1)
        }
    }

    /// The state letter of `/proc/PID/stat` (R, S, D, T, t, Z, X…); nil when the process is gone.
    static func processState(_ pid: pid_t) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].first { $0 != " " }
    }
}
