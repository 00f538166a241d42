import Foundation
import Synchronization
import Logging
import NIOCore
import NIOPosix
import SandboxAPI
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
    let memoryCgroup: String?
    let pidsCgroup: String?
    let pid: pid_t
    let worker: WorkerChannel
    let logPath: String
    private let gate = SerialGate()
    private let state = Mutex<State>(State())

    struct State {
        var nextID = 1
        var dead = false
        var destroyed = false
        /// Executes waiting for or holding the gate.
        var executing = 0
    }

    init(slot: Int, uid: Int, language: SandboxLanguage, directory: String, memoryCgroup: String?, pidsCgroup: String?,
         pid: pid_t, worker: WorkerChannel, logPath: String) {
        self.slot = slot
        self.uid = uid
        self.language = language
        self.directory = directory
        self.workdir = Workdir(path: directory + "/work", uid: uid_t(uid))
        self.memoryCgroup = memoryCgroup
        self.pidsCgroup = pidsCgroup
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

    /// Resident memory of the sandbox's processes in bytes (cgroup usage if available, else the worker tree's RSS).
    var memoryUsage: Int? {
        if let memoryCgroup, let text = try? String(contentsOfFile: memoryCgroup + "/memory.usage_in_bytes", encoding: .utf8) {
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return nil
    }

    /// Sets the memory limit (cgroup v1), ordering the two files so the kernel accepts the change.
    func setMemoryLimit(_ bytes: Int, hasMemsw: Bool) {
        guard let memoryCgroup else { return }
        let limit = memoryCgroup + "/memory.limit_in_bytes", memsw = memoryCgroup + "/memory.memsw.limit_in_bytes"
        let current = (try? String(contentsOfFile: limit, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        let order = bytes >= current ? [memsw, limit] : [limit, memsw]
        for file in order where file == limit || hasMemsw { writeControl(file, "\(bytes)") }
    }

    /// Runs `code` after placing `files`; returns output and the files the call created or changed.
    func execute(code: String?, files: [SandboxFile], settings: ExecutionSettings, logger: Logger) async throws(GoogleError) -> ExecutionOutcome {
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

    private func executeNow(code: String?, files: [SandboxFile], settings: ExecutionSettings, logger: Logger) async throws(GoogleError) -> ExecutionOutcome {
        guard !isDead else { throw GoogleError(.failedPrecondition, "The sandbox is not running (its worker has exited).") }
        let workdir = self.workdir
        // File work (writes of up to 100 MB, directory walks) runs on NIO's blocking-I/O pool, never
        // on the cooperative pool that serves every other request.
        let before = try await Self.blocking { () throws(GoogleError) -> [String: Workdir.Stamp] in
            for file in files { try workdir.place(file) }
            return workdir.snapshot()
        }
        var stdout = "", stderr = ""
        var terminated = false
        if let code {
            let id = state.withLock { s in defer { s.nextID += 1 }; return s.nextID }
            let message: JSONValue = ["op": "exec", "id": .number(Double(id)), "code": .string(code),
                                      "max_output": .number(Double(settings.maxOutputBytes)),
                                      // Node can only stop synchronous code through vm's own timeout; Python is interrupted in-band.
                                      "timeout_ms": language == .javascript ? .number(Double(Self.nanoseconds(settings.timeout) / 1_000_000)) : 0]
            let reply = worker.request(message, id: id)
            let eventLoop = worker.channel.eventLoop
            let timeout = TimeAmount.nanoseconds(Self.nanoseconds(settings.timeout))
            let grace = TimeAmount.nanoseconds(Self.nanoseconds(settings.killGrace))
            let interruptTimer = eventLoop.scheduleTask(in: timeout) { [worker] in
                worker.send(["op": "interrupt", "id": .number(Double(id))])
            }
            let killTimer = eventLoop.scheduleTask(in: timeout + grace) { [self] in
                logger.warning("sandbox worker ignored the interrupt; killing it", metadata: ["slot": "\(slot)"])
                self.kill()
            }
            // Cancelled on the event loop as soon as the reply is there: the task awaiting it may
            // resume much later on a busy machine, and must not find its worker killed meanwhile.
            reply.whenComplete { _ in
                interruptTimer.cancel()
                killTimer.cancel()
            }
            defer {
                interruptTimer.cancel()
                killTimer.cancel()
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
                let violation: WorkerProtocolViolation? = switch error {
                case let v as WorkerProtocolViolation: v
                case WorkerChannelError.protocolViolation(let v): v
                default: nil
                }
                if destroyed {
                    stderr = "[sandbench: the sandbox was deleted while this code ran]\n"
                } else if let violation {
                    logger.warning("sandbox worker broke the protocol; killed it", metadata: ["slot": "\(slot)", "reason": "\(violation.reason)"])
                    stderr = "[sandbench: the sandbox's worker was killed: it sent \(violation.reason); the sandbox is now STATE_TERMINATED]\n"
                } else {
                    stderr = "[sandbench: \(deathReason(settings: settings)); the sandbox is now STATE_TERMINATED]\n"
                }
            }
        }
        let maxReturned = settings.maxReturnedBytes
        let (returned, notes) = try await Self.blocking { () throws(GoogleError) -> ([SandboxFile], String) in
            let after = workdir.snapshot()
            var returned: [SandboxFile] = []
            var notes = ""
            var total = 0
            for name in Workdir.changes(before: before, after: after) {
                guard let bytes = workdir.contents(of: name, limit: maxReturned - total) else {
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
        return ExecutionOutcome(stdout: stdout, stderr: stderr + notes, files: returned, terminated: terminated)
    }

    /// Runs blocking file work on NIO's thread pool for blocking I/O.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws(GoogleError) -> T) async throws(GoogleError) -> T {
        do {
            return try await NIOThreadPool.singleton.runIfActive { try work() }
        } catch let error as GoogleError {
            throw error
        } catch {
            throw GoogleError(.unavailable, "The emulator is shutting down.")
        }
    }

    /// Explains a worker's death: out of memory (from the memcg's OOM counter) or a crash/kill.
    private func deathReason(settings: ExecutionSettings) -> String {
        if let memoryCgroup, let text = try? String(contentsOfFile: memoryCgroup + "/memory.oom_control", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("oom_kill ") }),
           let count = Int(line.dropFirst("oom_kill ".count)), count > 0 {
            return "the sandbox's worker was killed: out of memory"
        }
        return "the sandbox's worker exited or was killed (it did not stop within \(settings.killGrace) of an interrupt, called exit, or crashed)"
    }

    /// Kills every process of the sandbox (group, then whatever the cgroups still hold).
    func kill() {
        state.withLock { $0.dead = true }
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
        for cgroup in [memoryCgroup, pidsCgroup].compactMap({ $0 }) {
            for p in Self.pids(in: cgroup) { Glibc.kill(p, SIGKILL) }
        }
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) every process of the sandbox: its state stays in
    /// memory and it uses no CPU while paused. Two passes over the cgroups catch a process forked
    /// while the first pass ran.
    func setStopped(_ stopped: Bool) {
        let signal = stopped ? SIGSTOP : SIGCONT
        for _ in 0..<2 {
            Glibc.kill(-pid, signal)
            Glibc.kill(pid, signal)
            for cgroup in [memoryCgroup, pidsCgroup].compactMap({ $0 }) {
                for p in Self.pids(in: cgroup) { Glibc.kill(p, signal) }
            }
        }
    }

    /// Kills the sandbox and removes its cgroups and files. Safe to call more than once.
    func destroy() async {
        let first = state.withLock { s in defer { s.destroyed = true }; return !s.destroyed }
        guard first else { return }
        kill()
        worker.close()
        await ProcessSpawner.reap(pid)
        // Killed processes leave the cgroup asynchronously; wait (up to 2 s, ignoring cancellation,
        // since destroy also runs during shutdown) until it is empty, then remove it.
        for cgroup in [memoryCgroup, pidsCgroup].compactMap({ $0 }) {
            for _ in 0..<400 {
                let left = Self.pids(in: cgroup)
                if left.isEmpty, rmdir(cgroup) == 0 || errno == ENOENT { break }
                for p in left { Glibc.kill(p, SIGKILL) }
                await Self.pause(milliseconds: 5)
            }
        }
        // A workdir may hold 100 MB files and thousands of entries: remove it off the cooperative pool.
        let directory = self.directory, logPath = self.logPath
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

    static func pids(in cgroup: String) -> [pid_t] {
        guard let text = try? String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Nanoseconds in `d`, saturating at a quarter of `Int64`'s range so that sums of two never overflow.
    static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        let limit = Int64.max / 4
        let (whole, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, whole < limit, whole > -limit else { return s < 0 ? -limit : limit }
        return whole + atto / 1_000_000_000
    }
}

/// Writes a cgroup control file; failures are ignored (the banner already said what is enforced).
@discardableResult
func writeControl(_ path: String, _ value: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return value.withCString { write(fd, $0, strlen($0)) } >= 0
}
