import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Issue 9 §3 over real HTTP: snapshots (take, get, list, delete, restore), templates (create, get,
/// list, patch, delete, sandboxes from them) and stateless `executeCode`.
extension EmulatorTests {
    @Suite struct SnapshotsAndTemplates {
        /// A file written before `:snapshot` is in the sandbox restored from it; the interpreter's
        /// variables are not (the emulator's documented choice); ancestry and latest snapshot follow §8.
        @Test(.timeLimit(.minutes(2))) func snapshotRestoresFilesAndTracksAncestry() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let source = try await client.createSandbox(engine: engine)
                let wrote = try await client.execute(
                    source,
                    code: """
                        import os
                        os.makedirs('data/deep', exist_ok=True)
                        open('data/deep/kept.txt', 'w').write('before the snapshot')
                        answer = 42
                        print('ok')
                        """)
                #expect(wrote.stdout == "ok\n", "\(wrote)")
                // The SDK's body: no sourceSandboxEnvironment, derived from the URL.
                let taken = try await client.ok(
                    "POST", "\(source):snapshot",
                    json: ["displayName": "snap", "owner": "alice", "ttl": "3600s"])
                let op = taken["done"]?.boolValue == true ? taken : try await client.pollOperation(try #require(taken["name"]?.stringValue))
                #expect(op["response"]?["@type"]?.stringValue?.hasSuffix("SandboxEnvironmentSnapshot") == true, "\(op.jsonString)")
                #expect(try #require(op["name"]?.stringValue).hasPrefix(source + "/operations/"))
                #expect(try await client.ok("GET", try #require(op["name"]?.stringValue))["done"]?.boolValue == true)
                let snapName = try #require(op["response"]?["name"]?.stringValue)
                #expect(snapName.hasPrefix(engine + "/sandboxEnvironmentSnapshots/"), "\(snapName)")
                let snap = try await client.ok("GET", snapName)
                #expect(snap["sourceSandboxEnvironment"]?.stringValue == source)
                #expect(snap["displayName"]?.stringValue == "snap" && snap["owner"]?.stringValue == "alice")
                #expect(snap["parentSnapshot"] == nil, "the first snapshot of a new sandbox is a root: \(snap.jsonString)")
                #expect(snap["sizeBytes"]?.stringValue == String("before the snapshot".utf8.count), "\(snap.jsonString)")
                #expect(snap["ttl"] == nil && snap["postSnapshotAction"] == nil, "input-only fields echoed: \(snap.jsonString)")
                let create = try #require(parseRFC3339Z(snap["createTime"]?.stringValue ?? ""))
                let expire = try #require(parseRFC3339Z(snap["expireTime"]?.stringValue ?? ""))
                #expect(abs(expire - create - 3600) < 1, "expireTime - createTime = \(expire - create)")
                #expect(try await client.ok("GET", source)["latestSandboxEnvironmentSnapshot"]?.stringValue == snapName)

                // A file written after the snapshot is not restored.
                _ = try await client.execute(source, code: "open('after.txt', 'w').write('later')")
                // Restore needs the same owner.
                let wrongOwner = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments",
                    json: ["sandboxEnvironmentSnapshot": .string(snapName), "owner": "bob"])
                expectGoogleError(wrongOwner, 400, "FAILED_PRECONDITION", "restore with another owner")
                let restoredOp = try await client.createSandboxOperation(
                    engine: engine, body: ["sandboxEnvironmentSnapshot": .string(snapName), "owner": "alice"])
                let restored = try #require(restoredOp["response"]?["name"]?.stringValue, "\(restoredOp.jsonString)")
                let sb = try await client.ok("GET", restored)
                #expect(
                    sb["sandboxEnvironmentSnapshot"]?.stringValue == snapName && sb["owner"]?.stringValue == "alice",
                    "\(sb.jsonString)")
                let check = try await client.execute(
                    restored,
                    code: """
                        import os
                        print(open('data/deep/kept.txt').read())
                        print(os.path.exists('after.txt'))
                        print('answer' in globals())
                        """)
                #expect(check.stdout == "before the snapshot\nFalse\nFalse\n", "\(check)")

                // A snapshot of the restored sandbox descends from the one it was restored from;
                // the next one from that.
                let child = try await client.ok("POST", "\(restored):snapshot", json: [:])
                let childName = try #require(child["response"]?["name"]?.stringValue, "\(child.jsonString)")
                #expect(child["response"]?["parentSnapshot"]?.stringValue == snapName, "\(child.jsonString)")
                let childExpire = try #require(parseRFC3339Z(child["response"]?["expireTime"]?.stringValue ?? ""))
                #expect(abs(childExpire - Date().timeIntervalSince1970 - 30 * 86_400) < 60, "the default TTL is 30 days")
                let grandchild = try await client.ok("POST", "\(restored)/:snapshot", json: ["postSnapshotAction": "PAUSE"])
                #expect(grandchild["response"]?["parentSnapshot"]?.stringValue == childName, "\(grandchild.jsonString)")
                #expect(try await client.ok("GET", restored)["state"]?.stringValue == "STATE_PAUSED", "postSnapshotAction PAUSE")

                // The snapshot outlives its source sandbox.
                #expect(try await client.deleteSandbox(source).status == 200)
                #expect(try await client.call("GET", snapName).status == 200)
            }
        }

        @Test func snapshotListPagingFilterAndDelete() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                var names: [String] = []
                for i in 0..<3 {
                    let op = try await client.ok("POST", "\(sandbox):snapshot", json: ["displayName": .string("s\(i)")])
                    names.append(try #require(op["response"]?["name"]?.stringValue))
                }
                let first = try await client.ok("GET", "\(engine)/sandboxEnvironmentSnapshots?pageSize=2")
                let token = try #require(first["nextPageToken"]?.stringValue)
                let second = try await client.ok("GET", "\(engine)/sandboxEnvironmentSnapshots?pageSize=2&pageToken=\(token)")
                let listed =
                    (first["sandboxEnvironmentSnapshots"]?.arrayValue ?? [])
                    + (second["sandboxEnvironmentSnapshots"]?.arrayValue ?? [])
                #expect(listed.compactMap { $0["name"]?.stringValue } == names)
                #expect(second["nextPageToken"] == nil)
                // Above 100 is coerced to 100, not refused.
                #expect(
                    try await client.ok("GET", "\(engine)/sandboxEnvironmentSnapshots?pageSize=5000")["sandboxEnvironmentSnapshots"]?
                        .arrayValue?.count == 3)
                let filtered = try await client.ok("GET", "\(engine)/sandboxEnvironmentSnapshots?filter=display_name%3D%22s1%22")
                #expect(filtered["sandboxEnvironmentSnapshots"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [names[1]])
                expectGoogleError(
                    try await client.call("GET", "\(engine)/sandboxEnvironmentSnapshots?filter=size_bytes%3D1"), 400,
                    "INVALID_ARGUMENT", "unknown filter field")
                // An engine with snapshots is not deleted without force.
                expectGoogleError(try await client.call("DELETE", engine), 400, "FAILED_PRECONDITION", "engine with snapshots")
                let deleted = try await client.ok("DELETE", names[0])
                #expect(deleted["done"]?.boolValue == true && deleted["name"]?.stringValue?.hasPrefix(names[0] + "/operations/") == true)
                #expect(try await client.ok("GET", try #require(deleted["name"]?.stringValue))["done"]?.boolValue == true)
                expectGoogleError(try await client.call("GET", names[0]), 404, "NOT_FOUND", "deleted snapshot")
                expectGoogleError(try await client.call("DELETE", names[0]), 404, "NOT_FOUND", "deleted twice")
                let restore = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments",
                    json: ["sandboxEnvironmentSnapshot": .string(names[0])])
                expectGoogleError(restore, 404, "NOT_FOUND", "restore from a deleted snapshot")
                // Force deletes the engine with its snapshots, and their data.
                try await client.deleteEngine(engine)
                expectGoogleError(try await client.call("GET", names[1]), 404, "NOT_FOUND", "snapshot of a deleted engine")
                let left = (try? FileManager.default.contentsOfDirectory(atPath: client.stateDirectory + "/snapshots")) ?? []
                #expect(left.isEmpty, "snapshot data left behind: \(left)")
            }
        }

        @Test func snapshotErrors() async throws {
            try await withTestEmulator({ $0.maxFileBytes = 2048 }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                for (body, what) in [
                    (["ttl": "soon"], "bad ttl"), (["ttl": "-5s"], "negative ttl"),
                    (["ttl": "60s", "expireTime": "2030-01-01T00:00:00Z"], "ttl and expireTime"),
                    (["expireTime": "2001-01-01T00:00:00Z"], "expireTime in the past"),
                    (["sourceSandboxEnvironment": .string(engine + "/sandboxEnvironments/1")], "another source"),
                    (["postSnapshotAction": "STOP"], "unknown action"),
                    (
                        ["bogus": 1],
                        "unknown "
                            + "field"
                    )
                ] as [(JSONValue, String)] {
                    expectGoogleError(try await client.call("POST", "\(sandbox):snapshot", json: body), 400, "INVALID_ARGUMENT", what)
                }
                expectGoogleError(
                    try await client.call("POST", "\(engine)/sandboxEnvironments/123:snapshot", json: [:]), 404, "NOT_FOUND",
                    "snapshot of a missing sandbox")
                expectGoogleError(
                    try await client.call("GET", "\(engine)/sandboxEnvironmentSnapshots/123"), 404, "NOT_FOUND",
                    "missing "
                        + "snapshot")
                expectGoogleError(
                    try await client.call("POST", "\(engine)/sandboxEnvironmentSnapshots", json: [:]), 404, "NOT_FOUND",
                    "snapshots have no create method")
                let other = try await client.createEngine()
                let op = try await client.ok("POST", "\(sandbox):snapshot", json: [:])
                let snap = try #require(op["response"]?["name"]?.stringValue)
                expectGoogleError(
                    try await client.call(
                        "POST", "\(other)/sandboxEnvironments",
                        json: ["sandboxEnvironmentSnapshot": .string(snap)]),
                    400, "INVALID_ARGUMENT", "restore under another engine")
                // A snapshot larger than the emulator holds is refused; the sandbox is unharmed.
                _ = try await client.execute(sandbox, code: "open('big.bin', 'wb').write(b'x' * 3000)")
                expectGoogleError(
                    try await client.call("POST", "\(sandbox):snapshot", json: [:]), 400, "FAILED_PRECONDITION",
                    "over "
                        + "the size limit")
                #expect(try await client.execute(sandbox, code: "print(1)").stdout == "1\n")
            }
        }

        @Test func snapshotStorageBudget() async throws {
            try await withTestEmulator({ $0.maxSnapshotStorageBytes = 2500 }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                _ = try await client.execute(sandbox, code: "open('a.bin', 'wb').write(b'x' * 2000)")
                let first = try await client.ok("POST", "\(sandbox):snapshot", json: [:])
                #expect(first["response"]?["sizeBytes"]?.stringValue == "2000")
                expectGoogleError(
                    try await client.call("POST", "\(sandbox):snapshot", json: [:]), 429, "RESOURCE_EXHAUSTED",
                    "storage "
                        + "full")
                _ = try await client.ok("DELETE", try #require(first["response"]?["name"]?.stringValue))
                _ = try await client.ok("POST", "\(sandbox):snapshot", json: [:])
            }
        }

        @Test func templatesCreateGetListPatchDelete() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                // The VX SDK's body: no displayName, snake_case below the top level.
                let body: JSONValue = [
                    "customContainerEnvironment": [
                        "custom_container_spec": ["image_uri": "us-docker.pkg.dev/p/r/img:1"],
                        "ports": [["port": 8080, "protocol": "TCP"]],
                        "resources": ["limits": ["cpu": "500m", "memory": "1Gi"]]
                    ],
                    "egressControlConfig": ["internet_access": false],
                    "ingressControlConfig": ["enable_private_service_connect": true, "project_allowlist": ["p1"]],
                    "warm_pool_config": ["target_instance_count": 2]
                ]
                let op = try await client.ok("POST", "\(engine)/sandboxEnvironmentTemplates", json: body)
                let finished = op["done"]?.boolValue == true ? op : try await client.pollOperation(try #require(op["name"]?.stringValue))
                #expect(finished["response"]?["@type"]?.stringValue?.hasSuffix("SandboxEnvironmentTemplate") == true)
                let name = try #require(finished["response"]?["name"]?.stringValue)
                #expect(try #require(op["name"]?.stringValue).hasPrefix(name + "/operations/"))
                #expect(try await client.ok("GET", try #require(op["name"]?.stringValue))["done"]?.boolValue == true)
                let tpl = try await client.ok("GET", name)
                #expect(tpl["state"]?.stringValue == "ACTIVE", "no STATE_ prefix: \(tpl.jsonString)")
                let image = tpl["customContainerEnvironment"]?["customContainerSpec"]?["imageUri"]?.stringValue
                #expect(image == "us-docker.pkg.dev/p/r/img:1")
                #expect(tpl["customContainerEnvironment"]?["resources"]?["limits"]?["memory"]?.stringValue == "1Gi")
                #expect(tpl["ingressControlConfig"]?["projectAllowlist"]?.arrayValue?.count == 1)
                #expect(tpl["warmPoolConfig"]?["targetInstanceCount"]?.numberValue == 2)
                #expect(isLowerCamel(tpl), "\(tpl.jsonString)")

                let mask = "custom_container_environment.custom_container_spec.image_uri,warmPoolConfig.targetInstanceCount"
                let patched = try await client.ok(
                    "PATCH", "\(name)?updateMask=\(mask)",
                    json: [
                        "customContainerEnvironment": ["customContainerSpec": ["imageUri": "img:2"]],
                        "warmPoolConfig": ["targetInstanceCount": 5], "displayName": "ignored"
                    ])
                #expect(patched["response"]?["customContainerEnvironment"]?["customContainerSpec"]?["imageUri"]?.stringValue == "img:2")
                let after = try await client.ok("GET", name)
                #expect(
                    after["warmPoolConfig"]?["targetInstanceCount"]?.numberValue == 5 && after["displayName"] == nil,
                    "\(after.jsonString)")
                for mask in ["display_name", "egress_control_config.internet_access", "", "warm_pool_config"] {
                    expectGoogleError(
                        try await client.call("PATCH", "\(name)?updateMask=\(mask)", json: ["displayName": "x"]), 400,
                        "INVALID_ARGUMENT", "mask \(mask)")
                }
                var v1 = client
                v1.version = "v1"
                expectGoogleError(
                    try await v1.call("PATCH", "\(name)?updateMask=warm_pool_config.target_instance_count", json: [:]), 404,
                    "NOT_FOUND", "patch is v1beta1 only")
                expectGoogleError(
                    try await v1.call("POST", "\(engine)/sandboxEnvironmentTemplates", json: ["warmPoolConfig": [:]]), 400,
                    "INVALID_ARGUMENT", "warmPoolConfig is v1beta1 only")
                #expect(try await v1.ok("GET", name)["name"]?.stringValue == name)

                let second = try await client.ok(
                    "POST", "\(engine)/sandboxEnvironmentTemplates",
                    json: [
                        "displayName": "shell",
                        "defaultContainerEnvironment":
                            ["default_container_category": "DEFAULT_CONTAINER_CATEGORY_SHELL_SANDBOX"]
                    ])
                let shell = try #require(second["response"]?["name"]?.stringValue)
                let list = try await client.ok("GET", "\(engine)/sandboxEnvironmentTemplates")
                #expect(list["sandboxEnvironmentTemplates"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [name, shell])
                let filtered = try await client.ok("GET", "\(engine)/sandboxEnvironmentTemplates?filter=display_name%3Dshell")
                #expect(filtered["sandboxEnvironmentTemplates"]?.arrayValue?.count == 1)

                let deleted = try await client.ok("DELETE", name)
                #expect(deleted["done"]?.boolValue == true)
                expectGoogleError(try await client.call("GET", name), 404, "NOT_FOUND", "deleted template")
                expectGoogleError(
                    try await client.call("PATCH", "\(name)?updateMask=warm_pool_config.update_strategy", json: [:]), 404,
                    "NOT_FOUND", "patch of a deleted template")
            }
        }

        @Test func templateValidation() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let bad: [(JSONValue, String)] = [
                    (
                        [
                            "customContainerEnvironment": ["custom_container_spec": ["image_uri": "i"]],
                            "defaultContainerEnvironment": [:]
                        ], "both container variants"
                    ),
                    (["customContainerEnvironment": ["ports": [["port": 70000]]]], "port out of range"),
                    (["customContainerEnvironment": [:]], "custom container without image"),
                    (["egressControlConfig": ["dns_peering_configs": [["domain": "example.com"]]]], "domain without a dot"),
                    (["persistentDiskConfig": ["enabled": true, "mount_path": "/etc/x"]], "disk shadows /etc"),
                    (["persistentDiskConfig": ["size_gb": -1]], "negative disk size"),
                    (["defaultContainerEnvironment": ["default_container_category": "GPU"]], "unknown category"),
                    (["state": "ACTIVE", "nonsense": true], "unknown field")
                ]
                for (body, what) in bad {
                    let r = try await client.call("POST", "\(engine)/sandboxEnvironmentTemplates", json: body)
                    expectGoogleError(r, 400, "INVALID_ARGUMENT", what)
                }
                expectGoogleError(
                    try await client.call("GET", "\(engine)/sandboxEnvironmentTemplates/9"), 404, "NOT_FOUND",
                    "missing "
                        + "template")
            }
        }

        /// A template whose container the emulator cannot run answers UNIMPLEMENTED at sandbox create;
        /// a template that only sets egress or a warm pool makes an ordinary code-execution sandbox.
        @Test func sandboxesFromTemplates() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                func template(_ body: JSONValue) async throws -> String {
                    let op = try await client.ok("POST", "\(engine)/sandboxEnvironmentTemplates", json: body)
                    return try #require(op["response"]?["name"]?.stringValue)
                }
                let custom = try await template(["customContainerEnvironment": ["custom_container_spec": ["image_uri": "img"]]])
                let computer = try await template(
                    ["defaultContainerEnvironment": ["defaultContainerCategory": "DEFAULT_CONTAINER_CATEGORY_COMPUTER_USE"]])
                let open = try await template([
                    "egressControlConfig": ["internetAccess": true],
                    "warmPoolConfig": ["targetInstanceCount": 3]
                ])
                for unsupported in [custom, computer] {
                    let r = try await client.call(
                        "POST", "\(engine)/sandboxEnvironments",
                        json: [
                            "sandboxEnvironmentTemplate": .string(unsupported),
                            "spec": ["code_execution_environment": [:]]
                        ])
                    expectGoogleError(r, 501, "UNIMPLEMENTED", unsupported)
                }
                expectGoogleError(
                    try await client.call(
                        "POST", "\(engine)/sandboxEnvironments",
                        json: [
                            "sandboxEnvironmentTemplate": .string(engine + "/sandboxEnvironmentTemplates/1"),
                            "spec": ["code_execution_environment": [:]]
                        ]), 404, "NOT_FOUND", "missing template")
                let done = try await client.createSandboxOperation(
                    engine: engine, body: ["sandboxEnvironmentTemplate": .string(open), "spec": ["code_execution_environment": [:]]])
                let sandbox = try #require(done["response"]?["name"]?.stringValue, "\(done.jsonString)")
                #expect(try await client.ok("GET", sandbox)["sandboxEnvironmentTemplate"]?.stringValue == open)
                // internetAccess: true does not open the network.
                let net = try await client.execute(
                    sandbox,
                    code: """
                        import socket
                        try:
                            socket.create_connection(('8.8.8.8', 53), timeout=2); print('open')
                        except OSError:
                            print('closed')
                        """)
                #expect(net.stdout == "closed\n", "\(net)")
                expectGoogleError(try await client.call("DELETE", engine), 400, "FAILED_PRECONDITION", "engine with templates")
            }
        }

        /// `{engine}:executeCode` runs in a fresh worker each time and leaves no sandbox or process behind.
        @Test(arguments: ["v1beta1", "v1"]) func executeCodeIsStateless(version: String) async throws {
            try await withTestEmulator(version: version) { client in
                let engine = try await client.createEngine()
                let first = try TestClient.decodeExecute(
                    try await client.call(
                        "POST", "\(engine):executeCode",
                        json: TestClient.executeBody(
                            code: "import os\nx = 1\nprint(os.getuid(), "
                                + "open('in.txt').read())\nopen('out.txt','w').write('o')",
                            files: [InputFile(name: "in.txt", content: Array("hello".utf8), mimeType: "text/plain")],
                            sdkStyle: true)))
                #expect(first.status == 200, "\(first)")
                let fields = first.stdout.split(separator: " ")
                #expect(fields.count == 2 && fields.last == "hello\n", "\(first)")
                #expect(first.file("out.txt")?.content == Array("o".utf8), "\(first)")
                let second = try TestClient.decodeExecute(
                    try await client.call(
                        "POST", "\(engine):executeCode",
                        json: TestClient.executeBody(
                            code: "import os\nprint('x' in globals(), "
                                + "os.path.exists('out.txt'))",
                            files: [])))
                #expect(second.stdout == "False False\n", "no state carries over: \(second)")
                let failing = try TestClient.decodeExecute(
                    try await client.call(
                        "POST", "\(engine):executeCode", json: TestClient.executeBody(code: "raise ValueError('boom')", files: [])))
                #expect(failing.status == 200 && failing.stderr.contains("ValueError"), "\(failing)")
                let list = try await client.ok("GET", "\(engine)/sandboxEnvironments")
                #expect((list["sandboxEnvironments"]?.arrayValue ?? []).isEmpty, "\(list.jsonString)")
                // Each worker's files live in {state}/sandboxes/sN/work until it is destroyed; its uid is
                // reused by the next worker, so the directory, not the uid, tells that it is gone.
                let sandboxesDirectory = client.stateDirectory + "/sandboxes"
                let gone = await eventually(timeout: .seconds(10)) {
                    let slots = (try? FileManager.default.contentsOfDirectory(atPath: sandboxesDirectory)) ?? []
                    return !slots.contains { FileManager.default.fileExists(atPath: "\(sandboxesDirectory)/\($0)/work/out.txt") }
                }
                #expect(gone, "the stateless worker's working directory remains")
                expectGoogleError(
                    try await client.call("POST", "\(engine):executeCode", json: ["inputs": "nope"]), 400,
                    "INVALID_ARGUMENT", "bad body")
                expectGoogleError(
                    try await client.call(
                        "POST", "\(client.locationPath)/reasoningEngines/404:executeCode",
                        json: TestClient.executeBody(code: "print(1)", files: [])), 404, "NOT_FOUND", "missing engine")
                expectGoogleError(try await client.call("GET", "\(engine):executeCode"), 404, "NOT_FOUND", "GET executeCode")
            }
        }
    }
}
