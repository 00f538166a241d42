import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

extension TestClient {
    /// `op` once done: returned as it is when it already is, else polled.
    func completed(_ op: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        if op["done"]?.boolValue == true { return op }
        let name = try #require(op["name"]?.stringValue, "operation without a name: \(op.jsonString)", sourceLocation: sourceLocation)
        return try await pollOperation(name)
    }

    /// The `state` of a sandbox, or "404" once it is gone.
    func state(_ sandbox: String) async throws -> String {
        let r = try await getSandbox(sandbox)
        if r.status == 404 { return "404" }
        return r.json?["state"]?.stringValue ?? "HTTP \(r.status)"
    }

    /// The `google.rpc.ErrorInfo` and `google.rpc.BadRequest` entries of an error body's details.
    func errorDetail(_ r: HTTPResult, _ type: String) -> JSONValue? {
        r.json?["error"]?["details"]?.arrayValue?.first { $0["@type"]?.stringValue == "type.googleapis.com/google.rpc.\(type)" }
    }
}

/// Pause, resume and delete as long-running operations with the documented intermediate states.
extension EmulatorTests {
    @Suite struct Transitions {
        /// A pause waits for the execute already running; meanwhile the sandbox is STATE_PAUSING, the
        /// pause operation is not done, and a new execute is refused. Then it is STATE_PAUSED with every
        /// process stopped, and the operation's response is the sandbox.
        @Test(.timeLimit(.minutes(1))) func pauseWaitsForTheRunningExecuteAndShowsPausing() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let first = try await client.execute(sandbox, code: "import os\nkept = 7\nprint(os.getuid())")
                let uid = try #require(Int(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(first.http)")
                // The execute holds the sandbox until the test lets it go: it writes `started`, then
                // waits for `release` to appear in its working directory.
                let hold =
                    "import os, time\nopen('started', 'w').close()\ndeadline = time.time() + 30\n"
                    + "while not os.path.exists('release') and time.time() < deadline: time.sleep(0.01)\n"
                    + "print('released' if os.path.exists('release') else 'timed out')"
                let long = Task { try await client.execute(sandbox, code: hold) }
                var started: String?
                let running = await eventually(timeout: .seconds(20)) {
                    started = findFile(named: "started", under: client.stateDirectory)
                    return started != nil
                }
                try #require(running, "the long execute never started")
                let pause = try await client.ok("POST", sandbox + ":pause")
                #expect(pause["done"] == nil, "pause answered done while an execute still ran: \(pause.jsonString)")
                #expect(try await client.state(sandbox) == "STATE_PAUSING")
                let refused = try await client.execute(sandbox, code: "print(kept)")
                expectGoogleError(refused.http, 400, "FAILED_PRECONDITION", "execute while pausing")
                #expect(client.errorDetail(refused.http, "ErrorInfo")?["reason"]?.stringValue == "SANDBOX_NOT_RUNNING", "\(refused.http)")
                let startedPath = try #require(started)
                try #require(
                    FileManager.default.createFile(atPath: (startedPath as NSString).deletingLastPathComponent + "/release", contents: nil))
                let finished = try await long.value
                #expect(finished.stdout == "released\n", "the execute ahead of the pause: \(finished.http)")
                let done = try await client.completed(pause)
                #expect(done["error"] == nil, "\(done.jsonString)")
                #expect(done["response"]?["@type"]?.stringValue == TypeURL.sandboxEnvironment)
                #expect(done["response"]?["name"]?.stringValue == sandbox)
                #expect(done["response"]?["state"]?.stringValue == "STATE_PAUSED", "\(done.jsonString)")
                #expect(try await client.state(sandbox) == "STATE_PAUSED")
                let states = sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).compactMap(processState)
                #expect(!states.isEmpty && states.allSatisfy { $0 == "T" }, "paused sandbox's processes are in states \(states)")
                // Pausing a paused sandbox is a finished no-op; pausing while pausing or resuming is not.
                let again = try await client.ok("POST", sandbox + ":pause")
                #expect(
                    again["done"]?.boolValue == true && again["response"]?["state"]?.stringValue == "STATE_PAUSED", "\(again.jsonString)")
                let resumed = try await client.completed(try await client.ok("POST", sandbox + "/:resume"))
                #expect(resumed["response"]?["state"]?.stringValue == "STATE_RUNNING", "\(resumed.jsonString)")
                #expect(try await client.execute(sandbox, code: "print(kept)").stdout == "7\n")
            }
        }

        /// With `transitionWait` zero every transition answers at once with a running operation; its
        /// intermediate state is what the sandbox shows until the operation is done.
        @Test(.timeLimit(.minutes(1))) func transitionsAnswerWithRunningOperations() async throws {
            try await withTestEmulator({ $0.transitionWait = .zero }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                _ = try await client.execute(sandbox, code: "kept = 'yes'")
                for (verb, between, after) in [("pause", "STATE_PAUSING", "STATE_PAUSED"), ("resume", "STATE_RESUMING", "STATE_RUNNING")] {
                    let op = try await client.ok("POST", sandbox + ":" + verb)
                    #expect(op["done"] == nil, "\(verb) answered done: \(op.jsonString)")
                    let name = try #require(op["name"]?.stringValue)
                    #expect(name.hasPrefix(sandbox + "/operations/"), "\(verb) operation \(name)")
                    let seen = try await client.state(sandbox)
                    #expect(seen == between || seen == after, "\(verb): state \(seen) during the transition")
                    let done = try await client.pollOperation(name)
                    #expect(done["response"]?["state"]?.stringValue == after, "\(verb): \(done.jsonString)")
                    let created = op["metadata"]?["genericMetadata"]?["createTime"]
                    #expect(
                        created != nil && done["metadata"]?["genericMetadata"]?["createTime"] == created,
                        "\(verb): createTime changed: \(done.jsonString)")
                    #expect(try await client.state(sandbox) == after)
                }
                #expect(try await client.execute(sandbox, code: "print(kept)").stdout == "yes\n")
                let delete = try await client.ok("DELETE", sandbox)
                #expect(delete["done"] == nil, "delete answered done: \(delete.jsonString)")
                let seen = try await client.state(sandbox)
                #expect(seen == "STATE_DEPROVISIONING" || seen == "404", "state \(seen) while deleting")
                let deleted = try await client.completed(delete)
                #expect(deleted["response"]?["@type"]?.stringValue == TypeURL.empty, "\(deleted.jsonString)")
                #expect(deleted["error"] == nil)
                #expect(try await client.state(sandbox) == "404")
                expectGoogleError(try await client.deleteSandbox(sandbox), 404, "NOT_FOUND", "delete after the deletion finished")
            }
        }

        /// A delete of a sandbox that is being deleted answers with the deletion already running;
        /// an execute there is refused, and the sandbox is listed as STATE_DEPROVISIONING until it is gone.
        @Test(.timeLimit(.minutes(1))) func deleteShowsDeprovisioningWhileTheWorkerIsTornDown() async throws {
            try await withTestEmulator({ $0.transitionWait = .zero }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                // Many files make the teardown (the workdir's removal) take a while.
                let setup = try await client.execute(
                    sandbox,
                    code: "import os\nos.makedirs('d', exist_ok=True)\n"
                        + "for i in range(3000): open(f'd/{i}', 'w').write('x')\nprint('ok')")
                #expect(setup.stdout == "ok\n", "\(setup.http)")
                let first = try await client.ok("DELETE", sandbox)
                let second = try await client.call("DELETE", sandbox)
                if second.status == 200 {
                    #expect(
                        second.json?["name"]?.stringValue == first["name"]?.stringValue,
                        "a second delete started another deletion: \(second)")
                    let listed = try await client.ok("GET", "\(engine)/sandboxEnvironments")
                    let states = (listed["sandboxEnvironments"]?.arrayValue ?? []).compactMap { $0["state"]?.stringValue }
                    #expect(states.allSatisfy { $0 == "STATE_DEPROVISIONING" }, "listed while deleting: \(states)")
                    let refused = try await client.execute(sandbox, code: "print(1)")
                    #expect(refused.status == 400 || refused.status == 404, "execute while deleting: \(refused.http)")
                } else {
                    expectGoogleError(second, 404, "NOT_FOUND", "second delete after the first finished")
                }
                _ = try await client.completed(first)
                #expect(try await client.state(sandbox) == "404")
            }
        }

        /// `expireTime` is always present on output; with neither ttl nor expireTime on input the
        /// sandbox never expires, which the latest Timestamp says.
        @Test func expireTimeIsAlwaysPresent() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let done = try await client.createSandboxOperation(engine: engine, body: ["spec": ["code_execution_environment": [:]]])
                #expect(done["response"]?["expireTime"]?.stringValue == SandboxEnvironment.neverExpires, "\(done.jsonString)")
                let name = try #require(done["response"]?["name"]?.stringValue)
                #expect(try await client.ok("GET", name)["expireTime"]?.stringValue == "9999-12-31T23:59:59Z")
                let listed = try await client.ok("GET", "\(engine)/sandboxEnvironments")
                #expect(
                    listed["sandboxEnvironments"]?.arrayValue?.first?["expireTime"]?.stringValue == "9999-12-31T23:59:59Z",
                    "\(listed.jsonString)")
                // An execute leaves a sandbox without a TTL as it was.
                _ = try await client.execute(name, code: "print(1)")
                #expect(try await client.ok("GET", name)["expireTime"]?.stringValue == "9999-12-31T23:59:59Z")
            }
        }
    }
}

/// The first file called `name` below `directory`.
func findFile(named name: String, under directory: String) -> String? {
    guard let walk = FileManager.default.enumerator(atPath: directory) else { return nil }
    while let path = walk.nextObject() as? String {
        if (path as NSString).lastPathComponent == name { return directory + "/" + path }
    }
    return nil
}

/// The state letter of `/proc/PID/stat`.
func processState(_ pid: Int) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
        return nil
    }
    return stat[close...].dropFirst(2).first
}
