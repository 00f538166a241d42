import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The cgroup hierarchy a host mounts, and this emulator's parent groups in it.
///
/// cgroup v1 mounts one hierarchy per controller (`ROOT/memory`, `ROOT/pids`, `ROOT/cpu`) and a
/// sandbox gets a group in each; cgroup v2 mounts one tree at `ROOT` and a sandbox gets one group
/// whose controllers its parents hand down through `cgroup.subtree_control`. The version is chosen
/// from what is mounted: v1 wherever a v1 controller is usable (hybrid hosts bind the controllers
/// there), else v2. Every file name either version uses is in this file and ``SandboxCgroups``.
struct CgroupHierarchy: Sendable, Equatable {
    enum Version: String, Sendable {
        case v1, v2
    }

    /// The controllers a sandbox is limited by.
    enum Controller: String, Sendable, CaseIterable {
        case memory, pids, cpu
    }

    let version: Version
    /// This emulator's parent group for each usable controller (v2: one directory for all).
    let parents: [Controller: String]

    /// Names of the per-emulator parent groups: `sandbench-PID-RANDOM`.
    static let prefix = "sandbench-"
    /// The CFS period every sandbox's CPU quota is expressed in.
    static let cpuPeriodMicroseconds = 100_000

    /// Detects the hierarchy under `root` for a process whose `/proc/self/cgroup` reads
    /// `membership`, and creates this emulator's parent groups called `name` in it (as children of
    /// the process's own groups, so its limits also bound the sandboxes). Nil when no controller is usable.
    static func create(root: String = "/sys/fs/cgroup", membership: String, name: String) -> CgroupHierarchy? {
        var parents: [Controller: String] = [:]
        for controller in Controller.allCases {
            guard let dir = v1Directory(root: root, membership: membership, controller: controller) else { continue }
            let parent = dir + "/" + name
            if mkdir(parent, 0o755) == 0 || errno == EEXIST { parents[controller] = parent }
        }
        if !parents.isEmpty { return CgroupHierarchy(version: .v1, parents: parents) }
        guard let own = v2Directory(root: root, membership: membership) else { return nil }
        // Hand the controllers down: own group → parent → sandboxes. A group that holds processes
        // (other than the root group) cannot hand down memory or pids (the "no internal processes"
        // rule), so on a host where the emulator's own group is such a group this finds none.
        let offered = words(read(own + "/cgroup.controllers")).filter { Controller(rawValue: $0) != nil }
        let enable = offered.map { "+" + $0 }.joined(separator: " ")
        if !enable.isEmpty { writeControl(own + "/cgroup.subtree_control", enable) }
        let parent = own + "/" + name
        guard mkdir(parent, 0o755) == 0 || errno == EEXIST else { return nil }
        if !enable.isEmpty { writeControl(parent + "/cgroup.subtree_control", enable) }
        let handedDown = words(read(parent + "/cgroup.subtree_control")).map { $0.hasPrefix("+") ? String($0.dropFirst()) : $0 }
        for controller in Controller.allCases where handedDown.contains(controller.rawValue) { parents[controller] = parent }
        guard !parents.isEmpty else {
            rmdir(parent)
            return nil
        }
        return CgroupHierarchy(version: .v2, parents: parents)
    }

    /// The v1 hierarchy directory of `controller` holding this process (`ROOT/memory/OWN`), if mounted.
    static func v1Directory(root: String, membership: String, controller: Controller) -> String? {
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] != "0",
                fields[1].split(separator: ",").contains(Substring(controller.rawValue))
            else { continue }
            let mount = root + "/" + controller.rawValue
            guard access(mount + "/cgroup.procs", F_OK) == 0 else { return nil }
            return mount + (fields[2] == "/" ? "" : String(fields[2]))
        }
        return nil
    }

    /// The v2 group holding this process (`ROOT/OWN`), if a v2 tree is mounted at `ROOT` (pure v2)
    /// or `ROOT/unified` (hybrid).
    static func v2Directory(root: String, membership: String) -> String? {
        guard let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let own = line.dropFirst(3)
        for mount in [root, root + "/unified"] where access(mount + "/cgroup.controllers", F_OK) == 0 {
            return mount + (own == "/" ? "" : String(own))
        }
        return nil
    }

    /// Creates the groups of one sandbox, named `name`, with no limits set yet.
    func makeSandboxGroups(_ name: String) throws(CgroupError) -> SandboxCgroups {
        var directories: [Controller: String] = [:]
        var made: [String] = []
        for controller in Controller.allCases {
            guard let parent = parents[controller] else { continue }
            let dir = parent + "/" + name
            if !made.contains(dir) {
                guard mkdir(dir, 0o755) == 0 else {
                    let reason = String(cString: strerror(errno))
                    for done in made { rmdir(done) }
                    throw CgroupError(message: "cannot create cgroup \(dir): \(reason)")
                }
                made.append(dir)
            }
            directories[controller] = dir
        }
        return SandboxCgroups(version: version, directories: directories)
    }

    /// Removes the parent groups (their sandbox groups must be gone).
    func remove() {
        for dir in Set(parents.values) { rmdir(dir) }
    }

    /// Kills what emulators that died without cleaning up left in their groups under the process's
    /// own groups (named `sandbench-PID-…` with PID no longer alive), and removes those groups.
    /// Returns how many processes were killed.
    @discardableResult
    static func sweepLeftovers(root: String = "/sys/fs/cgroup", membership: String, isAlive: (pid_t) -> Bool) -> Int {
        var homes = Controller.allCases.compactMap { v1Directory(root: root, membership: membership, controller: $0) }
        if let own = v2Directory(root: root, membership: membership) { homes.append(own) }
        var killed = 0
        for home in Set(homes) {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: home)) ?? [] where entry.hasPrefix(prefix) {
                let fields = entry.dropFirst(prefix.count).split(separator: "-")
                guard fields.count == 2, let owner = pid_t(fields[0]), !isAlive(owner) else { continue }
                let dir = home + "/" + entry
                let children = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                    .filter { access("\(dir)/\($0)/cgroup.procs", F_OK) == 0 }
                killed += SandboxCgroups.killAndRemove(children.map { "\(dir)/\($0)" } + [dir], attempts: 200)
            }
        }
        return killed
    }

    /// A control file's text ("" when it cannot be read), at most 64 KiB: these are small kernel
    /// files, read often while a sandbox is torn down, so with plain `open`/`read`.
    static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 16 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}

