import CSpawn
import Foundation
import SandboxAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The fork server for Python sandboxes: one long-lived root interpreter (`py_zygote.py`) with the
/// worker and its modules already imported, which forks each new sandbox's worker into the sandbox's
/// cgroups, rlimits, uid and namespaces (what bubblewrap builds with an exec chain), in a few
/// milliseconds instead of the chain's tens.
///
/// The emulator talks to it over an AF_UNIX SOCK_SEQPACKET pair only the two hold: a request is one
/// JSON datagram with the worker's three descriptors attached (request pipe, reply pipe, log); the
/// answer names the forked process and carries a pidfd of it, through which the emulator signals
/// and waits for the sandbox without ever naming a pid that could have been reused.
/// The zygote is spawned from the launcher thread (its parent-death signal is tied to that thread).
final class Zygote: Sendable {
    /// The zygote's own pid.
    let pid: pid_t
    /// Top-level modules it had imported when it said it was ready (what every sandbox starts with).
    let imported: [String]
    private let socket: Int32
    /// Set once a request failed because the zygote is gone; the factory then starts workers the old way.
    private let broken = Atomic<Bool>(false)
    /// ``stop()`` ran: its pid is reaped then, and must never be signalled again (it may be reused).
    private let stopped = Atomic<Bool>(false)

    struct ZygoteError: Error, CustomStringConvertible {
        var message: String
        /// No answer within the wait asked for (the zygote may still answer later).
        var timedOut = false
        var description: String { message }
    }

    /// Requests sent and not answered yet, oldest first, and since when the oldest has waited.
    private struct Waiting {
        var queue: [CheckedContinuation<Answer, any Error>] = []
        var oldestSince = ContinuousClock.now
        /// The socket is closed (its number may belong to another descriptor by now).
        var closed = false
    }

    private let waiting = Mutex(Waiting())

    private init(pid: pid_t, socket: Int32, imported: [String]) {
        self.pid = pid
        self.socket = socket
        self.imported = imported
    }

    /// Whether the zygote still answers (no request has found it gone).
    var isUsable: Bool { !broken.load(ordering: .acquiring) }

