import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Operations of every parent: get, `:wait`, `:cancel`, delete and (v1beta1) list.
extension EmulatorTests {
    @Suite struct Operations {
        /// `:wait` returns a running operation once it is done, and at once when its timeout is zero.
        @Test(.timeLimit(.minutes(1))) func waitReturnsTheOperationOnceItIsDone() async throws {
            try await withTestEmulator({ $0.transitionWait = .zero }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let pause = try await client.ok("POST", sandbox + ":pause")
                let name = try #require(pause["name"]?.stringValue)
                let now = try await client.ok("POST", name + ":wait?timeout=0s")
                #expect(now["name"]?.stringValue == name)
                let waited = try await client.ok("POST", name + ":wait?timeout=30s")
                #expect(waited["done"]?.boolValue == true, "\(waited.jsonString)")
                #expect(waited["response"]?["state"]?.stringValue == "STATE_PAUSED")
                // Done already: "the latest state is immediately returned".
                let started = ContinuousClock.now
                let again = try await client.ok("POST", name + ":wait")
                #expect(again == waited)
                #expect(ContinuousClock.now - started < .seconds(30), "wait on a finished operation held the request")
                let bad = try await client.call("POST", name + ":wait?timeout=soon")
                expectGoogleError(bad, 400, "INVALID_ARGUMENT", "wait with a timeout that is not a duration")
                #expect(
                    client.errorDetail(bad, "BadRequest")?["fieldViolations"]?.arrayValue?.first?["field"]?.stringValue == "timeout",
                    "\(bad)")
                expectGoogleError(
                    try await client.call("POST", sandbox + "/operations/0:wait"), 404, "NOT_FOUND", "wait on an unknown operation")
            }
        }