/// One sandbox's cgroups: where its processes go, and the files that carry its limits.
struct SandboxCgroups: Sendable, Equatable {
    let version: CgroupHierarchy.Version
    /// The sandbox's group for each controller (v2: the same directory for each).
    let directories: [CgroupHierarchy.Controller: String]

    /// Each directory once, in a stable order: the groups a worker joins and that are removed.
    var groups: [String] {
        var seen: [String] = []
        for controller in CgroupHierarchy.Controller.allCases {
            if let dir = directories[controller], !seen.contains(dir) { seen.append(dir) }
        }
        return seen
    }

    /// Sets the memory limit, swap included. v1 writes `memory.limit_in_bytes` and
    /// `memory.memsw.limit_in_bytes` in the order the kernel accepts (memsw may never be below the
    /// limit); v2 writes `memory.max` and `memory.swap.max` 0.
    func setMemoryLimit(_ bytes: Int) {
        guard let dir = directories[.memory] else { return }
        switch version {
        case .v1:
            let limit = dir + "/memory.limit_in_bytes"
            let memsw = dir + "/memory.memsw.limit_in_bytes"
            let current = Int(CgroupHierarchy.read(limit).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let hasMemsw = access(memsw, F_OK) == 0
            writeControl(dir + "/memory.swappiness", "0")
            for file in bytes >= current ? [memsw, limit] : [limit, memsw] where file == limit || hasMemsw {
                writeControl(file, "\(bytes)")
            }
        case .v2:
            writeControl(dir + "/memory.max", "\(bytes)")
            writeControl(dir + "/memory.swap.max", "0")
        }
    }

    /// Sets the most processes and threads the sandbox may have (`pids.max`, both versions).
    func setProcessLimit(_ count: Int) {
        guard let dir = directories[.pids] else { return }
        writeControl(dir + "/pids.max", "\(count)")
    }

    /// Sets the CPU bandwidth to `cpus` whole CPUs per ``CgroupHierarchy/cpuPeriodMicroseconds``:
    /// v1 `cpu.cfs_period_us` and `cpu.cfs_quota_us`, v2 `cpu.max` ("QUOTA PERIOD").
    func setCPULimit(_ cpus: Int) {
        guard let dir = directories[.cpu] else { return }
        let period = CgroupHierarchy.cpuPeriodMicroseconds
        let quota = cpus.multipliedReportingOverflow(by: period)
        guard cpus > 0, !quota.overflow else { return }
        switch version {
        case .v1:
            writeControl(dir + "/cpu.cfs_period_us", "\(period)")
            writeControl(dir + "/cpu.cfs_quota_us", "\(quota.partialValue)")
        case .v2:
            writeControl(dir + "/cpu.max", "\(quota.partialValue) \(period)")
        }
    }

    /// Every process in any of the sandbox's groups.
    var processes: [pid_t] {
        var all: [pid_t] = []
        for dir in groups {
            for p in Self.processes(in: dir) where !all.contains(p) { all.append(p) }
        }
        return all
    }

    static func processes(in group: String) -> [pid_t] {
        CgroupHierarchy.read(group + "/cgroup.procs").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Sends SIGKILL to every process in the groups: v2 through `cgroup.kill` where the kernel has it
    /// (atomic, also for processes forking at that moment), and to each listed pid in any case.
    func killAll() {
        if version == .v2, let dir = groups.first, access(dir + "/cgroup.kill", F_OK) == 0 {
            writeControl(dir + "/cgroup.kill", "1")
        }
        for p in processes { kill(p, SIGKILL) }
    }

    /// One round of tearing the groups down: each empty group is removed, and what a group still
    /// holds is sent SIGKILL (read once per group). Returns whether every group is gone.
    func removeOrKill() -> Bool {
        var gone = true
        var killedThroughV2 = false
        for dir in groups {
            let left = Self.processes(in: dir)
            if left.isEmpty {
                if rmdir(dir) != 0 && errno != ENOENT { gone = false }
                continue
            }
            gone = false
            if version == .v2, !killedThroughV2, access(dir + "/cgroup.kill", F_OK) == 0 {
                writeControl(dir + "/cgroup.kill", "1")
                killedThroughV2 = true
            }
            for p in left { kill(p, SIGKILL) }
        }
        return gone
    }

    /// Kills what is in `groups` and removes them, retrying every 5 ms while killed processes are
    /// still leaving (they do so asynchronously). Returns how many processes were signalled.
    static func killAndRemove(_ groups: [String], attempts: Int) -> Int {
        var signalled = 0
        for dir in groups {
            for _ in 0..<attempts {
                let left = processes(in: dir)
                if left.isEmpty, rmdir(dir) == 0 || errno == ENOENT { break }
                for p in left where kill(p, SIGKILL) == 0 { signalled += 1 }
                usleep(5_000)
            }
        }
        return signalled
    }

    /// How often the kernel's OOM killer struck in the memory group (v1 `memory.oom_control`,
    /// v2 `memory.events`, both as an `oom_kill N` line).
    var oomKills: Int {
        guard let dir = directories[.memory] else { return 0 }
        let text = CgroupHierarchy.read(dir + (version == .v1 ? "/memory.oom_control" : "/memory.events"))
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("oom_kill ") }) else { return 0 }
        return Int(line.dropFirst("oom_kill ".count)) ?? 0
    }

