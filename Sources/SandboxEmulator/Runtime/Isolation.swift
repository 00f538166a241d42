import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which isolation the emulator can apply on this host, found by probing at start-up.
///
/// The strongest available chain is chosen: bubblewrap (all namespaces, only read-only system
/// directories and the sandbox's own workdir visible) under a per-sandbox uid, cgroup v1 memory and
/// pids limits and rlimits; else `unshare` + `setpriv`; else, when not root, bubblewrap in an
/// unprivileged user namespace or a bare process. ``summary`` says what is in force, never silently weaker.
public struct IsolationProfile: Sendable, CustomStringConvertible {
    /// How worker processes are wrapped.
    public enum Method: String, Sendable {
        /// `bwrap` with every namespace and a minimal read-only filesystem view.
        case bubblewrap
        /// `unshare` net/pid/ipc/uts/mount namespaces, host filesystem visible read-only by permissions.
        case unshare
        /// A plain child process with rlimits only.
        case none
    }

    public var method: Method
    /// Each sandbox runs under its own uid (requires root).
    public var uidPerSandbox: Bool
    /// cgroup v1 memory directory the emulator creates sandbox groups under, if usable.
    public var memoryCgroup: String?
    /// cgroup v1 pids directory, if usable.
    public var pidsCgroup: String?
    /// Whether `memory.memsw.limit_in_bytes` exists (swap accounting).
    public var hasMemsw: Bool
    /// First uid of this emulator's sandboxes (slot n runs as `firstUID + n`); random per instance so
    /// emulators on one machine do not share uids or per-uid process limits.
    public var firstUID: Int = WorkerLaunch.firstUID + Int.random(in: 0..<400) * 1000
    /// Paths of the helper programs.
    var bwrapPath: String?
    var unsharePath: String?
    var setprivPath: String?
    var prlimitPath: String?
    /// Interpreters.
    public var pythonPath: String
    public var nodePath: String?

    public var description: String { summary }

    /// One line for the start-up banner.
    public var summary: String {
        var parts: [String] = []
        switch method {
        case .bubblewrap: parts.append("bubblewrap (user, net, pid, mount, ipc, uts namespaces; read-only /usr; private /tmp; no network)")
        case .unshare: parts.append("unshare (net, pid, mount, ipc, uts namespaces; no network; host files visible read-only by permissions)")
        case .none: parts.append("NONE: plain processes, network and host files reachable (install bubblewrap or run as root)")
        }
        parts.append(uidPerSandbox ? "uid per sandbox" : "shared uid")
        if memoryCgroup != nil { parts.append("cgroup v1 memory limit") } else { parts.append("NO memory limit (cgroup v1 memory unavailable)") }
        if pidsCgroup != nil { parts.append("cgroup v1 pids limit") } else { parts.append(uidPerSandbox ? "pids via RLIMIT_NPROC" : "NO pids limit") }
        parts.append("rlimits fsize/nofile/core")
        return parts.joined(separator: ", ")
    }

    /// Probes this host. `preferred` caps the strength (tests and users can ask for a weaker chain).
    static func probe(stateDirectory: String, preferred: Method?) -> IsolationProfile {
        let isRoot = geteuid() == 0
        let bwrap = which("bwrap"), unshare = which("unshare"), setpriv = which("setpriv"), prlimit = which("prlimit")
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : (which("python3") ?? "/usr/bin/python3")
        let node = FileManager.default.isExecutableFile(atPath: "/usr/bin/node") ? "/usr/bin/node" : which("node")
        var profile = IsolationProfile(method: .none, uidPerSandbox: false, memoryCgroup: nil, pidsCgroup: nil, hasMemsw: false,
                                       bwrapPath: bwrap, unsharePath: unshare, setprivPath: setpriv, prlimitPath: prlimit,
                                       pythonPath: python, nodePath: node)
        if isRoot, setpriv != nil { profile.uidPerSandbox = true }
        let wantBwrap = preferred == nil || preferred == .bubblewrap
        if wantBwrap, bwrap != nil, Self.bwrapWorks(profile) {
            profile.method = .bubblewrap
        } else if preferred != .none, isRoot, unshare != nil, setpriv != nil {
            profile.method = .unshare
        }
        if isRoot {
            // Unique per emulator instance: several emulators may share a process (tests) or a machine.
            let tag = "sandbench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if let own = ownCgroup("memory") {
                let dir = "/sys/fs/cgroup/memory\(own == "/" ? "" : own)/\(tag)"
                if mkdir(dir, 0o755) == 0 || errno == EEXIST {
                    profile.memoryCgroup = dir
                    profile.hasMemsw = FileManager.default.fileExists(atPath: dir + "/memory.memsw.limit_in_bytes")
                }
            }
            if let own = ownCgroup("pids") {
                let dir = "/sys/fs/cgroup/pids\(own == "/" ? "" : own)/\(tag)"
                if mkdir(dir, 0o755) == 0 || errno == EEXIST { profile.pidsCgroup = dir }
            }
        }
        return profile
    }

    /// Removes the emulator's parent cgroups (children must be gone).
    func removeCgroups() {
        if let memoryCgroup { rmdir(memoryCgroup) }
        if let pidsCgroup { rmdir(pidsCgroup) }
    }

    private static func bwrapWorks(_ profile: IsolationProfile) -> Bool {
        guard let bwrap = profile.bwrapPath else { return false }
        var argv: [String] = []
        if profile.uidPerSandbox, let setpriv = profile.setprivPath {
            argv += [setpriv, "--reuid=\(WorkerLaunch.firstUID - 1)", "--regid=\(WorkerLaunch.firstUID - 1)", "--clear-groups", "--no-new-privs", "--"]
        }
        argv += [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                 "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                 "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"]
        return (try? ProcessSpawner.runToCompletion(argv)) == 0
    }

    private static func which(_ name: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }

    /// This process's cgroup v1 path for `controller`, from /proc/self/cgroup.
    private static func ownCgroup(_ controller: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[1].split(separator: ",").contains(Substring(controller)) else { continue }
            guard FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(controller)/cgroup.procs") else { return nil }
            return String(fields[2])
        }
        return nil
    }
}