        /// Lists a sandbox's operations oldest first, in pages, filtered by `done`; v1 has no list.
        @Test func listPagesThroughASandboxsOperations() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                var names: [String] = []
                for verb in ["pause", "resume", "pause"] {
                    let op = try await client.completed(try await client.ok("POST", sandbox + ":" + verb))
                    names.append(try #require(op["name"]?.stringValue))
                }
                let all = try await client.ok("GET", sandbox + "/operations")
                let listed = (all["operations"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                #expect(listed.count == 4, "create + 3 transitions: \(listed)")
                #expect(Array(listed.suffix(3)) == names, "operations not oldest first: \(listed)")
                var paged: [String] = []
                var token: String?
                repeat {
                    let page = try await client.ok("GET", sandbox + "/operations?pageSize=1" + (token.map { "&pageToken=" + $0 } ?? ""))
                    let items = page["operations"]?.arrayValue ?? []
                    #expect(items.count <= 1)
                    paged += items.compactMap { $0["name"]?.stringValue }
                    token = page["nextPageToken"]?.stringValue
                } while token != nil && paged.count < 10
                #expect(paged == listed)
                let done = try await client.ok("GET", sandbox + "/operations?filter=done%3Dtrue")
                #expect(done["operations"]?.arrayValue?.count == 4)
                let running = try await client.ok("GET", sandbox + "/operations?filter=done%3Dfalse")
                #expect(running["operations"]?.arrayValue?.isEmpty ?? true, "\(running.jsonString)")
                expectGoogleError(
                    try await client.call("GET", sandbox + "/operations?filter=name%3Dx"), 400, "INVALID_ARGUMENT", "unsupported filter")
                expectGoogleError(
                    try await client.call("GET", sandbox + "/operations?returnPartialSuccess=true"), 501, "UNIMPLEMENTED",
                    "returnPartialSuccess")
                // The engine's own operations are listed under the engine, the sandbox's are not.
                let engineOps = try await client.ok("GET", engine + "/operations")
                let engineNames = (engineOps["operations"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                #expect(engineNames.count == 1 && engineNames.allSatisfy { $0.hasPrefix(engine + "/operations/") }, "\(engineNames)")
                // Operations outlive their sandbox (until retention drops them).
                _ = try await client.completed(try await client.ok("DELETE", sandbox))
                #expect(try await client.ok("GET", names[0])["done"]?.boolValue == true)
            }
            try await withTestEmulator(version: "v1") { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let op = try await client.completed(try await client.ok("POST", sandbox + ":pause"))
                let name = try #require(op["name"]?.stringValue)
                #expect(try await client.ok("GET", name)["done"]?.boolValue == true, "v1 has operations.get")
                #expect(try await client.ok("POST", name + ":wait")["done"]?.boolValue == true, "v1 has operations.wait")
                expectGoogleError(try await client.call("GET", sandbox + "/operations"), 404, "NOT_FOUND", "v1 operations.list")
            }
        }

        /// Cancel leaves a finished operation as it is; delete forgets an operation without cancelling it.
        @Test func cancelAndDelete() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let pause = try await client.completed(try await client.ok("POST", sandbox + ":pause"))
                let name = try #require(pause["name"]?.stringValue)
                #expect(try await client.ok("POST", name + ":cancel") == .object([:]))
                #expect(try await client.ok("GET", name) == pause, "cancel changed a finished operation")
                #expect(try await client.ok("DELETE", name) == .object([:]))
                let gone = try await client.call("GET", name)
                expectGoogleError(gone, 404, "NOT_FOUND", "deleted operation")
                #expect(client.errorDetail(gone, "ErrorInfo")?["reason"]?.stringValue == "OPERATION_NOT_FOUND", "\(gone)")
                #expect(try await client.state(sandbox) == "STATE_PAUSED", "deleting the operation undid the pause")
                expectGoogleError(try await client.call("DELETE", name), 404, "NOT_FOUND", "delete an operation twice")
                expectGoogleError(try await client.call("POST", name + ":cancel"), 404, "NOT_FOUND", "cancel a deleted operation")
                expectGoogleError(try await client.call("PUT", name), 404, "NOT_FOUND", "PUT on an operation")
            }
        }

        /// Only the newest `maxOperations` operations are kept: older ones answer 404 and leave the lists.
        @Test func retentionIsBounded() async throws {
            try await withTestEmulator({ $0.maxOperations = 3 }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                var names: [String] = []
                for verb in ["pause", "resume", "pause", "resume"] {
                    let op = try await client.completed(try await client.ok("POST", sandbox + ":" + verb))
                    names.append(try #require(op["name"]?.stringValue))
                }
                let listed = (try await client.ok("GET", sandbox + "/operations")["operations"]?.arrayValue ?? []).compactMap {
                    $0["name"]?.stringValue
                }
                #expect(listed == Array(names.suffix(3)), "\(listed)")
                let oldest = try await client.call("GET", names[0])
                expectGoogleError(oldest, 404, "NOT_FOUND", "an operation beyond retention")
                #expect(try await client.ok("GET", names[3])["done"]?.boolValue == true)
            }
        }

        /// Cancelling a create that is still provisioning ends it with CANCELLED (code 1) and removes
        /// the sandbox; the operation stays cancelled when the worker comes up.
        @Test(.timeLimit(.minutes(1))) func cancelStopsAProvisioningCreate() async throws {
            // No warm worker, and a create that answers without waiting for the cold start.
            try await withTestEmulator({
                $0.warmPool = [.python: 0, .javascript: 0]
                $0.provisioningWait = .zero
            }) { client in
                let engine = try await client.createEngine()
                var cancelled = false
                for _ in 0..<5 where !cancelled {
                    let created = try await client.ok("POST", "\(engine)/sandboxEnvironments", json: TestClient.sandboxBody())
                    let name = try #require(created["name"]?.stringValue)
                    let cut = try #require(name.range(of: "/operations/"), "create operation \(name)")
                    let sandbox = String(name[..<cut.lowerBound])
                    guard created["done"] == nil else {
                        _ = try await client.ok("DELETE", sandbox)
                        continue
                    }
                    #expect(try await client.ok("POST", name + ":cancel") == .object([:]))
                    let op = try await client.ok("GET", name)
                    if op["error"] == nil, op["done"]?.boolValue == true {
                        // It finished between the create and the cancel: nothing to cancel.
                        _ = try await client.ok("DELETE", sandbox)
                        continue
                    }
                    cancelled = true
                    #expect(op["done"]?.boolValue == true && op["error"]?["code"]?.numberValue == 1, "\(op.jsonString)")
                    #expect(op["error"]?["details"]?.arrayValue?.first?["reason"]?.stringValue == "CANCELLED", "\(op.jsonString)")
                    #expect(try await client.state(sandbox) == "404")
                    // Still cancelled after another cold create has run to its end (the cancelled
                    // provisioning, started earlier, has then usually ended too).
                    let other = try await client.createSandbox(engine: engine)
                    #expect(try await client.ok("GET", name) == op)
                    let list = try await client.ok("GET", "\(engine)/sandboxEnvironments")
                    #expect((list["sandboxEnvironments"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } == [other])
                }
                #expect(cancelled, "no create was still provisioning when cancelled, in 5 tries")
            }
        }
    }
}
