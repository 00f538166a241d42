import CSpawn
import Foundation
import Logging
import NIOCore
import NIOPosix
import SandboxAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What one execute produced.
struct ExecutionOutcome: Sendable {
    var stdout: String
    var stderr: String
    var files: [SandboxFile]
    /// The worker died or had to be killed: the sandbox is now terminated.
    var terminated: Bool
}

/// Settings that shape how a worker runs code.
struct ExecutionSettings: Sendable {
    /// Wall-clock limit per execute; at the deadline the code is interrupted (state kept).
    var timeout: Duration
    /// How long interrupted code gets to stop before the worker is killed.
    var killGrace: Duration
    /// Bytes of stdout and of stderr kept per call.
    var maxOutputBytes: Int
    /// Bytes of files returned per call (Vertex's documented 100 MB).
    var maxReturnedBytes: Int
}

/// One live sandbox on the host: its worker process, uid, workdir and cgroups.
///
/// Created ready (by the warm pool or on demand), handed out to a sandbox resource, destroyed on
/// delete, expiry or shutdown. Executes are serialised through a FIFO gate.
final class SandboxProcess: Sendable {
    let slot: Int
    let uid: Int
    let language: SandboxLanguage
    /// Host directory holding `work/` (the sandbox's files).
    let directory: String
    let workdir: Workdir
    /// The sandbox's cgroups (none without root or a usable hierarchy).
    let cgroups: SandboxCgroups?
    let pid: pid_t
    let worker: WorkerChannel
    let logPath: String
    let gate = SerialGate()
    let state = Mutex<State>(State())

    struct State {
        var nextID = 1
        var dead = false
        /// The worker was killed because its code ignored the interrupt at the deadline.
        var killedAtDeadline = false
        var destroyed = false
        /// Paused (SIGSTOP): an execute that got its turn after the pause must not run.
        var stopped = false
        /// Executes waiting for or holding the gate.
        var executing = 0
        /// A pidfd of ``pid`` when the process is not the emulator's child (forked by the zygote),
        /// else -1; closed (-1) once the process has exited and the sandbox is destroyed.
        var pidfd: Int32 = -1
    }

    /// `pidfd` (owned from here on) when `pid` was forked by the zygote, not spawned by the emulator.
    init(
        slot: Int, uid: Int, language: SandboxLanguage, directory: String, cgroups: SandboxCgroups?,
        pid: pid_t, pidfd: Int32 = -1, worker: WorkerChannel, logPath: String
    ) {
        state.withLock { $0.pidfd = pidfd }
        self.slot = slot
        self.uid = uid
        self.language = language
        self.directory = directory
        self.workdir = Workdir(path: directory + "/work", uid: uid_t(uid))
        self.cgroups = cgroups
        self.pid = pid
        self.worker = worker
        self.logPath = logPath
    }

    /// Whether the worker has exited or was killed.
    var isDead: Bool { state.withLock { $0.dead } }

    /// Whether the worker is gone while no execute is running: it died between executes (killed by
    /// its own code, out of memory, or cut off for breaking the protocol).
    var endedWhileIdle: Bool {
        state.withLock { $0.executing == 0 } && !worker.channel.isActive
    }

    /// Memory the sandbox's processes are charged for, in bytes (from its memory cgroup).
    var memoryUsage: Int? { cgroups?.memoryUsage }

    /// Applies a machine shape: its memory limit and its vCPUs as the CPU bandwidth.
    func apply(_ machine: MachineConfig) {
        cgroups?.setMemoryLimit(machine.memoryLimitBytes)
        cgroups?.setCPULimit(machine.vcpus)
    }

    /// Runs `code` after placing `files`; returns output and the files the call created or changed.
    func execute(code: String?, files: [SandboxFile], settings: ExecutionSettings, logger: Logger) async throws(GoogleError)
        -> ExecutionOutcome
    {
        state.withLock { $0.executing += 1 }
        defer { state.withLock { $0.executing -= 1 } }
        do {
            return try await gate.withTurn { () async throws(GoogleError) -> ExecutionOutcome in
                try await self.executeNow(code: code, files: files, settings: settings, logger: logger)
            }
        } catch let error as GoogleError {
            throw error
        } catch {
            throw GoogleError(.internal, "execute failed: \(error)")
        }
    }