    /// Starts `python -I py_zygote.py` in `runtimeDirectory` (where the factory wrote the worker
    /// programs) and waits up to `timeout` for its ready message. Blocking: call it off the cooperative pool.
    static func start(python: String, runtimeDirectory: String, log: String, timeout: Duration = .seconds(20)) throws -> Zygote {
        var pair: [Int32] = [-1, -1]
        guard sb_socketpair_seqpacket(&pair) == 0 else { throw ZygoteError(message: "socketpair: \(String(cString: strerror(errno)))") }
        let logFD = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { if logFD >= 0 { close(logFD) } }
        let pid: pid_t
        let fds: [Int32] = [-1, -1, logFD, pair[1]]
        do {
            // A relative script path: the command line every sandbox inherits shows no host path.
            pid = try LauncherThread.shared.runBlocking {
                // LD_BIND_NOW: every symbol is bound once, in the zygote; lazily, each forked process would
                // bind again what it calls first (measured: an eighth of a sandbox's start-up CPU in ld.so).
                try ProcessSpawner.spawn(
                    [python, "-I", "py_zygote.py"], fds: fds, environment: ["PATH=/usr/bin:/bin", "LD_BIND_NOW=1"],
                    directory: runtimeDirectory)
            }
        } catch {
            close(pair[0])
            close(pair[1])
            throw error
        }
        close(pair[1])
        let zygote = Zygote(pid: pid, socket: pair[0], imported: [])
        do {
            let (ready, fds) = try zygote.receive(timeout: timeout)
            for fd in fds { close(fd) }
            guard ready["op"]?.stringValue == "ready" else { throw ZygoteError(message: "its first message was not {\"op\":\"ready\"}") }
            let imported = ready["imported"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let started = Zygote(pid: pid, socket: pair[0], imported: imported)
            let reader = Thread { started.readAnswers() }
            reader.name = "sandbench-zygote"
            reader.start()
            return started
        } catch {
            kill(pid, SIGKILL)
            ProcessSpawner.waitForExit(pid)
            close(pair[0])
            let diagnostics = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ZygoteError(message: "the zygote did not start: \(error) \(diagnostics.suffix(2000))")
        }
    }

    /// Forks one sandbox process for `request`, handing it `descriptors` (request pipe read end, reply
    /// pipe write end, log); returns its host pid and a pidfd of it (the caller owns the pidfd).
    ///
    /// Requests are pipelined: the send is a short job on the launcher thread, and the answer, matched
    /// by order (the zygote answers one request after the other), comes through ``readAnswers()``.
    func fork(_ request: JSONValue, descriptors: [Int32]) async throws -> (pid: pid_t, pidfd: Int32) {
        let body = request.serialized()
        let (reply, fds) = try await withCheckedThrowingContinuation { (answer: CheckedContinuation<Answer, any Error>) in
            LauncherThread.shared.submit { self.send(body, descriptors: descriptors, answer: answer) }
        }
        guard let number = reply["pid"]?.numberValue, let pid = pid_t(exactly: number), pid > 0, fds.count == 1 else {
            for fd in fds { close(fd) }
            throw ZygoteError(message: "the zygote could not fork a sandbox: \(reply["error"]?.stringValue ?? "no pid in its answer")")
        }
        return (pid, fds[0])
    }

    typealias Answer = (JSONValue, [Int32])

    /// Sends one request and queues `answer` for its reply, both under the lock, so the queue's order is the sending order.
    private func send(_ body: [UInt8], descriptors: [Int32], answer: CheckedContinuation<Answer, any Error>) {
        let failure: ZygoteError? = waiting.withLock { state in
            guard isUsable else { return ZygoteError(message: "the zygote is gone") }
            let sent = body.withUnsafeBytes { bytes in
                descriptors.withUnsafeBufferPointer { fds in
                    sb_send_fds(socket, bytes.baseAddress, bytes.count, fds.baseAddress, Int32(fds.count))
                }
            }
            guard sent == body.count else {
                broken.store(true, ordering: .releasing)
                return ZygoteError(message: "the zygote does not take requests: \(String(cString: strerror(errno)))")
            }
            if state.queue.isEmpty { state.oldestSince = ContinuousClock.now }
            state.queue.append(answer)
            return nil
        }
        if let failure { answer.resume(throwing: failure) }
    }

    /// The reader thread's loop: hands each answer to the oldest waiting request. Ends (failing every
    /// waiting request) when the socket closes, an answer is not JSON, or the oldest request has
    /// waited 20 s (a zygote that hangs).
    private func readAnswers() {
        while true {
            do {
                let answer = try receive(timeout: .seconds(1))
                let waiter = waiting.withLock { state -> CheckedContinuation<Answer, any Error>? in
                    guard !state.queue.isEmpty else { return nil }
                    state.oldestSince = ContinuousClock.now
                    return state.queue.removeFirst()
                }
                guard let waiter else {
                    for fd in answer.1 { close(fd) }
                    return fail(ZygoteError(message: "the zygote answered a request nobody made"))
                }
                waiter.resume(returning: answer)
            } catch let error as ZygoteError where error.timedOut {
                let stuck = waiting.withLock { !$0.queue.isEmpty && ContinuousClock.now - $0.oldestSince > .seconds(20) }
                if stuck { return fail(ZygoteError(message: "the zygote has not answered for 20 s")) }
            } catch {
                return fail(error)
            }
        }
    }

    /// Marks the zygote unusable, fails every waiting request and closes the socket.
    private func fail(_ error: any Error) {
        // Under the lock that sends hold: no send can use the descriptor once it is closed (and reused).
        let waiters = waiting.withLock { state in
            broken.store(true, ordering: .releasing)
            if !state.closed { close(socket) }
            state.closed = true
            defer { state.queue = [] }
            return state.queue
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    private func receive(timeout: Duration) throws -> (JSONValue, [Int32]) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var fds = [Int32](repeating: -1, count: 4)
        var count: Int32 = 0
        let milliseconds = Int32(clamping: timeout.nanoseconds(saturatingAt: Int64(Int32.max) * 1_000_000) / 1_000_000)
        let n = buffer.withUnsafeMutableBytes { bytes in
            sb_recv_fds(socket, bytes.baseAddress, bytes.count, &fds, Int32(fds.count), &count, milliseconds)
        }
        guard n > 0 else {
            if n < 0, errno == ETIMEDOUT { throw ZygoteError(message: "no answer from the zygote in \(timeout)", timedOut: true) }
            broken.store(true, ordering: .releasing)
            let reason = n == 0 ? "it exited" : String(cString: strerror(errno))
            throw ZygoteError(message: "no answer from the zygote: \(reason)")
        }
        let received = Array(fds.prefix(Int(count)))
        guard let message = try? JSONValue.parse(buffer[0..<n]) else {
            for fd in received { close(fd) }
            throw ZygoteError(message: "the zygote's answer is not JSON")
        }
        return (message, received)
    }

    /// Closes the socket: the zygote exits, and with it (parent-death signals) any sandbox it forked
    /// that is still alive, so call it after the sandboxes are destroyed.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        broken.store(true, ordering: .releasing)
        // Wakes the reader thread, which fails what waits and closes the socket; if it closed it
        // already (the zygote died), the number may be another descriptor's now: left alone.
        waiting.withLock { state in
            if !state.closed { shutdown(socket, Int32(SHUT_RDWR)) }
        }
        kill(pid, SIGKILL)
        let pid = self.pid
        DispatchQueue.global().async { ProcessSpawner.waitForExit(pid) }
    }
}
