import Foundation
import SandboxAPI
import Testing

@testable import SandboxEmulator

/// The cgroup file layouts of v1 and v2, run against a temporary directory tree standing in for
/// `/sys/fs/cgroup`. cgroup v2 cannot run on this project's hosts (their v2 tree has no
/// controllers), so this is where its layout is tested; v1 is also tested for real in
/// `IsolationTests.swift` (`cpuLimitFollowsTheMachineConfig` and the memory and fork bombs).
@Suite struct CgroupLayoutTests {
    /// A fresh directory standing in for the cgroup mount; removed by the caller.
    static func tree(_ files: [String: String]) throws -> String {
        let root = NSTemporaryDirectory() + "sandbench-cgroupfs-\(UUID().uuidString)"
        for (path, content) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
        }
        return root
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func v2HandsTheControllersDownAndWritesItsFiles() throws {
        let root = try Self.tree([
            "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc",
            "cgroup.procs": "",
            "emu.slice/emu.service/cgroup.controllers": "cpu io memory pids",
            "emu.slice/emu.service/cgroup.subtree_control": "",
            "emu.slice/emu.service/cgroup.procs": ""
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let own = root + "/emu.slice/emu.service"
        let hierarchy = try #require(CgroupHierarchy.create(root: root, membership: "0::/emu.slice/emu.service\n", name: "sandbench-7-9"))
        #expect(hierarchy.version == .v2)
        let parent = own + "/sandbench-7-9"
        #expect(hierarchy.parents == [.memory: parent, .pids: parent, .cpu: parent])
        // io is offered but not a controller sandboxes are limited by.
        #expect(Self.read(own + "/cgroup.subtree_control") == "+cpu +memory +pids")
        #expect(Self.read(parent + "/cgroup.subtree_control") == "+cpu +memory +pids")

        let sandbox = try hierarchy.makeSandboxGroups("s3")
        #expect(sandbox.groups == [parent + "/s3"])
        sandbox.setMemoryLimit(1536 << 20)
        sandbox.setProcessLimit(128)
        sandbox.setCPULimit(MachineConfig.unspecified.vcpus)
        #expect(Self.read(parent + "/s3/memory.max") == "1610612736")
        #expect(Self.read(parent + "/s3/memory.swap.max") == "0")
        #expect(Self.read(parent + "/s3/pids.max") == "128")
        #expect(Self.read(parent + "/s3/cpu.max") == "200000 100000")
        #expect(
            sandbox.limitsInForce
                == CgroupLimits(
                    version: .v2, memoryBytes: 1536 << 20, swapLimited: true, maxProcesses: 128,
                    cpuQuotaMicroseconds: 200_000, cpuPeriodMicroseconds: 100_000))
        sandbox.setCPULimit(MachineConfig.vcpu4Ram4GiB.vcpus)
        sandbox.setMemoryLimit(MachineConfig.vcpu4Ram4GiB.memoryLimitBytes)
        #expect(Self.read(parent + "/s3/cpu.max") == "400000 100000")
        #expect(sandbox.limitsInForce.cpus == 4)
        #expect(sandbox.limitsInForce.memoryBytes == 4096 << 20)

        // "max" is no limit; OOM kills and usage come from memory.events and memory.current.
        try Data("max 100000\n".utf8).write(to: URL(fileURLWithPath: parent + "/s3/cpu.max"))
        try Data("low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\n".utf8).write(to: URL(fileURLWithPath: parent + "/s3/memory.events"))
        try Data("7340032\n".utf8).write(to: URL(fileURLWithPath: parent + "/s3/memory.current"))
        #expect(sandbox.limitsInForce.cpus == nil)
        #expect(sandbox.oomKills == 2)
        #expect(sandbox.memoryUsage == 7_340_032)
    }

    @Test func v2KillsThroughCgroupKillAndTheProcessList() throws {
        let root = try Self.tree(["cgroup.controllers": "cpu memory pids", "cgroup.procs": ""])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let hierarchy = try #require(CgroupHierarchy.create(root: root, membership: "0::/\n", name: "sandbench-1-1"))
        let sandbox = try hierarchy.makeSandboxGroups("s1")
        let dir = try #require(sandbox.groups.first)
        // A real process listed in the stand-in cgroup.procs is killed.
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { if sleeper.isRunning { sleeper.terminate() } }
        try Data("\(sleeper.processIdentifier)\n".utf8).write(to: URL(fileURLWithPath: dir + "/cgroup.procs"))
        try Data().write(to: URL(fileURLWithPath: dir + "/cgroup.kill"))
        #expect(sandbox.processes == [sleeper.processIdentifier])
        sandbox.killAll()
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal && sleeper.terminationStatus == SIGKILL)
        #expect(Self.read(dir + "/cgroup.kill") == "1")
    }

