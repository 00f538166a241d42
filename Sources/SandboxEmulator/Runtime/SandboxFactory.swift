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

/// Starts sandbox worker processes under the host's isolation profile, each with its own slot
/// (uid, directory, cgroups), and hands back ready ``SandboxProcess``es.
final class SandboxFactory: Sendable {
    let profile: IsolationProfile
    let stateDirectory: String
    let runtimeDirectory: String
    let limits: SandboxLimits
    /// The runtime image Python sandboxes see read-only, nil for none.
    let image: RuntimeImage?
    /// Largest reply frame a worker may send (derived from the output limit).
    let maxReplyFrame: Int
    let group: any EventLoopGroup
    let logger: Logger
    private let slots = Mutex<SlotTable>(SlotTable())
    /// Every started process not yet destroyed, so a shutdown can kill them all at once.
    private let live = Mutex<[ObjectIdentifier: SandboxProcess]>([:])
    /// The fork server Python sandboxes are started from, when one runs (see ``startZygote()``).
    private let zygote = Mutex<Zygote?>(nil)
    /// Restarts of a zygote that died: when one was last tried, whether one is under way, and
    /// whether the emulator is stopping (then none is).
    private let zygoteRestart = Mutex<(lastAttempt: ContinuousClock.Instant?, running: Bool, stopped: Bool)>((nil, false, false))
    /// Least time between two restarts of the zygote: one that keeps dying costs a start every
    /// interval at most, and Python sandboxes take the exec chain meanwhile.
    static let zygoteRestartInterval: Duration = .seconds(30)
    /// The empty directory the zygote's sandboxes mount their new root on.
    private var rootDirectory: String { stateDirectory + "/root" }

    struct SlotTable {
        var free: [Int] = []
        var next = 0
        var serial = 0
    }

