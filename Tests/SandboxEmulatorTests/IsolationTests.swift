import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Section 4: network, filesystem, namespace, memory, CPU-time and process isolation.
extension EmulatorTests {
    @Suite struct Isolation {
        /// A fresh state directory the test knows, so it can look at sandboxes' host paths.
        static func stateDirectory() -> String {
            NSTemporaryDirectory() + "sandbench-emutest-\(UUID().uuidString)"
        }

        @Test func networkIsDenied() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                // The namespace has no route: connect fails at once, no packet leaves the host.
                let r = try await client.execute(
                    sb,
                    code: """
                        import socket
                        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                        s.settimeout(2)
                        s.connect(('1.1.1.1', 80))
                        print('connected')
                        """)
                #expect(r.status == 200, "\(r)")
                #expect(!r.stdout.contains("connected"), "\(r)")
                #expect(r.stderr.contains("OSError") || r.stderr.contains("Network is unreachable"), "\(r)")
            }
        }

        @Test func sandboxesCannotSeeEachOther() async throws {
            let state = Self.stateDirectory()
            try await withTestEmulator({
                $0.warmPool = [.python: 2, .javascript: 0]
                $0.stateDirectory = state
            }) { client in
                let engine = try await client.createEngine()
                let a = try await client.createSandbox(engine: engine)
                let b = try await client.createSandbox(engine: engine)
                let wa = try await client.execute(
                    a, code: "secret_var = 42\nopen('secret.txt', 'w').write('top secret')\nimport os\nprint(os.getcwd())")
                #expect(wa.stderr == "", "\(wa)")
                let homeA = wa.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

                // The host path of A's secret, found from the host side.
                let sandboxesDir = state + "/sandboxes"
                let hostSecret = (try FileManager.default.contentsOfDirectory(atPath: sandboxesDir))
                    .map { "\(sandboxesDir)/\($0)/work/secret.txt" }
                    .first { FileManager.default.fileExists(atPath: $0) }
                let secretPath = try #require(hostSecret, "A's secret.txt not found under \(sandboxesDir)")

                let probe = try await client.execute(
                    b,
                    code: """
                        import os
                        print('cwd', os.getcwd())
                        print('home', sorted(os.listdir('.')))
                        print('homes', sorted(os.listdir('/home')))
                        print('root', sorted(os.listdir('/')))
                        found = []
                        for top in ['/home', '/tmp', '/opt', '/var', '/srv', '/mnt', '/run']:
                            for d, dirs, files in os.walk(top):
                                found += [os.path.join(d, f) for f in files if f == 'secret.txt']
                        print('found', found)
                        for p in [\(String(reflecting: secretPath)), \(String(reflecting: state)), '/work/main/Package.swift', '/root']:
                            print('exists', p, os.path.exists(p))
                        try:
                            print(open(\(String(reflecting: secretPath))).read())
                        except OSError as e:
                            print('denied', type(e).__name__)
                        """)
                #expect(probe.stderr == "", "\(probe)")
                let out = probe.stdout
                #expect(out.contains("cwd \(homeA)"), "both sandboxes see their own home at the same path: \(out)")
                #expect(out.contains("home []"), "B sees A's files: \(out)")
                #expect(out.contains("homes ['user']"), "\(out)")
                #expect(out.contains("found []"), "\(out)")
                #expect(!out.contains("top secret"), "B read A's secret: \(out)")
                #expect(out.contains("denied"), "\(out)")
                #expect(!out.contains(" True"), "host paths visible in the sandbox: \(out)")
                let rootLine = out.split(separator: "\n").first { $0.hasPrefix("root ") } ?? ""
                #expect(!rootLine.contains("'root'") && !rootLine.contains("'work'"), "/ shows host directories: \(rootLine)")

                // Variables of A are not defined in B.
                let nameError = try await client.execute(b, code: "print(secret_var)")
                #expect(nameError.stderr.contains("NameError"), "\(nameError)")
                let stillA = try await client.execute(a, code: "print(secret_var)")
                #expect(stillA.stdout == "42\n")
            }
        }

        @Test func runsUnprivilegedWithAMinimalEnvironment() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let r = try await client.execute(
                    sb,
                    code: """
                        import os
                        print(os.getuid(), os.geteuid(), os.getgid())
                        print(' '.join(sorted(os.environ)))
                        print([l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0])
                        """)
                #expect(r.stderr == "", "\(r)")
                let lines = r.stdout.split(separator: "\n").map(String.init)
                try #require(lines.count == 3, "\(r)")
                let ids = lines[0].split(separator: " ").compactMap { Int($0) }
                #expect(ids.count == 3 && ids.allSatisfy { $0 != 0 }, "sandbox runs as root: \(lines[0])")
                // MPLCONFIGDIR: matplotlib's caches in the private /tmp (bubblewrap), not in the workdir.
                let allowed: Set<String> = ["HOME", "PATH", "LANG", "PYTHONUNBUFFERED", "MPLBACKEND", "MPLCONFIGDIR", "PWD", "LC_CTYPE"]
                let keys = Set(lines[1].split(separator: " ").map(String.init))
                #expect(keys.isSubset(of: allowed), "unexpected environment variables: \(keys.subtracting(allowed))")
                #expect(Int(lines[2], radix: 16) == 0, "effective capabilities: \(lines[2])")
            }
        }

        @Test func memoryBombIsContained() async throws {
            removeLeakedCgroups() // workaround, see cgroupsAreRemovedWhenTheEmulatorStops
            try await withTestEmulator({ $0.warmPool = [.python: 2, .javascript: 0] }) { client in
                let engine = try await client.createEngine()
                let bomb = try await client.createSandbox(engine: engine)
                let other = try await client.createSandbox(engine: engine)
                guard try await Self.sandboxHasOwnCgroups(client, bomb), try await Self.sandboxHasOwnCgroups(client, other) else { return }
                _ = try await client.execute(other, code: "kept = 'other state'")
                let start = ContinuousClock.now
                let r = try await client.execute(bomb, code: "b = bytearray(3 << 30)\nprint('allocated', len(b))")
                #expect(r.status == 200, "\(r)")
                #expect(!r.stdout.contains("allocated"), "3 GiB allocated despite the 1.5 GiB limit: \(r)")
                #expect(r.stderr.contains("MemoryError") || r.stderr.lowercased().contains("out of memory"), "\(r)")
                #expect(ContinuousClock.now - start < .seconds(30))
                #expect(try await client.raw("GET", "/healthz").status == 200)
                let o = try await client.execute(other, code: "print(kept)")
                #expect(o.stdout == "other state\n", "\(o)")
                // A loop of 100 MB chunks is stopped too (bounded at 4 GB so a missing limit cannot exhaust the host).
                let loop = try await client.execute(
                    other,
                    code: "chunks = []\nfor i in range(40):\n    chunks.append(bytearray(100 << 20))\nprint('allocated', len(chunks))")
                #expect(!loop.stdout.contains("allocated"), "\(loop)")
                #expect(loop.status == 200, "\(loop)")
                #expect(loop.stderr.contains("MemoryError") || loop.stderr.lowercased().contains("out of memory"), "\(loop)")
            }
        }

        @Test func largeMachineConfigGetsMoreMemory() async throws {
            removeLeakedCgroups() // workaround, see cgroupsAreRemovedWhenTheEmulatorStops
            try await withTestEmulator({ $0.warmPool = [.python: 0, .javascript: 0] }) { client in
                let sb = try await client.createSandbox(
                    engine: try await client.createEngine(), machineConfig: "MACHINE_CONFIG_VCPU4_RAM4GIB")
                guard try await Self.sandboxHasOwnCgroups(client, sb) else { return }
                let cg = try await Self.workerCgroups(client, sb)
                let memory = try #require(cg.memory, "no memory cgroup")
                let limit = try String(contentsOfFile: "/sys/fs/cgroup/memory\(memory)/memory.limit_in_bytes", encoding: .utf8)
                #expect(Int(limit.trimmingCharacters(in: .whitespacesAndNewlines)) == 4096 << 20, "limit \(limit)")
                let small = try await client.createSandbox(engine: try await client.createEngine())
                guard try await Self.sandboxHasOwnCgroups(client, small) else { return }
                let smallCg = try await Self.workerCgroups(client, small)
                let smallLimit = try String(
                    contentsOfFile: "/sys/fs/cgroup/memory\(try #require(smallCg.memory))/memory.limit_in_bytes", encoding: .utf8)
                #expect(Int(smallLimit.trimmingCharacters(in: .whitespacesAndNewlines)) == 1536 << 20, "limit \(smallLimit)")
            }
        }

        @Test func endlessLoopIsInterruptedAndStateSurvives() async throws {
            let state = Self.stateDirectory()
            try await withTestEmulator({
                $0.executeTimeout = .seconds(1)
                $0.warmPool = [.python: 2, .javascript: 0]
                $0.stateDirectory = state
            }) { client in
                let engine = try await client.createEngine()
                let looper = try await client.createSandbox(engine: engine)
                let other = try await client.createSandbox(engine: engine)
                _ = try await client.execute(looper, code: "before = 'kept'")
                let start = ContinuousClock.now
                let loop = Task { try await client.execute(looper, code: "open('looping.marker', 'w').close()\nwhile True: pass") }
                // Wait (polling the host filesystem) until the loop runs, then use the server meanwhile.
                let sandboxesDir = state + "/sandboxes"
                let running = await eventually(timeout: .seconds(10), interval: .milliseconds(10)) {
                    ((try? FileManager.default.contentsOfDirectory(atPath: sandboxesDir)) ?? [])
                        .contains { FileManager.default.fileExists(atPath: "\(sandboxesDir)/\($0)/work/looping.marker") }
                }
                #expect(running, "the loop never started")
                #expect(try await client.raw("GET", "/healthz").status == 200)
                let o = try await client.execute(other, code: "print('other answers')")
                let otherAnswered = ContinuousClock.now
                #expect(o.stdout == "other answers\n", "\(o)")
                let r = try await loop.value
                let loopEnded = ContinuousClock.now
                #expect(otherAnswered < loopEnded)
                #expect(r.status == 200, "\(r)")
                #expect(r.stderr.contains("KeyboardInterrupt"), "\(r)")
                #expect(loopEnded - start < .seconds(6), "the loop took \(loopEnded - start)")
                let after = try await client.execute(looper, code: "print(before)")
                #expect(after.stdout == "kept\n", "\(after)")
                // Blocking calls are interrupted too.
                let sleepStart = ContinuousClock.now
                let sleeper = try await client.execute(looper, code: "import time\ntime.sleep(60)")
                #expect(ContinuousClock.now - sleepStart < .seconds(6))
                #expect(sleeper.stderr.contains("KeyboardInterrupt"), "\(sleeper)")
                let sb = try await client.ok("GET", looper)
                #expect(sb["state"]?.stringValue == "STATE_RUNNING")
            }
        }

        @Test func javascriptEndlessLoopIsInterruptedAndStateSurvives() async throws {
            try await withTestEmulator({
                $0.executeTimeout = .seconds(1)
                $0.warmPool = [.python: 0, .javascript: 1]
            }) { client in
                let sb = try await client.createSandbox(engine: try await client.createEngine(), language: "LANGUAGE_JAVASCRIPT")
                _ = try await client.execute(sb, code: "var before = 'kept'")
                let start = ContinuousClock.now
                let r = try await client.execute(sb, code: "while (true) {}")
                #expect(ContinuousClock.now - start < .seconds(6))
                #expect(r.status == 200, "\(r)")
                #expect(r.stderr.lowercased().contains("timed out") || r.stderr.lowercased().contains("interrupt"), "\(r)")
                let after = try await client.execute(sb, code: "console.log(before)")
                #expect(after.stdout == "kept\n", "\(after)")
            }
        }

        @Test func codeIgnoringSIGINTIsKilledAndTheSandboxTerminates() async throws {
            try await withTestEmulator({
                $0.executeTimeout = .seconds(1)
                $0.killGrace = .seconds(1)
            }) { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let uidRun = try await client.execute(sb, code: "import os; print(os.getuid())")
                let uid = try #require(Int(uidRun.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
                let start = ContinuousClock.now
                let r = try await client.execute(sb, code: "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass")
                #expect(ContinuousClock.now - start < .seconds(8))
                #expect(r.status == 200, "\(r)")
                #expect(r.stderr.contains("STATE_TERMINATED") || r.stderr.lowercased().contains("killed"), "\(r)")
                let got = try await client.ok("GET", sb)
                #expect(got["state"]?.stringValue == "STATE_TERMINATED", "\(got.jsonString)")
                let again = try await client.execute(sb, code: "print(1)")
                expectGoogleError(again.http, 400, "FAILED_PRECONDITION", "execute on a terminated sandbox")
                // The killed worker's processes are gone.
                let cleaned = await eventually(timeout: .seconds(10)) {
                    sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).isEmpty
                }
                #expect(cleaned, "processes of the terminated sandbox remain")
                // A terminated sandbox can still be deleted.
                _ = try await client.ok("DELETE", sb)
            }
        }

        @Test func forkBombIsContainedAndCleanedUp() async throws {
            removeLeakedCgroups() // workaround, see cgroupsAreRemovedWhenTheEmulatorStops
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let r = try await client.execute(
                    sb,
                    code: """
                        import os, time
                        print(os.getuid())
                        n = 0
                        try:
                            while n < 5000:
                                pid = os.fork()
                                if pid == 0:
                                    time.sleep(30)
                                    os._exit(0)
                                n += 1
                        except OSError as e:
                            print('fork failed', e.errno)
                        print(n)
                        """)
                #expect(r.status == 200, "\(r)")
                let lines = r.stdout.split(separator: "\n").map(String.init)
                try #require(lines.count == 3, "\(r)")
                let uid = try #require(Int(lines[0]))
                let count = try #require(Int(lines[2]))
                #expect(lines[1].hasPrefix("fork failed"), "\(r)")
                #expect(count < 200, "forked \(count) processes")
                #expect(count > 10, "forking barely worked: \(count)")
                #expect(
                    sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).count > count / 2,
                    "the children should be alive before the delete")
                #expect(try await client.raw("GET", "/healthz").status == 200)

                _ = try await client.ok("DELETE", sb)
                let cleaned = await eventually(timeout: .seconds(10)) {
                    sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).isEmpty
                }
                #expect(
                    cleaned,
                    "processes of uid \(uid) left after delete: \(sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory))")
            }
        }

        /// The CFS bandwidth counters of a v1 cpu group: enforcement periods, throttled periods.
        static func cpuStat(_ group: String) -> (periods: Int, throttled: Int) {
            let text = (try? String(contentsOfFile: group + "/cpu.stat", encoding: .utf8)) ?? ""
            var values: [String: Int] = [:]
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, let n = Int(fields[1]) { values[String(fields[0])] = n }
            }
            return (values["nr_periods"] ?? 0, values["nr_throttled"] ?? 0)
        }

        /// CPU time (user + system, in clock ticks) of the processes in a v1 cgroup, from /proc/PID/stat.
        static func cpuTicks(_ group: String) -> Int {
            let procs = ((try? String(contentsOfFile: group + "/cgroup.procs", encoding: .utf8)) ?? "").split(separator: "\n")
            var total = 0
            for pid in procs {
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { continue }
                // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) { total += user + system }
            }
            return total
        }

        /// The machine config's vCPUs are the sandbox's CPU bandwidth: a 2-vCPU sandbox burning three
        /// processes' worth of CPU runs under CFS bandwidth control (its periods are counted) and uses
        /// at most two CPUs' quota per period; a 4-vCPU sandbox gets a quota of four.
        @Test func cpuLimitFollowsTheMachineConfig() async throws {
            removeLeakedCgroups() // workaround, see cgroupsAreRemovedWhenTheEmulatorStops
            try await withTestEmulator({ $0.warmPool = [.python: 1, .javascript: 0] }) { client in
                let engine = try await client.createEngine()
                var groups: [Int: String] = [:]
                for (machineConfig, vcpus) in [(nil, 2), ("MACHINE_CONFIG_VCPU4_RAM4GIB", 4)] as [(String?, Int)] {
                    let sandbox = try await client.createSandbox(engine: engine, machineConfig: machineConfig)
                    let cg = try await Self.workerCgroups(client, sandbox)
                    let cpu = try #require(cg.cpu, "the worker is in no cpu cgroup")
                    #expect(cpu.contains("/sandbench-\(getpid())-"), "the worker's cpu cgroup is not its emulator's: \(cpu)")
                    let group = "/sys/fs/cgroup/cpu" + cpu
                    let quota = try String(contentsOfFile: group + "/cpu.cfs_quota_us", encoding: .utf8)
                    let period = try String(contentsOfFile: group + "/cpu.cfs_period_us", encoding: .utf8)
                    let q = Int(quota.trimmingCharacters(in: .whitespacesAndNewlines))
                    let p = Int(period.trimmingCharacters(in: .whitespacesAndNewlines))
                    #expect(q != nil && p != nil && q == vcpus * (p ?? 0), "\(machineConfig ?? "default"): quota \(quota) period \(period)")
                    groups[vcpus] = group
                    if vcpus == 2 {
                        // Three processes spin for 6 s (bounded, so nothing outlives the test).
                        let burn = """
                            import os, time
                            for _ in range(3):
                                if os.fork() == 0:
                                    end = time.monotonic() + 6
                                    while time.monotonic() < end: pass
                                    os._exit(0)
                            print('burning')
                            """
                        #expect(try await client.execute(sandbox, code: burn).stdout == "burning\n")
                        let (periods0, _) = Self.cpuStat(group)
                        let ticks0 = Self.cpuTicks(group)
                        // Measured over 20 enforcement periods of the sandbox's own group, not over wall-clock time.
                        let enforced = await eventually(timeout: .seconds(5), interval: .milliseconds(20)) {
                            Self.cpuStat(group).periods >= periods0 + 20
                        }
                        let (periods1, _) = Self.cpuStat(group)
                        let ticks1 = Self.cpuTicks(group)
                        #expect(enforced, "CFS bandwidth control never ran for the sandbox's group: nr_periods \(periods0) → \(periods1)")
                        // Each period allows quota µs of CPU; ticks are 1/100 s. One period and a tick per process of slack.
                        let allowed = Double(periods1 - periods0 + 1) * Double(q ?? 0) / 1e6
                        let used = Double(ticks1 - ticks0) / Double(sysconf(Int32(_SC_CLK_TCK)))
                        let periods = periods1 - periods0
                        #expect(
                            used <= allowed + 0.04, "the 2-vCPU sandbox used \(used) s of CPU in \(periods) periods allowing \(allowed) s")
                        #expect(used > 0, "the burners did not run")
                    }
                }
                #expect(groups.count == 2 && groups[2] != groups[4], "\(groups)")
            }
        }

        /// The start-up measurement (what the banner prints) agrees with the files of a sandbox's
        /// cgroups and its worker's /proc entries, read here independently.
        @Test func theMeasuredIsolationMatchesTheFiles() async throws {
            removeLeakedCgroups() // workaround, see cgroupsAreRemovedWhenTheEmulatorStops
            var cfg = smallConfiguration()
            let state = Self.stateDirectory()
            cfg.stateDirectory = state
            try await Emulator.withRunningEmulator(configuration: cfg, logger: quietLogger) { info in
                let measured = info.measured
                #expect(measured.problem == nil, "\(measured.summary)")
                let client = TestClient(baseURL: info.baseURL, stateDirectory: state)
                let sandbox = try await client.createSandbox(engine: try await client.createEngine())
                let cg = try await Self.workerCgroups(client, sandbox)
                let worker = try #require(
                    sandboxProcesses(uid: cg.uid, stateDirectory: state).first { pid in
                        let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                        return cmdline.hasPrefix(info.isolation.pythonPath + "\0")
                    }, "no interpreter process of uid \(cg.uid)")
                func number(_ path: String) -> Int? {
                    Int(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
                }
                let memory = try #require(cg.memory)
                let pids = try #require(cg.pids)
                let cpu = try #require(cg.cpu)
                let memoryLimit = number("/sys/fs/cgroup/memory\(memory)/memory.limit_in_bytes")
                let processLimit = number("/sys/fs/cgroup/pids\(pids)/pids.max")
                let quota = number("/sys/fs/cgroup/cpu\(cpu)/cpu.cfs_quota_us")
                let period = number("/sys/fs/cgroup/cpu\(cpu)/cpu.cfs_period_us")
                #expect(measured.cgroupVersion == "v1")
                #expect(measured.memoryBytes != nil && measured.memoryBytes == memoryLimit, "\(measured.summary) vs \(memoryLimit ?? -1)")
                #expect(
                    measured.maxProcesses != nil && measured.maxProcesses == processLimit,
                    "\(measured.summary) vs \(processLimit ?? -1)")
                let cpus = try #require(measured.cpus, "\(measured.summary)")
                #expect(Double(quota ?? 0) == cpus * Double(period ?? 0), "\(measured.summary) vs quota \(quota ?? -1) / \(period ?? -1)")

                // rlimits, from the worker's /proc/PID/limits (soft column).
                let limits = (try? String(contentsOfFile: "/proc/\(worker)/limits", encoding: .utf8)) ?? ""
                func soft(_ name: String) -> Int? {
                    guard let line = limits.split(separator: "\n").first(where: { $0.hasPrefix(name + " ") }) else { return nil }
                    return line.dropFirst(name.count).split(separator: " ").first.flatMap { Int($0) }
                }
                #expect(measured.fileSizeBytes == soft("Max file size") && measured.fileSizeBytes != nil, "\(measured.summary)")
                #expect(measured.openFiles == soft("Max open files") && measured.openFiles != nil, "\(measured.summary)")
                #expect(measured.coreBytes == soft("Max core file size"), "\(measured.summary)")
                #expect(measured.processesPerUID == soft("Max processes") && measured.processesPerUID != nil, "\(measured.summary)")

                // Its own uid (of this emulator's block, not the emulator's) and its own network namespace.
                let uid = try #require(measured.uid)
                #expect(
                    uid != Int(getuid()) && uid >= 200_100 && (uid - 200_100) / 1000 == (cg.uid - 200_100) / 1000,
                    "uid \(uid), a sandbox's \(cg.uid)")
                func namespace(_ pid: String) -> String? {
                    try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
                }
                #expect(namespace("\(worker)") != namespace("self"))
                #expect(measured.ownNamespaces.contains("net") && !measured.sharedNamespaces.contains("net"), "\(measured.summary)")

                // The banner line says the same.
                let figures = [
                    "memory \((memoryLimit ?? 0) >> 20) MiB", "pids \(processLimit ?? 0)",
                    "cpu \((quota ?? 0) / max(1, period ?? 1)) CPUs", "uid \(uid)", "own namespaces: ", "net",
                    "nofile \(soft("Max open files") ?? 0)"
                ]
                for figure in figures {
                    #expect(measured.summary.contains(figure), "banner \(measured.summary) lacks \(figure)")
                }
            }
        }

        /// The sandbox's worker processes (by uid and state directory) and their memory and pids cgroups.
        static func workerCgroups(_ client: TestClient, _ sandbox: String) async throws
            -> (uid: Int, memory: String?, pids: String?, cpu: String?)
        {
            let r = try await client.execute(sandbox, code: "import os; print(os.getuid())")
            let uid = try #require(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(r)")
            let pid = try #require(sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).last, "no worker process found")
            return (
                uid, cgroupPath(pid: pid, controller: "memory"), cgroupPath(pid: pid, controller: "pids"),
                cgroupPath(pid: pid, controller: "cpu")
            )
        }

        /// Whether the sandbox's worker runs in cgroups of its own emulator (named `sandbench-<pid>-<tag>/s<n>`).
        /// A sandbox without them is a failure: the limits would not apply.
        static func sandboxHasOwnCgroups(_ client: TestClient, _ sandbox: String) async throws -> Bool {
            let cg = try await workerCgroups(client, sandbox)
            let own = "/sandbench-\(getpid())-"
            guard cg.memory?.contains(own) == true, cg.pids?.contains(own) == true else {
                Issue.record("sandbox \(sandbox) runs without its own cgroups (memory \(cg.memory ?? "none"), pids \(cg.pids ?? "none"))")
                return false
            }
            return true
        }

        /// Emulators started in the same process (Swift Testing runs tests in parallel; other test
        /// targets start emulators too) must each put their sandboxes into their own cgroups.
        @Test func twoEmulatorsInOneProcessBothLimitTheirSandboxes() async throws {
            removeLeakedCgroups()
            try await withTestEmulator({ $0.warmPool = [.python: 1, .javascript: 0] }) { first in
                let sb1 = try await first.createSandbox(engine: try await first.createEngine())
                guard try await Self.sandboxHasOwnCgroups(first, sb1) else { return }
                let one = try await Self.workerCgroups(first, sb1)
                try await withTestEmulator({ $0.warmPool = [.python: 1, .javascript: 0] }) { second in
                    let sb2 = try await second.createSandbox(engine: try await second.createEngine())
                    let two = try await Self.workerCgroups(second, sb2)
                    #expect(
                        two.memory?.contains("/sandbench-") == true && two.memory != one.memory,
                        "second emulator's sandbox memory cgroup: \(two.memory ?? "none") (first: \(one.memory ?? "none"))")
                    #expect(
                        two.pids?.contains("/sandbench-") == true && two.pids != one.pids,
                        "second emulator's sandbox pids cgroup: \(two.pids ?? "none") (first: \(one.pids ?? "none"))")
                }
            }
            removeLeakedCgroups()
        }

        /// Stopping an emulator must remove the cgroups of its sandboxes.
        @Test func cgroupsAreRemovedWhenTheEmulatorStops() async throws {
            removeLeakedCgroups()
            var leaked: [String] = []
            // Each round leaks with roughly even odds here; three rounds make a leak very likely while the bug exists.
            for _ in 0..<3 {
                let groups = try await withTestEmulator({ $0.warmPool = [.python: 2, .javascript: 0] }) { client in
                    let engine = try await client.createEngine()
                    var groups: [String] = []
                    for _ in 0..<2 {
                        let sb = try await client.createSandbox(engine: engine)
                        let cg = try await Self.workerCgroups(client, sb)
                        groups += [
                            cg.memory.map { "/sys/fs/cgroup/memory" + $0 }, cg.pids.map { "/sys/fs/cgroup/pids" + $0 },
                            cg.cpu.map { "/sys/fs/cgroup/cpu" + $0 }
                        ].compactMap { $0 }
                        // A child process, as real code has, makes the teardown take a little longer.
                        _ = try await client.execute(sb, code: "import subprocess\nsubprocess.Popen(['sleep', '60'])")
                    }
                    return groups
                }
                #expect(groups.count == 6 && groups.allSatisfy { $0.contains("/sandbench-") }, "\(groups)")
                // Give the kernel a moment; a group still there after that has leaked.
                _ = await eventually(timeout: .milliseconds(500)) { groups.allSatisfy { !FileManager.default.fileExists(atPath: $0) } }
                leaked += groups.filter { FileManager.default.fileExists(atPath: $0) }
                removeLeakedCgroups()
            }
            #expect(leaked.isEmpty, "cgroups left behind after the emulator stopped: \(leaked)")
        }

        /// Files a sandbox plants as symlinks must never let a request write or read host files.
        @Test func symlinksPlantedBySandboxCodeAreNotFollowed() async throws {
            let hostDir = NSTemporaryDirectory() + "sandbench-symlink-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: hostDir) }
            let victim = hostDir + "/victim.txt"
            try Data("original".utf8).write(to: URL(fileURLWithPath: victim))
            let hostSecret = hostDir + "/host-secret.txt"
            try Data("host secret".utf8).write(to: URL(fileURLWithPath: hostSecret))
            try await withTestEmulator { client in
                let sb = try await client.createSandbox(engine: try await client.createEngine())
                let plant = try await client.execute(
                    sb,
                    code: """
                        import os
                        os.symlink(\(String(reflecting: victim)), 'victim.txt')
                        os.symlink(\(String(reflecting: hostDir)), 'escape')
                        os.symlink(\(String(reflecting: hostSecret)), 'leak.txt')
                        print(sorted(os.listdir('.')))
                        """)
                #expect(plant.stderr == "", "\(plant)")
                #expect(plant.files.isEmpty, "links are not output files: \(plant.files.map(\.name))")
                let write = try await client.execute(
                    sb, code: "import os\nprint(open('victim.txt').read(), os.path.islink('victim.txt'))",
                    files: [
                        InputFile(name: "victim.txt", content: Array("pwned".utf8)),
                        InputFile(name: "escape/new.txt", content: Array("pwned".utf8))
                    ])
                #expect(write.status == 200, "\(write)")
                #expect(write.stdout == "pwned False\n", "the input file must replace the link: \(write)")
                #expect(try String(contentsOfFile: victim, encoding: .utf8) == "original", "a host file was written through a link")
                #expect(!FileManager.default.fileExists(atPath: hostDir + "/new.txt"), "a host directory was written through a link")
                // A link to a host file touched by code is not returned with the host file's content.
                let touch = try await client.execute(sb, code: "import os\nos.utime('leak.txt', follow_symlinks=False)")
                #expect(!touch.files.contains { String(decoding: $0.content, as: UTF8.self).contains("host secret") }, "\(touch)")
            }
        }
    }
}
