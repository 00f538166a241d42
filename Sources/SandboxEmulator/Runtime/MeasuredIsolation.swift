import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a probe sandbox shows to be in force, read from the host after it started: its worker's
/// uid (`/proc/PID/status`), the namespaces it does not share with the emulator (`/proc/PID/ns/*`),
/// its rlimits (`/proc/PID/limits`) and the limits in the files of the cgroups it is actually in
/// (`/proc/PID/cgroup`). The start-up banner prints ``summary``: what was measured, not what was asked for.
package struct MeasuredIsolation: Sendable, Equatable {
    /// Real uid of the sandbox's worker, and of the emulator.
    package var uid: Int?
    package var emulatorUID: Int
    /// Namespaces the worker has of its own (of `user`, `net`, `pid`, `mnt`, `ipc`, `uts`).
    package var ownNamespaces: [String] = []
    /// Namespaces the worker shares with the emulator.
    package var sharedNamespaces: [String] = []
    /// The cgroup version of the worker's groups (nil: no cgroup hierarchy found).
    package var cgroupVersion: String?
    /// Memory limit of the worker's memory cgroup in bytes (nil: none).
    package var memoryBytes: Int?
    /// Whether swap is held to the memory limit.
    package var swapLimited = false
    /// Whether the worker is in the emulator's own cgroups (its limits, if any, are then shared with the emulator).
    package var inEmulatorsCgroups = false
    /// `pids.max` of the worker's pids cgroup (nil: none).
    package var maxProcesses: Int?
    /// CPU bandwidth of the worker's cpu cgroup in CPUs (nil: none).
    package var cpus: Double?
    /// Soft rlimits of the worker (nil: unlimited).
    package var fileSizeBytes: Int?
    package var openFiles: Int?
    package var coreBytes: Int?
    package var processesPerUID: Int?
    /// Why nothing could be measured (the probe sandbox did not start), if so.
    package var problem: String?

    /// Namespaces compared between the worker and the emulator.
    static let namespaces = ["user", "net", "pid", "mnt", "ipc", "uts"]

    /// One line for the start-up banner.
    package var summary: String {
        if let problem { return "NOT MEASURED: \(problem)" }
        var parts: [String] = []
        if let uid {
            parts.append(uid == emulatorUID ? "uid \(uid), THE EMULATOR'S OWN" : "uid \(uid) (emulator: \(emulatorUID))")
        }
        parts.append(ownNamespaces.isEmpty ? "NO namespaces of its own" : "own namespaces: " + ownNamespaces.joined(separator: ", "))
        if sharedNamespaces.contains("net") { parts.append("SHARES THE EMULATOR'S NETWORK") }
        let version = cgroupVersion.map { "cgroup \($0) " } ?? ""
        if inEmulatorsCgroups { parts.append("IN THE EMULATOR'S OWN CGROUPS") }
        let swap = swapLimited ? " (swap included)" : " (plus swap)"
        parts.append(memoryBytes.map { "\(version)memory \(Self.bytes($0))\(swap)" } ?? "NO memory limit")
        parts.append(maxProcesses.map { "\(version)pids \($0)" } ?? "NO pids cgroup limit")
        parts.append(cpus.map { "\(version)cpu \(Self.count($0)) CPUs" } ?? "NO CPU limit")
        let limits = [
            ("fsize", fileSizeBytes.map(Self.bytes)), ("nofile", openFiles.map(String.init)), ("core", coreBytes.map(Self.bytes)),
            ("nproc", processesPerUID.map(String.init))
        ]
        parts.append("rlimits " + limits.map { "\($0.0) \($0.1 ?? "unlimited")" }.joined(separator: ", "))
        return parts.joined(separator: "; ")
    }

    static func bytes(_ n: Int) -> String {
        n == 0 ? "0" : n % (1 << 20) == 0 ? "\(n >> 20) MiB" : "\(n) bytes"
    }

    static func count(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e9 ? "\(Int(x))" : String(format: "%.2f", x)
    }

    /// Measures the process `pid` (a sandbox's worker) from the host.
    static func measure(pid: pid_t, cgroupRoot: String = "/sys/fs/cgroup") -> MeasuredIsolation {
        var measured = MeasuredIsolation(emulatorUID: Int(getuid()))
        let status = CgroupHierarchy.read("/proc/\(pid)/status")
        if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) {
            measured.uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { Int($0) }
        }
        for namespace in namespaces {
            guard let theirs = link("/proc/\(pid)/ns/\(namespace)"), let ours = link("/proc/self/ns/\(namespace)") else { continue }
            if theirs == ours { measured.sharedNamespaces.append(namespace) } else { measured.ownNamespaces.append(namespace) }
        }
        let membership = CgroupHierarchy.read("/proc/\(pid)/cgroup")
        measured.inEmulatorsCgroups = membership == CgroupHierarchy.read("/proc/self/cgroup")
        var directories: [CgroupHierarchy.Controller: String] = [:]
        for controller in CgroupHierarchy.Controller.allCases {
            directories[controller] = CgroupHierarchy.v1Directory(root: cgroupRoot, membership: membership, controller: controller)
        }
        var groups: SandboxCgroups?
        if !directories.isEmpty {
            groups = SandboxCgroups(version: .v1, directories: directories)
        } else if let dir = CgroupHierarchy.v2Directory(root: cgroupRoot, membership: membership) {
            groups = SandboxCgroups(version: .v2, directories: [.memory: dir, .pids: dir, .cpu: dir])
        }
        if let groups {
            let limits = groups.limitsInForce
            measured.cgroupVersion = groups.version.rawValue
            measured.memoryBytes = limits.memoryBytes
            measured.swapLimited = limits.swapLimited
            measured.maxProcesses = limits.maxProcesses
            measured.cpus = limits.cpus
        }
        let rlimits = softLimits(CgroupHierarchy.read("/proc/\(pid)/limits"))
        measured.fileSizeBytes = rlimits["Max file size"] ?? nil
        measured.openFiles = rlimits["Max open files"] ?? nil
        measured.coreBytes = rlimits["Max core file size"] ?? nil
        measured.processesPerUID = rlimits["Max processes"] ?? nil
        return measured
    }

    /// Soft limits by name from `/proc/PID/limits` ("Max open files  1024  1024  files"); nil values are unlimited.
    static func softLimits(_ text: String) -> [String: Int?] {
        var result: [String: Int?] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Max ") {
            // The name is followed by the soft limit, the hard limit and (mostly) a unit: find the first
            // field that is a number or "unlimited".
            let words = line.split(separator: " ")
            guard let index = words.firstIndex(where: { $0 == "unlimited" || Int($0) != nil }) else { continue }
            result[words[..<index].joined(separator: " ")] = Int(words[index])
        }
        return result
    }

    /// The process under `root` (itself included) whose `argv[0]` is `argv0`, deepest first: the
    /// interpreter at the end of the exec chain (bwrap forks it twice, the other chains exec into it).
    static func process(under root: pid_t, argv0: String) -> pid_t? {
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry) else { continue }
            let stat = CgroupHierarchy.read("/proc/\(entry)/stat")
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { children[parent, default: []].append(pid) }
        }
        var found: pid_t?
        var level = [root]
        for _ in 0..<16 where !level.isEmpty {
            for pid in level {
                let cmdline = CgroupHierarchy.read("/proc/\(pid)/cmdline")
                if cmdline.split(separator: "\0", omittingEmptySubsequences: false).first.map(String.init) == argv0 { found = pid }
            }
            level = level.flatMap { children[$0] ?? [] }
        }
        return found
    }

    private static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
