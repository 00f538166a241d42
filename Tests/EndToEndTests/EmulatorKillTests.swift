import Foundation
import Testing

/// An emulator killed with SIGKILL takes every sandbox process with it: workers, their children,
/// and children that called setsid() and double-forked. In `none` mode (no pid namespace) such
/// escapees outlive it, and the next emulator's start-up sweep kills them.
@Suite(.serialized) struct EmulatorKillTests {
    /// Starts `sandbench emulator` and returns it with its base URL.
    static func startEmulator(_ isolation: String) throws -> (Process, String) {
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: CLI.binary)
        emulator.arguments = ["emulator", "--port", "0", "--warm-python", "2", "--warm-javascript", "0", "--isolation", isolation]
        let out = Pipe()
        emulator.standardOutput = out
        emulator.standardError = FileHandle.nullDevice
        try emulator.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let base = line.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        return (emulator, base)
    }

    /// Every live (non-zombie) descendant of `root`, from /proc.
    static func descendants(of root: pid_t) -> Set<pid_t> {
        var parent: [pid_t: pid_t] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", let ppid = pid_t(fields[1]) else { continue }
            parent[pid] = ppid
        }
        return Set(
            parent.keys.filter { pid in
                var p = pid
                for _ in 0..<64 {
                    guard let up = parent[p] else { return false }
                    if up == root { return true }
                    p = up
                }
                return false
            })
    }

    static func alive(_ pids: Set<pid_t>) -> Set<pid_t> {
        pids.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
                return false
            }
            return !stat[close...].dropFirst(2).hasPrefix("Z")
        }
    }

    static let escape = """
        import os, subprocess, time
        subprocess.Popen(['sleep', '600'], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(600)
            os._exit(0)
        time.sleep(0.2)
        # The worker exits when its request pipe closes, through os._exit: take that away too, so
        # only the kernel (parent-death signal, pid namespace) can end it.
        os._exit = lambda code: time.sleep(600)
        print('escaped')
        """

    /// Creates an engine and two sandboxes: one leaves setsid'd sleepers behind, one spins.
    static func populate(_ client: HTTP) async throws -> Int {
        let engine = try client.post("/v1beta1/projects/sandbench/locations/us-central1/reasoningEngines")
        let engineName = try #require((engine["response"] as? [String: Any])?["name"] as? String)
        var sandboxes: [String] = []
        for _ in 0..<2 {
            let op = try client.post("/v1beta1/\(engineName)/sandboxEnvironments", json: #"{"spec":{"codeExecutionEnvironment":{}}}"#)
            var done = op
            for _ in 0..<400 where done["done"] as? Bool != true {
                try await Task.sleep(for: .milliseconds(25))
                done = try client.get("/v1beta1/\(try #require(op["name"] as? String))")
            }
            sandboxes.append(try #require((done["response"] as? [String: Any])?["name"] as? String))
        }
        let escaped = try client.execute(sandboxes[0], code: escape)
        #expect(escaped.contains("escaped"), "\(escaped)")
        client.executeDetached(sandboxes[1], code: "while True: pass")
        return sandboxes.count
    }

    @Test(arguments: ["bubblewrap", "unshare"])
    func sigkillTakesEverySandboxProcessAlong(_ isolation: String) async throws {
        try #require(geteuid() == 0, "needs root for cgroups and per-sandbox uids")
        let (emulator, base) = try Self.startEmulator(isolation)
        defer {
            if emulator.isRunning { kill(emulator.processIdentifier, SIGKILL) }
            emulator.waitUntilExit()
        }
        try #require(base.hasPrefix("http://127.0.0.1:"), "emulator did not start with --isolation \(isolation)")
        _ = try await Self.populate(HTTP(base: base))
        let before = Self.descendants(of: emulator.processIdentifier)
        // 2 sandboxes + 2 warm workers, each a chain of processes, plus the escaped sleepers.
        #expect(before.count >= 8, "descendants before the kill: \(before.count)")
        kill(emulator.processIdentifier, SIGKILL)
        var left = before
        for _ in 0..<200 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            left = Self.alive(left)
        }
        #expect(left.isEmpty, "\(left.count) of \(before.count) sandbox processes outlived the emulator (\(isolation))")
    }

    @Test func nextEmulatorSweepsWhatANoneModeEmulatorLeft() async throws {
        try #require(geteuid() == 0, "needs root for cgroups")
        let (first, base) = try Self.startEmulator("none")
        try #require(base.hasPrefix("http://127.0.0.1:"))
        _ = try await Self.populate(HTTP(base: base))
        let before = Self.descendants(of: first.processIdentifier)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // The next emulator's start-up sweep kills what is left in the dead emulator's cgroups.
        let (second, secondBase) = try Self.startEmulator("none")
        defer {
            kill(second.processIdentifier, SIGTERM)
            second.waitUntilExit()
        }
        #expect(secondBase.hasPrefix("http://127.0.0.1:"))
        var left = Self.alive(before)
        for _ in 0..<100 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            left = Self.alive(left)
        }
        #expect(left.isEmpty, "\(left.count) processes of a SIGKILLed emulator survived the next start-up")
        let cgroups = ["pids", "cpu"].flatMap { controller in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/\(controller)")) ?? [])
                .filter { $0.hasPrefix("sandbench-\(first.processIdentifier)-") }
        }
        #expect(cgroups.isEmpty, "cgroups of the dead emulator remain: \(cgroups)")
        let stateDirectories = ((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
            .filter { $0.hasPrefix("sandbench-emulator-\(first.processIdentifier)-") }
        #expect(stateDirectories.isEmpty, "state directories of the dead emulator remain: \(stateDirectories)")
    }
}

extension HTTP {
    /// POST with a JSON body; the parsed JSON answer.
    func post(_ path: String, json: String) throws -> [String: Any] {
        let data = try curl(["-s", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json, base + path])
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    static func executeBody(_ code: String) -> String {
        let inner = try? JSONSerialization.data(withJSONObject: ["code": code])
        return #"{"inputs":[{"mimeType":"application/json","data":""# + (inner ?? Data()).base64EncodedString() + #""}]}"#
    }

    /// Runs code and returns the execute response body as text (console chunk decoded).
    func execute(_ sandbox: String, code: String) throws -> String {
        let answer = try post("/v1beta1/\(sandbox):execute", json: Self.executeBody(code))
        guard let outputs = answer["outputs"] as? [[String: Any]], let data = outputs.first?["data"] as? String,
            let console = Data(base64Encoded: data)
        else { return "\(answer)" }
        return String(decoding: console, as: UTF8.self)
    }

    /// Starts an execute and does not wait for it (curl runs on in the background).
    func executeDetached(_ sandbox: String, code: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = [
            "-s", "-m", "30", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", Self.executeBody(code),
            base + "/v1beta1/\(sandbox):execute"
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
    }

    private func curl(_ arguments: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data
    }
}

/// `--isolation X` means exactly X: when X cannot be had, the emulator refuses to start (exit 2).
@Suite struct IsolationStrictnessTests {
    @Test func unavailableIsolationRefusesToStart() throws {
        try #require(geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to become nobody")
        // As nobody, `unshare` (which needs root) is unavailable.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary, "emulator", "--port", "0", "--isolation", "unshare"]
        p.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 2, "\(stdout)\(stderr)")
        #expect(stderr.contains("isolation unshare is not available"), "\(stderr)")
        #expect(!stdout.contains("listening on"), "\(stdout)")
    }
}