    /// Runs one execute within its deadline: `settings.timeout` from now covers placing the input
    /// files, the code and its interrupt; collecting the output files may run on until the kill
    /// grace after that. Past the first, an execute whose code has not started answers 504
    /// DEADLINE_EXCEEDED; past the second, the answer comes without output files, with a note.
    private func executeNow(code: String?, files: [SandboxFile], settings: ExecutionSettings, logger: Logger) async throws(GoogleError)
        -> ExecutionOutcome
    {
        guard !isDead else { throw GoogleError(.failedPrecondition, "The sandbox is not running (its worker has exited).") }
        guard !state.withLock({ $0.stopped }) else {
            throw GoogleError(
                .failedPrecondition, "The sandbox environment is paused; resume it to run code.", reason: "SANDBOX_NOT_RUNNING")
        }
        let workdir = self.workdir
        let deadline = NIODeadline.now() + .nanoseconds(Self.nanoseconds(settings.timeout))
        let lastAnswer = deadline + .nanoseconds(Self.nanoseconds(settings.killGrace))
        let alarms = ExecuteAlarms(deadline: deadline, lastAnswer: lastAnswer)
        alarms.start(on: worker.channel.eventLoop)
        defer { alarms.stop() }
        // File work (writes of up to 100 MB, directory walks) runs on NIO's blocking-I/O pool, never
        // on the cooperative pool that serves every other request.
        let before: [String: Workdir.Stamp]
        do throws(GoogleError) {
            before = try await alarms.blocking(until: .deadline) { () throws(GoogleError) -> [String: Workdir.Stamp] in
                for file in files { try workdir.place(file, until: deadline) }
                return try workdir.snapshot(until: deadline)
            }
            try Workdir.check(deadline)
        } catch {
            guard error.status == .deadlineExceeded else { throw error }
            throw GoogleError(
                .deadlineExceeded,
                "The execute deadline (\(settings.timeout)) passed while the input files were being "
                    + "placed; the code did not run. Input files placed before the deadline stay in the sandbox, "
                    + "which keeps its state.")
        }
        var stdout = ""
        var stderr = ""
        var terminated = false
        if let code {
            let id = state.withLock { s in
                defer { s.nextID += 1 }
                return s.nextID
            }
            let remainingMilliseconds = max(1, (deadline - NIODeadline.now()).nanoseconds / 1_000_000)
            let message: JSONValue = [
                "op": "exec", "id": .number(Double(id)), "code": .string(code),
                "max_output": .number(Double(settings.maxOutputBytes)),
                // Node can only stop synchronous code through vm's own timeout; Python is interrupted in-band.
                "timeout_ms": language == .javascript ? .number(Double(remainingMilliseconds)) : 0
            ]
            let reply = worker.request(message, id: id)
            alarms.when(.deadline) { [worker] in
                worker.send(["op": "interrupt", "id": .number(Double(id))])
            }
            alarms.when(.lastAnswer) { [self] in
                logger.warning("sandbox worker ignored the interrupt; killing it", metadata: ["slot": "\(slot)"])
                state.withLock { $0.killedAtDeadline = true }
                self.kill()
            }
            // Disarmed on the event loop as soon as the reply is there: the task awaiting it may
            // resume much later on a busy machine, and must not find its worker killed meanwhile.
            reply.whenComplete { _ in
                alarms.when(.deadline, nil)
                alarms.when(.lastAnswer, nil)
            }
            do {
                let answer = try WorkerReply(json: try await reply.get(), maxOutputBytes: settings.maxOutputBytes)
                stdout = answer.stdout
                stderr = answer.stderr
                if answer.stdoutTruncated {
                    stdout += "\n[sandbench: stdout truncated to \(settings.maxOutputBytes) of \(answer.stdoutBytes) bytes]\n"
                }
                if answer.stderrTruncated {
                    stderr += "\n[sandbench: stderr truncated to \(settings.maxOutputBytes) of \(answer.stderrBytes) bytes]\n"
                }
                if answer.interrupted {
                    stderr += "\n[sandbench: execution interrupted after the \(settings.timeout) time limit; the sandbox's state is kept]\n"
                }
            } catch {
                terminated = true
                // Whatever ended the exchange, the worker is finished: kill it now so a worker that
                // broke the protocol does not run on until the sandbox is deleted.
                kill()
                worker.close()
                let destroyed = state.withLock { $0.destroyed }
                let violation: WorkerProtocolViolation? =
                    switch error {
                    case let v as WorkerProtocolViolation: v
                    case WorkerChannelError.protocolViolation(let v): v
                    default: nil
                    }
                if destroyed {
                    stderr = "[sandbench: the sandbox was deleted while this code ran]\n"
                } else if let violation {
                    logger.warning(
                        "sandbox worker broke the protocol; killed it", metadata: ["slot": "\(slot)", "reason": "\(violation.reason)"])
                    stderr =
                        "[sandbench: the sandbox's worker was killed: it sent \(violation.reason); the sandbox is now STATE_TERMINATED]\n"
                } else {
                    stderr = "[sandbench: \(deathReason(settings: settings)); the sandbox is now STATE_TERMINATED]\n"
                }
            }
        }
        let maxReturned = settings.maxReturnedBytes
        let returned: [SandboxFile]
        let notes: String
        do throws(GoogleError) {
            (returned, notes) = try await alarms.blocking(until: .lastAnswer) {
                () throws(GoogleError) -> ([SandboxFile], String) in
                let after = try workdir.snapshot(until: lastAnswer)
                var returned: [SandboxFile] = []
                var notes = ""
                var total = 0
                for name in Workdir.changes(before: before, after: after) {
                    guard let bytes = try workdir.contents(of: name, limit: maxReturned - total, until: lastAnswer) else {
                        if (after[name]?.size ?? 0) > Int64(maxReturned - total) {
                            notes += "[sandbench: \(name) not returned: files in one response are limited to \(maxReturned) bytes]\n"
                        }
                        continue
                    }
                    total += bytes.count
                    returned.append(SandboxFile(name: name, content: bytes, mimeType: MIMEType.forFile(name)))
                }
                return (returned, notes)
            }
        } catch {
            guard error.status == .deadlineExceeded else { throw error }
            // A killed worker's sandbox is removed anyway: only a live one is told what it missed.
            (returned, notes) = (
                [],
                terminated
                    ? ""
                    : "[sandbench: no output files returned: collecting them passed the execute deadline "
                        + "(\(settings.timeout) + \(settings.killGrace) grace); files this call changed stay in the sandbox]\n"
            )
        }
        return ExecutionOutcome(stdout: stdout, stderr: stderr + notes, files: returned, terminated: terminated)
    }

