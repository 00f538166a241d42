import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Hostile input never stops the emulator: out-of-range numbers in requests get 400, and a sandbox
/// whose code forges frames on its worker's reply pipe is terminated alone.
extension EmulatorTests {
    @Suite struct HostileInput {
        @Test func outOfRangeNumbersAreInvalidArgument() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandboxes = "\(engine)/sandboxEnvironments"
                let spec = #""spec": {"code_execution_environment": {}}"#
                let bodies: [(String, String)] = [
                    ("ttl of 10^23 s", #"{\#(spec), "ttl": "100000000000000000000000s"}"#),
                    ("ttl past protobuf's Duration range", #"{\#(spec), "ttl": "315576000001s"}"#),
                    ("ttl whose expireTime passes year 9999", #"{\#(spec), "ttl": "315576000000s"}"#),
                    ("ttl with 400 digits", #"{\#(spec), "ttl": "\#(String(repeating: "9", count: 400))s"}"#),
                    ("negative ttl", #"{\#(spec), "ttl": "-5s"}"#),
                    ("ttl as a number", #"{\#(spec), "ttl": 1e300}"#),
                    ("expireTime that is not a time", #"{\#(spec), "expireTime": "tomorrow"}"#),
                    ("expireTime in month 13", #"{\#(spec), "expireTime": "2026-13-01T00:00:00Z"}"#),
                    ("expireTime with ttl", #"{\#(spec), "ttl": "60s", "expireTime": "2030-01-01T00:00:00Z"}"#)
                ]
                for (label, body) in bodies {
                    expectGoogleError(try await client.call("POST", sandboxes, text: body), 400, "INVALID_ARGUMENT", label)
                }
                let queries = [
                    "pageSize=99999999999999999999999", "pageSize=-1", "pageSize=1e300", "pageSize=NaN",
                    "pageToken=after:99999999999999999999", "pageToken=after:-1", "pageToken=%FF%FE"
                ]
                for query in queries {
                    expectGoogleError(try await client.call("GET", "\(sandboxes)?\(query)"), 400, "INVALID_ARGUMENT", query)
                }
                // The emulator is still serving and still runs code.
                let health = try await client.raw("GET", "/healthz")
                #expect(health.status == 200)
                let sandbox = try await client.createSandbox(engine: engine, ttl: "1209600s")
                let run = try await client.execute(sandbox, code: "print(6 * 7)")
                #expect(run.stdout == "42\n", "\(run.http)")
            }
        }

        @Test func unreadBodiesDoNotStallTheConnection() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let body = Array(#"{"force":""#.utf8) + [UInt8](repeating: UInt8(ascii: "z"), count: 4 << 20) + Array(#""}"#.utf8)
                // Routes that need no body (DELETE of an unknown sandbox, GET) still answer at once.
                for (method, target) in [("DELETE", "/v1beta1/\(engine)/sandboxEnvironments/0"), ("GET", "/healthz")] {
                    let r = try await RawHTTP.send(port: client.port, method: method, target: target, body: body, timeoutSeconds: 10)
                    #expect(r.status == 404 || r.status == 200, "\(method) \(target): \(r)")
                }
            }
        }

        @Test func oversizedBodiesAreRefusedAndTheConnectionClosed() async throws {
            // maxBodyBytes is maxFileBytes * 4/3 + 8 MiB: with 1 KB of files allowed, 12 MiB is over it.
            try await withTestEmulator({ $0.maxFileBytes = 1_000 }) { client in
                let engine = try await client.createEngine()
                let body = [UInt8](repeating: UInt8(ascii: " "), count: 12 << 20)
                let r = try await RawHTTP.send(
                    port: client.port, method: "POST", target: "/v1beta1/\(engine)/sandboxEnvironments",
                    body: body, timeoutSeconds: 10)
                expectGoogleError(r, 400, "INVALID_ARGUMENT", "oversized body")
                #expect(r.headers["connection"]?.lowercased() == "close", "\(r.headers)")
            }
        }

        @Test func expireTimeOnInputSetsTheExpiry() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                // Ten days from now, at a whole second (within the 14-day bound).
                let at = (Date().timeIntervalSince1970 + 10 * 86_400).rounded(.down)
                let body: JSONValue = ["spec": ["codeExecutionEnvironment": [:]], "expireTime": .string(ProtoTimestamp.format(at))]
                let op = try await client.createSandboxOperation(engine: engine, body: body)
                let name = try #require(op["response"]?["name"]?.stringValue, "\(op)")
                let sandbox = try #require(try await client.getSandbox(name).json)
                #expect(sandbox["expireTime"]?.stringValue == ProtoTimestamp.format(at), "\(sandbox)")
            }
        }

        /// Python that finds the worker's reply pipe (the one write-only FIFO it holds) and writes `frame` to it.
        static func forge(_ frame: String) -> String {
            """
            import os, stat, fcntl, struct
            def _reply_fd():
                for fd in range(3, 1024):
                    try:
                        st = os.fstat(fd)
                    except OSError:
                        continue
                    if stat.S_ISFIFO(st.st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                        return fd
            _fd = _reply_fd()
            print("reply fd", _fd)
            os.write(_fd, \(frame))
            import time
            time.sleep(30)
            """
        }

        static let forgedFrames: [(label: String, frame: String, reason: String)] = [
            ("an id of 1e300", #"struct.pack(">I", 12) + b'{"id":1e300}'"#, "an id nobody waits for"),
            ("a 4 GiB frame header", #"b"\xff\xff\xff\xff""#, "over the"),
            ("junk bytes", #"struct.pack(">I", 5) + b"\x00\x01\x02\x03\x04""#, "not JSON"),
            (
                "a reply claiming 1e300 bytes of output",
                #"(lambda b: struct.pack(">I", len(b)) + b)(b'{"id":1,"stdout":"","stderr":"","stdout_truncated":true,"#
                    + #""stderr_truncated":false,"stdout_bytes":1e300,"stderr_bytes":0,"interrupted":false}')"#,
                "stdout_bytes is not an integer"
            ),
            (
                "a reply with stdout as a number",
                #"(lambda b: struct.pack(">I", len(b)) + b)(b'{"id":1,"stdout":7,"stderr":"","stdout_truncated":false,"#
                    + #""stderr_truncated":false,"stdout_bytes":0,"stderr_bytes":0,"interrupted":false}')"#,
                "stdout is not a string"
            ),
            ("nesting 10,000 deep", #"(lambda b: struct.pack(">I", len(b)) + b)(b"[" * 10000 + b"]" * 10000)"#, "not JSON")
        ]

        @Test(arguments: forgedFrames.indices)
        func forgedWorkerFramesTerminateOnlyThatSandbox(_ index: Int) async throws {
            let forged = Self.forgedFrames[index]
            try await withTestEmulator({ $0.warmPool = [.python: 2, .javascript: 0] }) { client in
                let engine = try await client.createEngine()
                let bystander = try await client.createSandbox(engine: engine)
                _ = try await client.execute(bystander, code: "kept = 'still here'")
                let hostile = try await client.createSandbox(engine: engine)
                let run = try await client.execute(hostile, code: Self.forge(forged.frame))
                #expect(run.http.status == 200, "\(forged.label): \(run.http)")
                #expect(run.stderr.contains("worker was killed: it sent"), "\(forged.label): \(run.stderr)")
                #expect(run.stderr.contains(forged.reason), "\(forged.label): \(run.stderr)")
                #expect(run.stderr.contains("STATE_TERMINATED"), "\(forged.label): \(run.stderr)")
                let state = try await client.getSandbox(hostile).json?["state"]?.stringValue
                #expect(state == "STATE_TERMINATED", "\(forged.label)")
                // Everything else is unaffected: the emulator serves, the other sandbox keeps its state.
                #expect(try await client.raw("GET", "/healthz").status == 200)
                let after = try await client.execute(bystander, code: "print(kept)")
                #expect(after.stdout == "still here\n", "\(forged.label): \(after.http)")
                let fresh = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(fresh, code: "print(1 + 1)").stdout == "2\n")
            }
        }

        @Test func plantedFIFOsAndLinksAreReplacedNotOpened() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let plant = """
                    import os
                    os.mkfifo('in.txt')
                    os.mkdir('d'); os.mkfifo('d/in.txt')
                    open('target.txt', 'w').write('original')
                    os.link('target.txt', 'linked.txt')
                    os.symlink('target.txt', 'sym.txt')
                    print('planted')
                    """
                #expect(try await client.execute(sandbox, code: plant).stdout == "planted\n")
                // Opening a FIFO for writing would block until a reader came: the upload must replace it.
                let files = ["in.txt", "d/in.txt", "linked.txt", "sym.txt"].map {
                    InputFile(name: $0, content: Array("uploaded \($0)".utf8))
                }
                let check = """
                    import os, stat
                    for n in ['in.txt', 'd/in.txt', 'linked.txt', 'sym.txt']:
                        st = os.lstat(n)
                        print(n, stat.S_ISREG(st.st_mode), open(n).read())
                    print('target', open('target.txt').read())
                    """
                let run = try await client.execute(sandbox, code: check, files: files)
                #expect(
                    run.stdout == """
                        in.txt True uploaded in.txt
                        d/in.txt True uploaded d/in.txt
                        linked.txt True uploaded linked.txt
                        sym.txt True uploaded sym.txt
                        target original

                        """, "\(run.stdout)\(run.stderr)")
                #expect(try await client.raw("GET", "/healthz").status == 200)
            }
        }

        @Test func farFutureTimestampsAndManyEntriesDoNotHurt() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let future = """
                    import os
                    open('future.txt', 'w').write('x')
                    os.utime('future.txt', (0, 10**10))       # year 2286: seconds × 10⁹ overflows Int64
                    print('done')
                    """
                let run = try await client.execute(sandbox, code: future)
                #expect(run.stdout == "done\n", "\(run.stderr)")
                #expect(run.files.contains { $0.name == "future.txt" }, "\(run.files.map(\.name))")
                // 20,000 FIFOs: the snapshot walk stops at its entry limit instead of taking its time.
                let many = try await client.execute(
                    sandbox, code: "os.mkdir('many')\nfor i in range(20000): os.mkfifo('many/f%d' % i)\nprint('ok')")
                #expect(many.stdout == "ok\n", "\(many.stderr)")
                #expect(try await client.raw("GET", "/healthz").status == 200)
            }
        }

        @Test func aWorkerThatDiesBetweenExecutesIsTerminatedPromptly() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let code =
                    "import os, signal, threading\nthreading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()\n"
                    + "print('armed')"
                #expect(try await client.execute(sandbox, code: code).stdout == "armed\n")
                let terminated = try await eventually(timeout: .seconds(10)) {
                    try await client.getSandbox(sandbox).json?["state"]?.stringValue == "STATE_TERMINATED"
                }
                #expect(terminated, "the sandbox does not read STATE_TERMINATED after its worker died")
            }
        }