    init(
        profile: IsolationProfile, stateDirectory: String, limits: SandboxLimits, maxOutputBytes: Int, image: RuntimeImage? = nil,
        group: any EventLoopGroup, logger: Logger
    ) throws {
        self.profile = profile
        self.image = image
        self.maxReplyFrame = WorkerReply.maxFrameBytes(maxOutputBytes: maxOutputBytes)
        self.stateDirectory = stateDirectory
        self.runtimeDirectory = stateDirectory + "/runtime"
        self.limits = limits
        self.group = group
        self.logger = logger
        let fm = FileManager.default
        for dir in [stateDirectory, runtimeDirectory, stateDirectory + "/sandboxes", stateDirectory + "/logs", stateDirectory + "/root"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // The worker programs every sandbox runs are written below: the directory must be this
        // process's own, not one (or a symlink) that someone else put at the path first.
        var info = stat()
        guard lstat(stateDirectory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else {
            throw FactoryError(message: "state directory \(stateDirectory) is not a directory owned by this user")
        }
        chmod(stateDirectory, 0o711)
        chmod(stateDirectory + "/sandboxes", 0o711)
        chmod(runtimeDirectory, 0o755)
        chmod(stateDirectory + "/root", 0o755)
        chmod(stateDirectory + "/logs", 0o700)
        for (name, source) in WorkerPrograms.all {
            let path = runtimeDirectory + "/" + name
            try source.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o644)
        }
    }

    /// Starts a worker for `language` and waits until it says it is ready.
    func start(_ language: SandboxLanguage, readyTimeout: Duration = .seconds(20)) async throws -> SandboxProcess {
        let (slot, serial) = slots.withLock { t -> (Int, Int) in
            t.serial += 1
            if let s = t.free.popLast() { return (s, t.serial) }
            t.next += 1
            return (t.next - 1, t.serial)
        }
        let uid = profile.uidPerSandbox ? profile.firstUID + slot : Int(getuid())
        let directory = "\(stateDirectory)/sandboxes/s\(serial)"
        let logPath = "\(stateDirectory)/logs/s\(serial).log"
        var cgroups: SandboxCgroups?
        var ownedByProcess = false
        do {
            try FileManager.default.createDirectory(atPath: directory + "/work", withIntermediateDirectories: true)
            chmod(directory, 0o711)
            chmod(directory + "/work", 0o700)
            chown(directory + "/work", uid_t(uid), gid_t(uid))
            if let hierarchy = profile.cgroups {
                // Limits of the default machine shape; a hand-out applies the sandbox's own (see SandboxProcess.apply).
                let groups = try hierarchy.makeSandboxGroups("s\(serial)")
                cgroups = groups
                groups.setMemoryLimit(MachineConfig.unspecified.memoryLimitBytes)
                groups.setProcessLimit(limits.maxProcesses)
                groups.setCPULimit(MachineConfig.unspecified.vcpus)
            }
            let launch = WorkerLaunch(
                profile: profile, language: language, uid: uid, workdir: directory + "/work",
                runtimeDirectory: runtimeDirectory, cgroups: cgroups?.groups ?? [], limits: limits,
                image: image)
            let requests = try ProcessSpawner.pipe()
            let replies = try ProcessSpawner.pipe()
            let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let pid: pid_t
            var pidfd: Int32 = -1
            do {
                let current = language == .python ? zygote.withLock({ $0 }) : nil
                if let zygote = current, zygote.isUsable {
                    do {
                        (pid, pidfd) = try await zygote.fork(
                            launch.zygoteRequest(root: rootDirectory), descriptors: [requests.read, replies.write, log])
                    } catch  where !zygote.isUsable {
                        restartZygoteIfDue(zygote, reason: "\(error)")
                        pid = try await spawn(launch, directory: directory, fds: [-1, -1, log, requests.read, replies.write])
                    }
                } else {
                    if let current { restartZygoteIfDue(current, reason: "its socket closed") }
                    pid = try await spawn(launch, directory: directory, fds: [-1, -1, log, requests.read, replies.write])
                }
            } catch {
                for fd in [requests.read, requests.write, replies.read, replies.write, log] { close(fd) }
                throw error
            }
            for fd in [requests.read, replies.write, log] { close(fd) }
            let worker: WorkerChannel
            do {
                worker = try await WorkerChannel.open(
                    group: group, replies: replies.read, requests: requests.write, maxFrame: maxReplyFrame)
            } catch {
                // The channel owns nothing yet: close our ends and reap the worker, which would otherwise outlive us.
                for fd in [replies.read, requests.write] { close(fd) }
                if pidfd >= 0 {
                    _ = sb_pidfd_send_signal(pidfd, SIGKILL)
                    close(pidfd)
                } else {
                    kill(-pid, SIGKILL)
                    kill(pid, SIGKILL)
                    await ProcessSpawner.reap(pid)
                }
                throw error
            }
            let process = SandboxProcess(
                slot: slot, uid: uid, language: language, directory: directory,
                cgroups: cgroups, pid: pid, pidfd: pidfd, worker: worker, logPath: logPath)
            ownedByProcess = true
            do {
                _ = try await worker.waitUntilReady(timeout: .nanoseconds(SandboxProcess.nanoseconds(readyTimeout)))
            } catch {
                let diagnostics = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                await process.destroy()
                release(slot)
                throw FactoryError(message: "the \(language.rawValue) worker did not start: \(diagnostics.suffix(2000))")
            }
            live.withLock { $0[ObjectIdentifier(process)] = process }
            return process
        } catch let error as FactoryError where ownedByProcess {
            throw error
        } catch {
            for dir in cgroups?.groups ?? [] { rmdir(dir) }
            try? FileManager.default.removeItem(atPath: directory)
            release(slot)
            throw FactoryError(message: "cannot start a \(language.rawValue) worker: \(error)")
        }
    }

    /// Spawns the exec chain of `launch` from the launcher thread; returns its pid.
    private func spawn(_ launch: WorkerLaunch, directory: String, fds: [Int32]) async throws -> pid_t {
        let argv = launch.argv
        let workdir = directory + "/work"
        return try await LauncherThread.shared.run { try ProcessSpawner.spawn(argv, fds: fds, directory: workdir) }
    }

    /// Starts the fork server Python sandboxes are then started from. Only for bubblewrap isolation
    /// as root: the zygote builds what bubblewrap would (namespaces, filesystem view, uid drop) and
    /// needs root to put each sandbox in its cgroups and uid. Blocking: call it off the cooperative pool.
    func startZygote() throws -> Zygote {
        guard profile.method == .bubblewrap, profile.uidPerSandbox, geteuid() == 0 else {
            throw Zygote.ZygoteError(message: "the zygote needs bubblewrap isolation and root")
        }
        let started = try Zygote.start(
            python: profile.pythonPath, runtimeDirectory: runtimeDirectory, log: stateDirectory + "/logs/zygote.log")
        zygote.withLock { $0 = started }
        return started
    }

    /// Starts a new zygote in place of `dead`, off the cooperative pool, unless one was tried less
    /// than ``zygoteRestartInterval`` ago, one is being started, or the emulator is stopping. Python
    /// sandboxes take the exec chain until it is up.
    private func restartZygoteIfDue(_ dead: Zygote, reason: String) {
        let due = zygoteRestart.withLock { restart in
            guard !restart.running, !restart.stopped else { return false }
            if let last = restart.lastAttempt, ContinuousClock.now - last < Self.zygoteRestartInterval { return false }
            restart.running = true
            restart.lastAttempt = .now
            return true
        }
        guard due else { return }
        logger.error(
            "the Python zygote (pid \(dead.pid)) is gone (\(reason)); restarting it, Python sandboxes use the exec chain meanwhile")
        DispatchQueue.global().async { [self] in
            dead.stop() // reaps it and closes its socket; what it had forked died with it
            do {
                let started = try startZygote()
                let stopping = zygoteRestart.withLock { restart in
                    restart.running = false
                    return restart.stopped
                }
                if stopping {
                    stopZygote()
                } else {
                    logger.notice("the Python zygote is back (pid \(started.pid)); Python sandboxes are forked from it again")
                }
            } catch {
                zygoteRestart.withLock { $0.running = false }
                logger.error("the Python zygote did not restart: \(error); next try on a create after \(Self.zygoteRestartInterval)")
            }
        }
    }

    /// Stops the zygote (after every sandbox is destroyed: those it forked die with it).
    func stopZygote() {
        zygoteRestart.withLock { $0.stopped = true }
        zygote.withLock { z in
            z?.stop()
            z = nil
        }
    }

    /// Starts a Python sandbox as any other and measures, from the host, what isolation is in force
    /// in it. Returns the measurement and the (unused, blank) sandbox, or why none could be started.
    func probe() async -> (MeasuredIsolation, SandboxProcess?) {
        let process: SandboxProcess
        do {
            process = try await start(.python)
        } catch {
            return (MeasuredIsolation(emulatorUID: Int(getuid()), problem: "the probe sandbox did not start: \(error)"), nil)
        }
        let pid = process.pid
        let python = profile.pythonPath
        // /proc walks: off the cooperative pool.
        let measured = try? await NIOThreadPool.singleton.runIfActive { () -> MeasuredIsolation in
            guard let worker = MeasuredIsolation.process(under: pid, argv0: python) else {
                return MeasuredIsolation(
                    emulatorUID: Int(getuid()),
                    problem: "the probe sandbox's interpreter (\(python)) was not found under pid \(pid)")
            }
            return MeasuredIsolation.measure(pid: worker)
        }
        return (measured ?? MeasuredIsolation(emulatorUID: Int(getuid()), problem: "the emulator is shutting down"), process)
    }

    /// Kills every live sandbox's processes now, without waiting: executes in flight end at once
    /// (their worker is gone), so a server shutting down does not wait for code that runs for minutes.
    /// Their clean-up (reaping, cgroups, files) follows through ``destroy(_:)``.
    func killAll() {
        for process in live.withLock({ Array($0.values) }) { process.kill() }
    }

    /// Returns a slot (and its uid) to the free list once its sandbox is destroyed.
    func release(_ slot: Int) {
        slots.withLock { $0.free.append(slot) }
    }

    /// Destroys a sandbox process and frees its slot.
    func destroy(_ process: SandboxProcess) async {
        _ = live.withLock { $0.removeValue(forKey: ObjectIdentifier(process)) }
        await process.destroy()
        release(process.slot)
    }

    struct FactoryError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