    @Test func v2WithoutDelegableControllersIsNotUsed() throws {
        // The emulator's group offers nothing (or sits in a tree with no controllers, as on this project's hosts).
        let root = try Self.tree(["cgroup.controllers": "", "cgroup.procs": "", "emu/cgroup.controllers": "", "emu/cgroup.procs": ""])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(CgroupHierarchy.create(root: root, membership: "0::/emu\n", name: "sandbench-1-1") == nil)
        #expect(!FileManager.default.fileExists(atPath: root + "/emu/sandbench-1-1"))
    }

    @Test func v1IsChosenWhereItsControllersAreMounted() throws {
        // A hybrid host: v1 hierarchies per controller, an empty v2 tree at unified/.
        let root = try Self.tree([
            "memory/cgroup.procs": "", "memory/box/cgroup.procs": "",
            "pids/cgroup.procs": "", "cpu/cgroup.procs": "",
            "unified/cgroup.controllers": "", "unified/cgroup.procs": ""
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let membership = "9:name=systemd:/\n8:pids:/\n4:memory:/box\n2:cpuacct:/\n1:cpu:/\n0::/\n"
        let hierarchy = try #require(CgroupHierarchy.create(root: root, membership: membership, name: "sandbench-5-6"))
        #expect(hierarchy.version == .v1)
        #expect(
            hierarchy.parents == [
                .memory: root + "/memory/box/sandbench-5-6", .pids: root + "/pids/sandbench-5-6",
                .cpu: root + "/cpu/sandbench-5-6"
            ])
        let sandbox = try hierarchy.makeSandboxGroups("s2")
        #expect(sandbox.groups == [root + "/memory/box/sandbench-5-6/s2", root + "/pids/sandbench-5-6/s2", root + "/cpu/sandbench-5-6/s2"])
        sandbox.setMemoryLimit(1536 << 20)
        sandbox.setProcessLimit(128)
        sandbox.setCPULimit(2)
        #expect(Self.read(root + "/memory/box/sandbench-5-6/s2/memory.limit_in_bytes") == "1610612736")
        #expect(Self.read(root + "/pids/sandbench-5-6/s2/pids.max") == "128")
        #expect(Self.read(root + "/cpu/sandbench-5-6/s2/cpu.cfs_period_us") == "100000")
        #expect(Self.read(root + "/cpu/sandbench-5-6/s2/cpu.cfs_quota_us") == "200000")
        #expect(sandbox.limitsInForce.cpus == 2)
        #expect(sandbox.limitsInForce.maxProcesses == 128)
        #expect(sandbox.limitsInForce.memoryBytes == 1536 << 20)
    }

    @Test func limitValuesThatMeanNoLimitReadAsNone() {
        for text in ["max", "-1", "9223372036854771712", "", "garbage", "1e300"] {
            #expect(SandboxCgroups.limit(text) == nil, "\(text)")
        }
        #expect(SandboxCgroups.limit("128\n") == 128)
    }
}
