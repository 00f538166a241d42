import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Section 5: create → RUNNING, TTL expiry, delete, list paging and filters.
extension EmulatorTests {
    @Suite struct Lifecycle {
        @Test func createReachesRunningWithTimestamps() async throws {
            // No warm pool: the create op is answered before the worker is ready and must be polled.
            try await withTestEmulator({ $0.warmPool = [.python: 0, .javascript: 0] }) { client in
                let engine = try await client.createEngine()
                let created = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments",
                    json: TestClient.sandboxBody(ttl: "600s", displayName: "timed"))
                try #require(created.status == 200, "\(created)")
                let first = try #require(created.json)
                if first["done"]?.boolValue != true {
                    #expect(first["response"] == nil && first["error"] == nil, "a running op has neither response nor error")
                }
                let op = try await client.pollOperation(try #require(first["name"]?.stringValue))
                #expect(op["error"] == nil, "\(op.jsonString)")
                #expect(op["response"]?["@type"]?.stringValue?.hasSuffix("SandboxEnvironment") == true, "\(op.jsonString)")
                let name = try #require(op["response"]?["name"]?.stringValue)
                let sb = try await client.ok("GET", name)
                #expect(sb["state"]?.stringValue == "STATE_RUNNING", "\(sb.jsonString)")
                for key in ["createTime", "updateTime", "expireTime"] {
                    #expect(isRFC3339Z(sb[key]?.stringValue), "\(key): \(sb[key]?.jsonString ?? "missing")")
                }
                let create = try #require(parseRFC3339Z(sb["createTime"]?.stringValue ?? ""))
                let update = try #require(parseRFC3339Z(sb["updateTime"]?.stringValue ?? ""))
                let expire = try #require(parseRFC3339Z(sb["expireTime"]?.stringValue ?? ""))
                #expect(abs(expire - create - 600) < 0.01, "expireTime - createTime = \(expire - create)")
                #expect(update >= create)
                #expect(abs(create - Date().timeIntervalSince1970) < 60, "createTime is not now")
                #expect(sb["ttl"] == nil, "ttl is input only: \(sb.jsonString)")
                let run = try await client.execute(name, code: "print('up')")
                #expect(run.stdout == "up\n")
            }
        }

        @Test func ttlExpiryDeletesTheSandbox() async throws {
            try await withTestEmulator({ $0.reapInterval = .milliseconds(100) }) { client in
                let engine = try await client.createEngine()
                let started = ContinuousClock.now
                let name = try await client.createSandbox(engine: engine, ttl: "1s")
                let sb = try await client.getSandbox(name)
                if sb.status == 200, let json = sb.json {
                    let create = try #require(parseRFC3339Z(json["createTime"]?.stringValue ?? ""))
                    let expire = try #require(parseRFC3339Z(json["expireTime"]?.stringValue ?? ""))
                    #expect(abs(expire - create - 1) < 0.01, "expireTime - createTime = \(expire - create)")
                }
                let uidText = try await client.execute(name, code: "import os; print(os.getuid())")
                let uid = Int(uidText.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                let gone = try await eventually(timeout: .seconds(8)) { try await client.getSandbox(name).status == 404 }
                #expect(gone, "sandbox with ttl 1s still exists after \(ContinuousClock.now - started)")
                #expect(ContinuousClock.now - started >= .milliseconds(900), "expired too early")
                expectGoogleError(try await client.getSandbox(name), 404, "NOT_FOUND", "expired sandbox")
                expectGoogleError(try await client.execute(name, code: "print(1)").http, 404, "NOT_FOUND", "execute on expired sandbox")
                let list = try await client.ok("GET", "\(engine)/sandboxEnvironments")
                let remaining = list["sandboxEnvironments"]?.arrayValue ?? []
                #expect(remaining.isEmpty, "\(list.jsonString)")
                if let uid {
                    let cleaned = await eventually(timeout: .seconds(10)) {
                        sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).isEmpty
                    }
                    #expect(cleaned, "worker processes of the expired sandbox remain")
                }
            }
        }

