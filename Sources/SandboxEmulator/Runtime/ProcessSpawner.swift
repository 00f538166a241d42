import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Spawns helper chains with `posix_spawn`: never `fork` in a multithreaded process.
///
/// The child gets a new session (so the whole group can be killed), default signal dispositions
/// and an empty signal mask (a server that ignores SIGPIPE must not pass that on), and exactly
/// the descriptors given in `fds`; everything else is closed.
enum ProcessSpawner {

    struct SpawnError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Spawns `argv` with `fds[i]` as the child's descriptor `i` (-1 → /dev/null). Returns the pid.
    static func spawn(_ argv: [String], fds: [Int32], environment: [String] = ["PATH=/usr/bin:/bin"], directory: String? = nil) throws
        -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Move sources above the target range first, so a source equal to a lower target isn't clobbered.
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        for (target, source) in fds.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source >= 0 ? source : devnull, Int32(target))
        }
        sb_spawn_addclosefrom(&actions, Int32(fds.count))
        if let directory { sb_spawn_addchdir(&actions, directory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, sb_spawn_setsid_flag() | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else { throw SpawnError(message: "cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Runs `argv` to completion with stdio on /dev/null and returns its exit status.
    static func runToCompletion(_ argv: [String]) throws -> Int32 {
        let pid = try spawn(argv, fds: [-1, -1, -1])
        return waitForExit(pid)
    }

    /// Blocks until `pid` exits; returns its exit code, or 128+signal.
    @discardableResult
    static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// Waits for `pid` to exit on a Dispatch thread, never blocking the caller's executor.
    static func reap(_ pid: pid_t) async {
        _ = await exitStatus(of: pid)
    }

    /// Waits for `pid` to exit on a Dispatch thread, never blocking the caller's executor; returns
    /// its exit code, or 128+signal.
    static func exitStatus(of pid: pid_t) async -> Int32 {
        await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
            DispatchQueue.global().async {
                done.resume(returning: waitForExit(pid))
            }
        }
    }

    /// A pipe with both ends close-on-exec (dup2 into the child clears the flag on the copy).
    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard sb_pipe_cloexec(&fds) == 0 else { throw SpawnError(message: "pipe2: \(String(cString: strerror(errno)))") }
        return (fds[0], fds[1])
    }
}