        @Test func forgedFrameFromJavaScriptTerminatesOnlyThatSandbox() async throws {
            try await withTestEmulator({ $0.warmPool = [.python: 1, .javascript: 1] }) { client in
                let engine = try await client.createEngine()
                let hostile = try await client.createSandbox(engine: engine, language: "LANGUAGE_JAVASCRIPT")
                let code = """
                    const fs = require('fs');
                    const body = Buffer.from('{"id":1e300}');
                    const head = Buffer.alloc(4); head.writeUInt32BE(body.length, 0);
                    fs.writeSync(4, Buffer.concat([head, body]));
                    const until = Date.now() + 30000; while (Date.now() < until) {}
                    """
                let run = try await client.execute(hostile, code: code)
                #expect(run.stderr.contains("worker was killed: it sent a frame with an id nobody waits for"), "\(run.http)")
                #expect(try await client.getSandbox(hostile).json?["state"]?.stringValue == "STATE_TERMINATED")
                let python = try await client.createSandbox(engine: engine)
                #expect(try await client.execute(python, code: "print('ok')").stdout == "ok\n")
            }
        }
    }
}

/// With a bearer token configured, a request without it (or with a wrong one) gets 401 UNAUTHENTICATED.
extension EmulatorTests {
    @Suite struct BearerToken {
        @Test func everyRequestNeedsTheToken() async throws {
            let token = "s3cret-token"
            try await withTestEmulator({ $0.authToken = token }) { client in
                let engines = "/v1beta1/\(client.locationPath)/reasoningEngines"
                for headers in [
                    [], [("Authorization", "Bearer wrong")], [("Authorization", "Bearer s3cret-toke")],
                    [("Authorization", "Basic \(token)")], [("Authorization", "Bearer \(token)x")]
                ] {
                    for (method, target) in [("GET", "/healthz"), ("GET", engines), ("POST", engines)] {
                        let r = try await client.raw(method, target, headers: headers)
                        expectGoogleError(r, 401, "UNAUTHENTICATED", "\(method) \(target) with \(headers)")
                        #expect(r.headers["www-authenticate"] == "Bearer")
                    }
                }
                let ok = try await client.raw("POST", engines, headers: [("Authorization", "Bearer \(token)")])
                #expect(ok.status == 200, "\(ok)")
                let health = try await client.raw("GET", "/healthz", headers: [("authorization", "bearer \(token)")])
                #expect(health.status == 200, "\(health)")
            }
        }

        @Test func aNonLoopbackAddressNeedsAToken() async throws {
            var cfg = smallConfiguration()
            cfg.host = "0.0.0.0"
            await #expect(throws: RemoteBindRefused.self) {
                try await Emulator.withEmulator(configuration: cfg, logger: quietLogger) { _ in }
            }
            #expect(
                EmulatorConfiguration.isLoopback("127.0.0.1") && EmulatorConfiguration.isLoopback("127.1.2.3")
                    && EmulatorConfiguration.isLoopback("::1") && EmulatorConfiguration.isLoopback("localhost"))
            #expect(
                !EmulatorConfiguration.isLoopback("0.0.0.0") && !EmulatorConfiguration.isLoopback("::")
                    && !EmulatorConfiguration.isLoopback("127.0.0.1.example.com") && !EmulatorConfiguration.isLoopback("10.0.0.1"))
        }
    }
}