        /// "execute_code resets the sandbox's time to live (TTL)": a sandbox with a 3 s TTL lives
        /// on for 10 s while it executes every second, then expires 3 s after the last execute.
        @Test(.timeLimit(.minutes(1))) func executeResetsTheTTL() async throws {
            try await withTestEmulator({ $0.reapInterval = .milliseconds(100) }) { client in
                let engine = try await client.createEngine()
                let name = try await client.createSandbox(engine: engine, ttl: "3s")
                let started = ContinuousClock.now
                var lastExecute = ContinuousClock.now
                var count = 0
                while ContinuousClock.now - started < .seconds(10) {
                    count += 1
                    let run = try await client.execute(name, code: "n = globals().get('n', 0) + 1\nprint(n)")
                    lastExecute = ContinuousClock.now
                    #expect(run.stdout == "\(count)\n", "execute \(count) at \(lastExecute - started): \(run.http)")
                    let sb = try await client.ok("GET", name)
                    let expire = try #require(parseRFC3339Z(sb["expireTime"]?.stringValue ?? ""))
                    let left = expire - Date().timeIntervalSince1970
                    #expect(left > 2 && left <= 3.05, "after execute \(count), expireTime is \(left) s away, not about 3 s")
                    // Pacing of the scenario (one execute a second), not synchronisation.
                    try await Task.sleep(for: .seconds(1))
                }
                #expect(count >= 8)
                let gone = try await eventually(timeout: .seconds(10)) { try await client.getSandbox(name).status == 404 }
                #expect(gone, "the sandbox did not expire after its executes stopped")
                #expect(ContinuousClock.now - lastExecute >= .milliseconds(2900), "expired less than 3 s after the last execute")
            }
        }

        @Test func ttlIsBoundedAtFourteenDaysAndExpireTimeKeepsItsTTL() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandboxes = "\(engine)/sandboxEnvironments"
                let spec = #""spec": {"code_execution_environment": {}}"#
                let fifteenDays = ProtoTimestamp.format(Date().timeIntervalSince1970 + 15 * 86_400)
                for (label, body) in [
                    ("ttl of 14 days + 1 s", #"{\#(spec), "ttl": "1209601s"}"#),
                    ("expireTime in 15 days", #"{\#(spec), "expireTime": "\#(fifteenDays)"}"#)
                ] {
                    expectGoogleError(try await client.call("POST", sandboxes, text: body), 400, "INVALID_ARGUMENT", label)
                }
                // Given as expireTime (here 1 hour out), the TTL is what was left of it at create.
                let inAnHour = ProtoTimestamp.format(Date().timeIntervalSince1970 + 3600)
                let done = try await client.createSandboxOperation(
                    engine: engine, body: ["spec": ["code_execution_environment": [:]], "expireTime": .string(inAnHour)])
                let name = try #require(done["response"]?["name"]?.stringValue, "\(done.jsonString)")
                _ = try await client.execute(name, code: "print(1)")
                let sb = try await client.ok("GET", name)
                let expire = try #require(parseRFC3339Z(sb["expireTime"]?.stringValue ?? ""))
                let left = expire - Date().timeIntervalSince1970
                #expect(left > 3590 && left <= 3601, "expireTime after an execute is \(left) s away")
            }
        }

        @Test func fractionalTTLAndSandboxQuota() async throws {
            try await withTestEmulator({
                $0.maxSandboxes = 2
                $0.warmPool = [.python: 2, .javascript: 0]
            }) { client in
                let engine = try await client.createEngine()
                let a = try await client.createSandbox(engine: engine, ttl: "2.5s")
                let sb = try await client.ok("GET", a)
                let create = try #require(parseRFC3339Z(sb["createTime"]?.stringValue ?? ""))
                let expire = try #require(parseRFC3339Z(sb["expireTime"]?.stringValue ?? ""))
                #expect(abs(expire - create - 2.5) < 0.01, "expireTime - createTime = \(expire - create)")
                _ = try await client.createSandbox(engine: engine)
                let third = try await client.call("POST", "\(engine)/sandboxEnvironments", json: TestClient.sandboxBody())
                expectGoogleError(third, 429, "RESOURCE_EXHAUSTED", "create beyond maxSandboxes")
                _ = try await client.ok("DELETE", a)
                _ = try await client.createSandbox(engine: engine)
            }
        }

