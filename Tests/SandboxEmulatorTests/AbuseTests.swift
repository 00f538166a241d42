import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Sandbox code that turns on what it can reach from inside: every process it can see (signals)
/// and every descriptor it holds (writes, closes, dup2). The emulator, the other sandboxes and
/// the test process itself are unaffected; the sandbox either keeps working or ends
/// `STATE_TERMINATED` with the reason in the execute's `msg_err`.
extension EmulatorTests {
    @Suite struct Abuse {
        /// Python that signals every pid it sees in `/proc` and every pid below `pid_max` (at most
        /// 65536: a new pid namespace may report 4194304) except its own and its threads' ids (which
        /// name its own process too), with SIGSTOP, SIGTERM and SIGKILL, then `kill(-1, SIGKILL)`.
        static let signalEverythingElse = """
            import os, signal
            me = {int(t) for t in os.listdir('/proc/self/task')}
            visible = {int(p) for p in os.listdir('/proc') if p.isdigit()}
            limit = int(open('/proc/sys/kernel/pid_max').read()) if os.path.exists('/proc/sys/kernel/pid_max') else 32768
            delivered = {}
            for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL):
                n = 0
                for pid in visible | set(range(1, min(limit, 1 << 16))):
                    if pid in me:
                        continue
                    try:
                        os.kill(pid, sig)
                        n += 1
                    except OSError:
                        pass
                delivered[sig.name] = n
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            print('survived', len(visible), delivered)
            """

        /// Python whose child signals everything it sees, the worker (its parent) included.
        static let signalEverythingFromAChild = """
            import os, signal
            child = os.fork()
            if child == 0:
                me = os.getpid()
                for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL):
                    for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()] + [os.getppid()]:
                        if pid != me:
                            try:
                                os.kill(pid, sig)
                            except OSError:
                                pass
                try:
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(child, 0)
            print('the worker survived its child')
            """

        @Test(arguments: [IsolationProfile.Method.bubblewrap, .unshare, .none])
        func signalsToEverythingVisibleHarmNobodyElse(_ method: IsolationProfile.Method) async throws {
            try await withTestEmulator({
                $0.isolation = method
                $0.warmPool = [.python: 2, .javascript: 0]
                $0.executeTimeout = .seconds(5)
                $0.killGrace = .seconds(1)
            }) { client in
                let engine = try await client.createEngine()
                let bystander = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(bystander, code: "kept = 'bystander state'").stderr == "")

                let attacker = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(attacker, code: "mine = 'attacker state'").stderr == "")
                let sweep = try await client.execute(attacker, code: Self.signalEverythingElse)
                // Nothing it can reach but itself: it runs on, with its state.
                #expect(sweep.stdout.hasPrefix("survived"), "\(method): \(sweep)")
                #expect(try await client.execute(attacker, code: "print(mine)").stdout == "attacker state\n", "\(method)")
                try await Self.expectWorkingOrTerminated(client, attacker, sweep, "\(method), signals to everything else")
                try await Self.expectUnaffected(client, engine: engine, bystander: bystander, "\(method), signals to everything else")