    /// Bytes the memory group charges now (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    var memoryUsage: Int? {
        guard let dir = directories[.memory] else { return nil }
        let text = CgroupHierarchy.read(dir + (version == .v1 ? "/memory.usage_in_bytes" : "/memory.current"))
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The limits the groups' files say are in force now (read back, not what was written).
    var limitsInForce: CgroupLimits {
        var limits = CgroupLimits(version: version)
        if let dir = directories[.memory] {
            switch version {
            case .v1:
                limits.memoryBytes = Self.limit(CgroupHierarchy.read(dir + "/memory.limit_in_bytes"))
                let memsw = Self.limit(CgroupHierarchy.read(dir + "/memory.memsw.limit_in_bytes"))
                limits.swapLimited = memsw != nil && memsw == limits.memoryBytes
            case .v2:
                limits.memoryBytes = Self.limit(CgroupHierarchy.read(dir + "/memory.max"))
                limits.swapLimited = Self.limit(CgroupHierarchy.read(dir + "/memory.swap.max")) == 0
            }
        }
        if let dir = directories[.pids] { limits.maxProcesses = Self.limit(CgroupHierarchy.read(dir + "/pids.max")) }
        if let dir = directories[.cpu] {
            switch version {
            case .v1:
                limits.cpuQuotaMicroseconds = Self.limit(CgroupHierarchy.read(dir + "/cpu.cfs_quota_us"))
                limits.cpuPeriodMicroseconds = Self.limit(CgroupHierarchy.read(dir + "/cpu.cfs_period_us"))
            case .v2:
                let fields = CgroupHierarchy.words(CgroupHierarchy.read(dir + "/cpu.max"))
                if fields.count == 2 {
                    limits.cpuQuotaMicroseconds = Self.limit(fields[0])
                    limits.cpuPeriodMicroseconds = Self.limit(fields[1])
                }
            }
        }
        return limits
    }

    /// A limit file's value; nil for "max", -1, v1's "unlimited" page-rounded `Int64.max`, or garbage.
    static func limit(_ text: String) -> Int? {
        guard let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value >= 0, value < (1 << 62) else { return nil }
        return value
    }
}

/// Limits read back from a sandbox's cgroup files; nil where no limit is in force.
struct CgroupLimits: Sendable, Equatable {
    var version: CgroupHierarchy.Version
    var memoryBytes: Int?
    /// Whether swap is held to the memory limit (v1 memsw equal to it, v2 `memory.swap.max` 0).
    var swapLimited = false
    var maxProcesses: Int?
    var cpuQuotaMicroseconds: Int?
    var cpuPeriodMicroseconds: Int?

    /// The CPU bandwidth in CPUs (quota / period), if limited.
    var cpus: Double? {
        guard let quota = cpuQuotaMicroseconds, let period = cpuPeriodMicroseconds, period > 0 else { return nil }
        return Double(quota) / Double(period)
    }
}

/// A cgroup could not be created.
struct CgroupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Writes a control file; false if it cannot be opened or written (the limit is then not in force,
/// and the start-up banner, which reads the files back, says so).
///
/// `O_CREAT` makes no difference on cgroupfs (which never creates files) but lets the layout code
/// run against a plain directory standing in for a cgroup v2 tree in tests.
@discardableResult
func writeControl(_ path: String, _ value: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return value.withCString { write(fd, $0, strlen($0)) } >= 0
}