    /// Explains a worker's death: out of memory (from the memcg's OOM counter) or a crash/kill.
    private func deathReason(settings: ExecutionSettings) -> String {
        if (cgroups?.oomKills ?? 0) > 0 { return "the sandbox's worker was killed: out of memory" }
        if state.withLock({ $0.killedAtDeadline }) {
            return "the sandbox's worker was killed: its code did not stop within \(settings.killGrace) of the interrupt at the "
                + "\(settings.timeout) deadline"
        }
        return "the sandbox's worker stopped answering: it exited, was signalled or crashed, or its code closed the worker's "
            + "descriptors"
    }

    /// Kills every process of the sandbox (group, then whatever the cgroups still hold).
    func kill() {
        state.withLock { $0.dead = true }
        signal(SIGKILL)
        cgroups?.killAll()
    }

    /// Sends `signal` to the sandbox's first process: through its pidfd when it was forked by the
    /// zygote (a pid the emulator did not spawn may be reused once it is reaped), else to its
    /// process group and itself.
    func signal(_ signal: Int32) {
        let forked = state.withLock { s -> Bool in
            guard s.pidfd >= 0 else { return false }
            _ = sb_pidfd_send_signal(s.pidfd, signal)
            return true
        }
        if !forked {
            Glibc.kill(-pid, signal)
            Glibc.kill(pid, signal)
        }
    }

    /// Waits (on a Dispatch thread) until the sandbox's first process has exited and, for a
    /// spawned one, reaps it; a forked one is reaped by the zygote.
    private func waitForExit() async {
        let pidfd = state.withLock { $0.pidfd }
        guard pidfd >= 0 else { return await ProcessSpawner.reap(pid) }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                _ = sb_wait_readable(pidfd, -1)
                done.resume()
            }
        }
        state.withLock { s in
            close(s.pidfd)
            s.pidfd = -1
        }
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) every process of the sandbox: its state stays in
    /// memory and it uses no CPU while paused. Two passes over the cgroups catch a process forked
    /// while the first pass ran.
    func setStopped(_ stopped: Bool) {
        let number = stopped ? SIGSTOP : SIGCONT
        for _ in 0..<2 {
            signal(number)
            for p in cgroups?.processes ?? [] { Glibc.kill(p, number) }
        }
    }

    /// Kills the sandbox and removes its cgroups and files. Safe to call more than once.
    func destroy() async {
        let first = state.withLock { s in
            defer { s.destroyed = true }
            return !s.destroyed
        }
        guard first else { return }
        kill()
        worker.close()
        await waitForExit()
        // Killed processes leave the cgroups asynchronously; wait (up to 2 s, ignoring cancellation,
        // since destroy also runs during shutdown) until they are empty, then remove them.
        if let cgroups {
            // Polled every millisecond at first: a sandbox's processes are usually gone within a few.
            for attempt in 0..<420 {
                if cgroups.removeOrKill() { break }
                await Self.pause(milliseconds: attempt < 20 ? 1 : 5)
            }
        }
        // A workdir may hold 100 MB files and thousands of entries: remove it off the cooperative pool.
        let directory = self.directory
        let logPath = self.logPath
        _ = try? await NIOThreadPool.singleton.runIfActive {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: logPath)
        }
    }

    /// Sleeps without observing task cancellation.
    static func pause(milliseconds: Int) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { done.resume() }
        }
    }

    /// Nanoseconds in `d`, saturating at a quarter of `Int64`'s range so that sums of two never overflow.
    static func nanoseconds(_ d: Duration) -> Int64 {
        d.nanoseconds(saturatingAt: Int64.max / 4)
    }
}

extension Duration {
    /// Whole nanoseconds in the duration, held to `-limit...limit`. Compared before it is split:
    /// `components` traps on durations beyond `Int64.max` seconds, which a library caller can build.
    func nanoseconds(saturatingAt limit: Int64) -> Int64 {
        if self >= .nanoseconds(limit) { return limit }
        if self <= .nanoseconds(-limit) { return -limit }
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration held to `0...bound`.
    func clamped(to bound: Duration) -> Duration {
        Swift.min(Swift.max(self, .zero), bound)
    }
}