        @Test func deleteRemovesTheSandboxAndItsWorker() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let name = try await client.createSandbox(engine: engine)
                let r = try await client.execute(name, code: "import os, subprocess\nsubprocess.Popen(['sleep', '60'])\nprint(os.getuid())")
                let uid = try #require(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(r)")
                #expect(
                    sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).count >= 2, "worker and its child should be running")
                let deleted = try await client.completed(try await client.ok("DELETE", name))
                #expect(deleted["response"]?["@type"]?.stringValue == TypeURL.empty, "\(deleted.jsonString)")
                expectGoogleError(try await client.getSandbox(name), 404, "NOT_FOUND", "deleted sandbox")
                expectGoogleError(try await client.deleteSandbox(name), 404, "NOT_FOUND", "delete twice")
                let cleaned = await eventually(timeout: .seconds(10)) {
                    sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory).isEmpty
                }
                #expect(
                    cleaned,
                    "processes of uid \(uid) remain after delete: \(sandboxProcesses(uid: uid, stateDirectory: client.stateDirectory))")
            }
        }

        @Test func listPagingAndFilters() async throws {
            try await withTestEmulator({ $0.warmPool = [.python: 2, .javascript: 0] }) { client in
                let engine = try await client.createEngine()
                let collection = "\(engine)/sandboxEnvironments"
                var names: [String] = []
                for i in 0..<5 {
                    names.append(try await client.createSandbox(engine: engine, displayName: i < 2 ? "x" : "y"))
                }

                var seen: [String] = []
                var token: String?
                var pages = 0
                repeat {
                    let query =
                        "?pageSize=2"
                        + (token.map { "&pageToken=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? "")
                    let page = try await client.ok("GET", collection + query)
                    let items = page["sandboxEnvironments"]?.arrayValue ?? []
                    pages += 1
                    #expect(items.count <= 2)
                    seen += items.compactMap { $0["name"]?.stringValue }
                    token = page["nextPageToken"]?.stringValue
                    if let t = token { #expect(!t.isEmpty, "an empty token must be omitted instead") }
                    try #require(pages <= 5, "paging does not end")
                } while token != nil
                #expect(pages == 3, "5 sandboxes / pageSize 2 should be 3 pages, got \(pages)")
                #expect(seen.count == 5 && Set(seen) == Set(names), "paging lost or duplicated items: \(seen)")

                // Pause one so the state filter has something to exclude.
                _ = try await client.ok("POST", names[4] + ":pause")
                func filtered(_ filter: String) async throws -> Set<String> {
                    let q = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                    let page = try await client.ok("GET", collection + "?filter=\(q)")
                    return Set((page["sandboxEnvironments"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
                }
                #expect(try await filtered(#"state="STATE_RUNNING""#) == Set(names[0..<4]))
                #expect(try await filtered(#"state="STATE_PAUSED""#) == [names[4]])
                #expect(try await filtered(#"display_name="x""#) == Set(names[0..<2]))
                #expect(try await filtered(#"displayName="y" AND state="STATE_RUNNING""#) == Set(names[2..<4]))
                // The SDK's form: filter plus pageSize 1, paging re-sends the filter.
                let firstPage = try await client.ok(
                    "GET",
                    collection + "?pageSize=1&filter=" + #"display_name="x""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                #expect(firstPage["sandboxEnvironments"]?.arrayValue?.count == 1)
                #expect(firstPage["nextPageToken"]?.stringValue != nil)

                for bad in ["garbage", "bm90LWEtdG9rZW4", "%2F%2F%2F"] {
                    expectGoogleError(
                        try await client.call("GET", collection + "?pageToken=\(bad)"), 400, "INVALID_ARGUMENT", "pageToken \(bad)")
                }
                expectGoogleError(try await client.call("GET", collection + "?pageSize=-1"), 400, "INVALID_ARGUMENT", "negative pageSize")
                expectGoogleError(
                    try await client.call("GET", collection + "?filter=owner%3D%22me%22"), 400, "INVALID_ARGUMENT",
                    "unsupported filter field")
            }
        }
    }
}
