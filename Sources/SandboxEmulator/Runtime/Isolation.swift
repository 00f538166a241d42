import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which isolation the emulator can apply on this host, found by probing at start-up.
///
/// The strongest available chain is chosen: bubblewrap (all namespaces, only read-only system
/// directories and the sandbox's own workdir visible) under a per-sandbox uid, cgroup (v1 or v2)
/// memory, pids and CPU limits and rlimits; else `unshare` + `setpriv`; else, when not root,
/// bubblewrap in an unprivileged user namespace or a bare process. ``summary`` says what was set up,
/// never silently weaker; the start-up banner adds what a probe sandbox shows to be in force.
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

    /// The wrapping in force.
    public var method: Method
    /// Each sandbox runs under its own uid (requires root).
    package var uidPerSandbox: Bool
    /// The cgroup hierarchy and this emulator's parent groups in it, if usable (root only).
    var cgroups: CgroupHierarchy?
    /// First uid of this emulator's sandboxes (slot n runs as `firstUID + n`); random per instance so
    /// emulators on one machine do not share uids or per-uid process limits.
    package var firstUID: Int = WorkerLaunch.firstUID + Int.random(in: 0..<400) * 1000
    /// Paths of the helper programs.
    var bwrapPath: String?
    var unsharePath: String?
    var setprivPath: String?
    var prlimitPath: String?
    /// Interpreters.
    package var pythonPath: String
    package var nodePath: String?

    /// The one-line summary of the method and its limits.
    public var description: String { summary }

    /// One line for the start-up banner.
    package var summary: String {
        var parts: [String] = []
        switch method {
        case .bubblewrap: parts.append("bubblewrap (user, net, pid, mount, ipc, uts namespaces; read-only /usr; private /tmp; no network)")
        case .unshare:
            parts.append("unshare (net, pid, mount, ipc, uts namespaces; no network; host files visible read-only by permissions)")
        case .none: parts.append("NONE: plain processes, network and host files reachable (install bubblewrap or run as root)")
        }
        parts.append(uidPerSandbox ? "uid per sandbox" : "shared uid")
        let controllers = CgroupHierarchy.Controller.allCases.filter { cgroups?.parents[$0] != nil }
        if let cgroups, !controllers.isEmpty {
            parts.append("cgroup \(cgroups.version.rawValue) " + controllers.map(\.rawValue).joined(separator: "/") + " limits")
        }
        if cgroups?.parents[.memory] == nil { parts.append("NO memory limit (no usable memory cgroup)") }
        if cgroups?.parents[.pids] == nil { parts.append(uidPerSandbox ? "pids via RLIMIT_NPROC" : "NO pids limit") }
        if cgroups?.parents[.cpu] == nil { parts.append("NO CPU limit (no usable cpu cgroup)") }
        parts.append("rlimits fsize/nofile/core")
        return parts.joined(separator: ", ")
    }

    /// Probes this host. With `required` nil the strongest available chain is chosen; otherwise
    /// exactly `required` is used, or the probe throws: never silently weaker (nor stronger).
    static func probe(stateDirectory: String, required: Method?) throws(IsolationUnavailable) -> IsolationProfile {
        let isRoot = geteuid() == 0
        let bwrap = which("bwrap")
        let unshare = which("unshare")
        let setpriv = which("setpriv")
        let prlimit = which("prlimit")
        let python = workerPython()
        let node = FileManager.default.isExecutableFile(atPath: "/usr/bin/node") ? "/usr/bin/node" : which("node")
        var profile = IsolationProfile(
            method: .none, uidPerSandbox: false, cgroups: nil,
            bwrapPath: bwrap, unsharePath: unshare, setprivPath: setpriv, prlimitPath: prlimit,
            pythonPath: python, nodePath: node)
        if isRoot, setpriv != nil { profile.uidPerSandbox = true }
        let bubblewrapWorks = (required == nil || required == .bubblewrap) && bwrap != nil && Self.bwrapWorks(profile)
        let unshareWorks = isRoot && unshare != nil && setpriv != nil
        switch required {
        case nil: profile.method = bubblewrapWorks ? .bubblewrap : unshareWorks ? .unshare : .none
        case .bubblewrap?:
            guard bubblewrapWorks else {
                throw IsolationUnavailable(
                    method: .bubblewrap,
                    reason: bwrap == nil
                        ? "bwrap is not installed (apt-get install bubblewrap)"
                        : "bwrap is installed but cannot create its namespaces here (a container without user namespaces?)")
            }
            profile.method = .bubblewrap
        case .unshare?:
            guard unshareWorks else {
                throw IsolationUnavailable(
                    method: .unshare, reason: isRoot ? "unshare or setpriv is missing (apt-get install util-linux)" : "it needs root")
            }
            profile.method = .unshare
        case .none?: profile.method = .none
        }
        if isRoot {
            Self.sweepLeftovers()
            // Unique per emulator instance: several emulators may share a process (tests) or a machine.
            let tag = "\(CgroupHierarchy.prefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            profile.cgroups = CgroupHierarchy.create(membership: CgroupHierarchy.read("/proc/self/cgroup"), name: tag)
        }
        return profile
    }

    /// Kills and removes what emulators that died without cleaning up (SIGKILL, OOM, power loss)
    /// left behind: processes still in their cgroups (in `none` mode a double-forked, `setsid`
    /// child survives its emulator) and the cgroups themselves. Returns how many processes were killed.
    @discardableResult
    static func sweepLeftovers() -> Int {
        CgroupHierarchy.sweepLeftovers(membership: CgroupHierarchy.read("/proc/self/cgroup"), isAlive: isAlive)
    }

    /// Whether a process with this pid exists (and is not a zombie).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[close...].dropFirst(2).hasPrefix("Z")
    }

    /// Removes the emulator's parent cgroups (children must be gone).
    func removeCgroups() {
        cgroups?.remove()
    }

    private static func bwrapWorks(_ profile: IsolationProfile) -> Bool {
        guard let bwrap = profile.bwrapPath else { return false }
        var argv: [String] = []
        if profile.uidPerSandbox, let setpriv = profile.setprivPath {
            argv += [
                setpriv, "--reuid=\(WorkerLaunch.firstUID - 1)", "--regid=\(WorkerLaunch.firstUID - 1)", "--clear-groups", "--no-new-privs",
                "--"
            ]
        }
        argv += [
            bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"
        ]
        return (try? ProcessSpawner.runToCompletion(argv)) == 0
    }

    /// The interpreter Python workers run: `/usr/bin/python3`, else the first `python3` in the usual directories.
    package static func workerPython() -> String {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : (which("python3") ?? "/usr/bin/python3")
    }

    private static func which(_ name: String) -> String? {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]
        where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }

}

/// The isolation asked for with `--isolation` cannot be had on this host; the emulator does not start.
public struct IsolationUnavailable: Error, Sendable, CustomStringConvertible {
    /// The method that was asked for.
    public var method: IsolationProfile.Method
    /// Why it is not available, and what to do about it.
    public var reason: String
    /// The method and the reason, in one line.
    public var description: String { "isolation \(method.rawValue) is not available: \(reason)" }
}
