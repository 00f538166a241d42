import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Python sandboxes forked from one zygote: each starts as fresh as an exec'd interpreter, and is
/// as locked down as one started through bubblewrap.
extension EmulatorTests {
    @Suite struct Zygote {
        /// Python printing, as JSON, what a sandbox starts with: its globals, modules, descriptors and random draws.
        static let startingState = """
            import json, os, random, sys
            print(json.dumps({
                'globals': sorted(k for k in globals() if not k.startswith('__')),
                'modules': sorted(sys.modules),
                'fds': sorted(int(f) for f in os.listdir('/proc/self/fd')),
                'random': [random.random(), random.getrandbits(32)],
                'pid': os.getpid(),
            }))
            """

        @Test func sandboxesForkedFromOneZygoteShareNoState() async throws {
            var cfg = smallConfiguration(python: 3)
            let state = NSTemporaryDirectory() + "sandbench-emutest-\(UUID().uuidString)"
            cfg.stateDirectory = state
            try await Emulator.withRunningEmulator(configuration: cfg, logger: quietLogger) { info in
                if geteuid() == 0 {
                    #expect(info.sandboxStart.hasPrefix("python forked by a zygote"), "\(info.sandboxStart)")
                }
                let client = TestClient(baseURL: info.baseURL, stateDirectory: state)
                let engine = try await client.createEngine()
                let a = try await client.createSandbox(engine: engine)
                let b = try await client.createSandbox(engine: engine)
                let c = try await client.createSandbox(engine: engine)
                let cleanA = try Self.decode(try await client.execute(a, code: Self.startingState))
                // A leaves everything it can behind in its process: a global, a module nobody pre-imports,
                // an open file, a consumed and re-seeded random state.
                let dirty = try await client.execute(
                    a,
                    code: """
                        import fractions, random, os
                        leaked_global = 42
                        kept_open = open('kept.txt', 'w')
                        random.seed(1234)
                        print(kept_open.fileno(), 'fractions' in __import__('sys').modules)
                        """)
                #expect(dirty.stderr == "", "\(dirty)")
                let opened = Int(dirty.stdout.split(separator: " ").first ?? "")
                for (name, sandbox) in [("B", b), ("C", c)] {
                    let fresh = try Self.decode(try await client.execute(sandbox, code: Self.startingState))
                    #expect(!fresh.globals.contains("leaked_global"), "\(name): \(fresh.globals)")
                    #expect(fresh.globals == cleanA.globals, "\(name) starts with other globals than A did")
                    #expect(!fresh.modules.contains("fractions"), "\(name) has the module A imported")
                    #expect(fresh.modules == cleanA.modules, "\(name): \(Set(fresh.modules).symmetricDifference(cleanA.modules))")
                    #expect(fresh.fds == cleanA.fds, "\(name)'s descriptors \(fresh.fds), A's at its start \(cleanA.fds)")
                    if let opened { #expect(!fresh.fds.contains(opened) || cleanA.fds.contains(opened), "\(name) holds A's file") }
                    #expect(fresh.random != cleanA.random, "\(name) draws the same random numbers as A")
                }
                let fromB = try Self.decode(try await client.execute(b, code: Self.startingState))
                let fromC = try Self.decode(try await client.execute(c, code: Self.startingState))
                #expect(fromB.random != fromC.random, "B and C draw the same random numbers")
                // A's state is A's: the seed it set holds, and its file is still open.
                let again = try await client.execute(
                    a, code: "print(leaked_global, kept_open.closed, random.random() == random.Random(1234).random())")
                #expect(again.stdout == "42 False True\n", "\(again)")
            }
        }

        /// What a forked sandbox's worker holds: no capability, no new privileges, no way to make a
        /// namespace, a read-only root, its own hostname and pid namespace, nothing but its own descriptors.
        @Test(arguments: [true, false])
        func aSandboxKeepsNoPrivilege(_ zygote: Bool) async throws {
            try await withTestEmulator({ $0.zygote = zygote }) { client in
                let sb = try await client.createSandbox(engine: try await client.createEngine())
                let r = try await client.execute(
                    sb,
                    code: """
                        import os, socket, subprocess
                        status = dict(l.split(':', 1) for l in open('/proc/self/status'))
                        print('caps', [status[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs')])
                        for flags in (['-U'], ['-n'], ['-m'], ['-p', '-f']):
                            made = subprocess.run(['unshare'] + flags + ['true'], capture_output=True).returncode == 0
                            print('unshare', flags[0], made)
                        print('host', socket.gethostname())
                        print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
                        print('fds', sorted(int(f) for f in os.listdir('/proc/self/fd') if int(f) < 100))
                        try:
                            open('/planted', 'w')
                            print('root writable')
                        except OSError:
                            print('root read-only')
                        """)
                #expect(r.stderr == "", "\(r)")
                let lines = r.stdout.split(separator: "\n").map(String.init)
                let none = "'0000000000000000'"
                let caps = "caps [\(none), \(none), \(none), \(none), \(none), '1']"
                #expect(lines.first == caps || geteuid() != 0, "\(r)")
                for flag in ["-U", "-n", "-m", "-p"] {
                    #expect(lines.contains("unshare \(flag) False"), "a sandbox made a namespace (\(flag)): \(r)")
                }
                #expect(lines.contains("host sandbox"), "\(r)")
                // The worker and its init (bwrap's or the zygote's), and the subprocess that listed them (gone by now).
                #expect(lines.contains { $0.hasPrefix("pids [1, 2") }, "\(r)")
                // 3: the listing itself.
                #expect(lines.contains("fds [0, 1, 2, 3]"), "\(r)")
                if zygote, geteuid() == 0 { #expect(lines.contains("root read-only"), "\(r)") }
            }
        }

        /// A zygote that dies takes its sandboxes along (they end terminated), and later Python
        /// sandboxes start through the exec chain.
        @Test func aDeadZygoteMeansTheExecChainUntilItIsRestarted() async throws {
            guard geteuid() == 0 else { return }
            var cfg = smallConfiguration(python: 0)
            cfg.warmPoolMaximum = [.python: 0, .javascript: 0]
            let state = NSTemporaryDirectory() + "sandbench-emutest-\(UUID().uuidString)"
            cfg.stateDirectory = state
            try await Emulator.withRunningEmulator(configuration: cfg, logger: quietLogger) { info in
                let prefix = "python forked by a zygote (pid "
                guard info.sandboxStart.hasPrefix(prefix),
                    let pid = Int32(info.sandboxStart.dropFirst(prefix.count).prefix { $0.isNumber })
                else {
                    Issue.record("no zygote: \(info.sandboxStart)")
                    return
                }
                let client = TestClient(baseURL: info.baseURL, stateDirectory: state)
                let engine = try await client.createEngine()
                let forked = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(forked, code: "print('forked')").stdout == "forked\n")
                kill(pid, SIGKILL)
                let gone = await eventually(timeout: .seconds(10)) {
                    (try? await client.ok("GET", forked))?["state"]?.stringValue == "STATE_TERMINATED"
                }
                #expect(gone, "a sandbox outlived its zygote")
                let chained = try await client.createSandbox(engine: engine)
                let r = try await client.execute(chained, code: "print(open('/proc/self/cmdline').read().split(chr(0))[-2])")
                #expect(r.stdout == "/opt/sandbench/py_worker.py\n", "\(r)")
                // Meanwhile a new zygote is started in the background, and Python sandboxes are forked again.
                let reforked = await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                    guard let sandbox = try? await client.createSandbox(engine: engine),
                        let r = try? await client.execute(sandbox, code: "print(open('/proc/self/cmdline').read().split(chr(0))[-2])")
                    else { return false }
                    return r.stdout.hasSuffix("py_zygote.py\n")
                }
                #expect(reforked, "the zygote was not restarted")
            }
        }

        struct StartingState: Decodable, Equatable {
            var globals: [String]
            var modules: [String]
            var fds: [Int]
            var random: [Double]
            var pid: Int
        }

        static func decode(_ result: ExecResult) throws -> StartingState {
            #expect(result.stderr == "", "\(result)")
            return try JSONDecoder().decode(StartingState.self, from: Data(result.stdout.utf8))
        }
    }
}