                let suicidal = try await client.createSandbox(engine: engine)
                let fromChild = try await client.execute(suicidal, code: Self.signalEverythingFromAChild)
                try await Self.expectWorkingOrTerminated(client, suicidal, fromChild, "\(method), signals from a child")
                try await Self.expectUnaffected(client, engine: engine, bystander: bystander, "\(method), signals from a child")
            }
        }

        @Test func javascriptSignallingEverythingHarmsNobodyElse() async throws {
            try await withTestEmulator(Self.configure(python: 1, javascript: 1, timeout: 5)) { client in
                let engine = try await client.createEngine()
                let bystander = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(bystander, code: "kept = 'bystander state'").stderr == "")
                let attacker = try await client.createSandbox(engine: engine, language: "LANGUAGE_JAVASCRIPT")
                let code = """
                    const fs = require('fs');
                    const visible = fs.readdirSync('/proc').filter(n => /^[0-9]+$/.test(n)).map(Number);
                    let delivered = 0;
                    const me = new Set(fs.readdirSync('/proc/self/task').map(Number));
                    for (const sig of ['SIGSTOP', 'SIGTERM', 'SIGKILL']) {
                      for (let pid = 1; pid < 32768; pid++) {
                        if (me.has(pid)) continue;
                        try { process.kill(pid, sig); delivered++; } catch (e) {}
                      }
                    }
                    try { process.kill(-1, 'SIGKILL'); } catch (e) {}
                    console.log('survived', visible.length, delivered);
                    """
                let run = try await client.execute(attacker, code: code)
                #expect(run.stdout.hasPrefix("survived"), "\(run)")
                try await Self.expectWorkingOrTerminated(client, attacker, run, "javascript, signals", javascript: true)
                try await Self.expectUnaffected(client, engine: engine, bystander: bystander, "javascript, signals")
            }
        }

        /// Python that does `action` to every descriptor it holds: those in /proc/self/fd and 0…1023.
        static func everyDescriptor(_ action: String) -> String {
            """
            import os
            junk = b'\\xff\\xff\\xff\\xff' + b'\\x00\\xde\\xad\\xbe\\xef' * 2000
            null = os.open('/dev/null', os.O_RDWR)
            fds = sorted({int(f) for f in os.listdir('/proc/self/fd')} | set(range(1024)))
            done = []
            for fd in fds:
                if fd == null:
                    continue
                try:
                    \(action)
                    done.append(fd)
                except OSError:
                    pass
            print('done', done)
            """
        }

        /// What the code does to each descriptor, and why its sandbox must then be terminated: the
        /// worker's reply pipe (a descriptor ≥ 100 it holds) gets the junk, or is closed.
        static let descriptorAbuses: [(label: String, action: String, reason: String)] = [
            ("write junk", "os.write(fd, junk)", "it sent a frame of 4294967295 bytes"),
            ("close", "os.close(fd)", "stopped answering"),
            ("dup2 /dev/null over", "os.dup2(null, fd)", "stopped answering"),
            ("write junk, then close", "os.write(fd, junk); os.close(fd)", "it sent a frame of 4294967295 bytes")
        ]

        @Test(arguments: descriptorAbuses.indices)
        func abusingEveryDescriptorHarmsNobodyElse(_ index: Int) async throws {
            let abuse = Self.descriptorAbuses[index]
            try await withTestEmulator(Self.configure(python: 2, javascript: 0, timeout: 3)) { client in
                let engine = try await client.createEngine()
                let bystander = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(bystander, code: "kept = 'bystander state'").stderr == "")
                let attacker = try await client.createSandbox(engine: engine)
                let start = ContinuousClock.now
                let run = try await client.execute(attacker, code: Self.everyDescriptor(abuse.action))
                #expect(ContinuousClock.now - start < .seconds(8), "\(abuse.label): the execute took \(ContinuousClock.now - start)")
                try await Self.expectWorkingOrTerminated(client, attacker, run, abuse.label, terminatedBecause: abuse.reason)
                try await Self.expectUnaffected(client, engine: engine, bystander: bystander, abuse.label)
            }
        }

        @Test func javascriptWritingJunkToEveryDescriptorHarmsNobodyElse() async throws {
            try await withTestEmulator(Self.configure(python: 1, javascript: 1, timeout: 3)) { client in
                let engine = try await client.createEngine()
                let bystander = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(bystander, code: "kept = 'bystander state'").stderr == "")
                let attacker = try await client.createSandbox(engine: engine, language: "LANGUAGE_JAVASCRIPT")
                let code = """
                    const fs = require('fs');
                    const junk = Buffer.alloc(4096, 0xff);
                    for (let fd = 0; fd < 1024; fd++) { try { fs.writeSync(fd, junk); } catch (e) {} }
                    for (let fd = 0; fd < 1024; fd++) { try { fs.closeSync(fd); } catch (e) {} }
                    console.log('done');
                    """
                let run = try await client.execute(attacker, code: code)
                try await Self.expectWorkingOrTerminated(
                    client, attacker, run, "javascript, descriptors", javascript: true,
                    terminatedBecause: "it sent a frame of 4294967295 bytes")
                try await Self.expectUnaffected(client, engine: engine, bystander: bystander, "javascript, descriptors")
            }
        }

        /// A small warm pool and short deadlines, so that a stopped worker is killed in seconds.
        static func configure(python: Int, javascript: Int, timeout: Int64) -> (inout EmulatorConfiguration) -> Void {
            { cfg in
                cfg.warmPool = [.python: python, .javascript: javascript]
                cfg.executeTimeout = .seconds(timeout)
                cfg.killGrace = .seconds(1)
            }
        }

        /// The abused sandbox either answers the next execute or is terminated, with the reason in the answer that ended it.
        /// With `terminatedBecause`, the sandbox must have been terminated and the answer must say that.
        static func expectWorkingOrTerminated(
            _ client: TestClient, _ sandbox: String, _ run: ExecResult, _ label: String,
            javascript: Bool = false, terminatedBecause reason: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            #expect(run.status == 200, "\(label): \(run.http)", sourceLocation: sourceLocation)
            let state = try await client.getSandbox(sandbox).json?["state"]?.stringValue
            if let reason {
                #expect(
                    state == "STATE_TERMINATED" && run.stderr.contains(reason),
                    "\(label): expected termination because \(reason): \(run)", sourceLocation: sourceLocation)
            }
            if state == "STATE_TERMINATED" {
                #expect(
                    run.stderr.contains("STATE_TERMINATED") && run.stderr.contains("[sandbench: "),
                    "\(label): terminated without saying why: \(run)", sourceLocation: sourceLocation)
                let again = try await client.execute(sandbox, code: javascript ? "console.log(1)" : "print(1)")
                expectGoogleError(
                    again.http, 400, "FAILED_PRECONDITION", "\(label): execute on the terminated sandbox",
                    sourceLocation: sourceLocation)
            } else {
                #expect(state == "STATE_RUNNING", "\(label): state \(state ?? "none")", sourceLocation: sourceLocation)
                let probe = try await client.execute(sandbox, code: javascript ? "console.log('still here')" : "print('still here')")
                #expect(
                    probe.stdout == "still here\n", "\(label): the sandbox reads RUNNING but does not run code: \(probe)",
                    sourceLocation: sourceLocation)
            }
            // Either way it can be deleted.
            #expect(try await client.deleteSandbox(sandbox).status == 200, "\(label)", sourceLocation: sourceLocation)
        }

        /// The emulator serves, the bystander kept its state, and a new sandbox runs code.
        static func expectUnaffected(
            _ client: TestClient, engine: String, bystander: String, _ label: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            #expect(try await client.raw("GET", "/healthz").status == 200, "\(label)", sourceLocation: sourceLocation)
            let kept = try await client.execute(bystander, code: "print(kept)")
            #expect(kept.stdout == "bystander state\n", "\(label): the bystander lost its state: \(kept)", sourceLocation: sourceLocation)
            let fresh = try await client.createSandbox(engine: engine)
            #expect(try await client.execute(fresh, code: "print(6 * 7)").stdout == "42\n", "\(label)", sourceLocation: sourceLocation)
            _ = try await client.deleteSandbox(fresh)
        }
    }
}
