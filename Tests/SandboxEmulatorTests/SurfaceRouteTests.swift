import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Error details, the location-less alias paths, and what the emulator answers for the methods
/// and environments it does not run.
extension EmulatorTests {
    @Suite struct SurfaceRoutes {
        /// INVALID_ARGUMENT carries a BadRequest naming the field, every error an ErrorInfo.
        @Test func errorsCarryGoogleDetails() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let bad = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments",
                    json: ["spec": ["codeExecutionEnvironment": [:]], "ttl": "soon"])
                expectGoogleError(bad, 400, "INVALID_ARGUMENT", "ttl that is not a duration")
                let info = try #require(client.errorDetail(bad, "ErrorInfo"), "\(bad)")
                #expect(info["reason"]?.stringValue == "INVALID_ARGUMENT")
                #expect(info["domain"]?.stringValue == "aiplatform.googleapis.com")
                let violations = try #require(client.errorDetail(bad, "BadRequest")?["fieldViolations"]?.arrayValue, "\(bad)")
                #expect(violations.count == 1)
                #expect(violations.first?["field"]?.stringValue == "sandbox_environment.ttl", "\(bad)")
                #expect(violations.first?["description"]?.stringValue == bad.errorMessage)
                let unknown = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments",
                    json: ["spec": ["code_execution_environment": ["bogus": 1]]])
                expectGoogleError(unknown, 400, "INVALID_ARGUMENT", "unknown nested field")
                #expect(
                    client.errorDetail(unknown, "BadRequest")?["fieldViolations"]?.arrayValue?.first?["field"]?.stringValue
                        == "sandbox_environment.spec.codeExecutionEnvironment", "\(unknown)")
                let missing = try await client.call("GET", "\(engine)/sandboxEnvironments/0")
                expectGoogleError(missing, 404, "NOT_FOUND", "unknown sandbox")
                #expect(client.errorDetail(missing, "ErrorInfo")?["domain"]?.stringValue == "aiplatform.googleapis.com")
                #expect(client.errorDetail(missing, "BadRequest") == nil, "NOT_FOUND with a BadRequest: \(missing)")
                // The harness reads the same details back.
                let badBody = try #require(bad.json)
                let parsed = try #require(GoogleError(httpStatus: bad.status, body: badBody))
                #expect(parsed.reason == "INVALID_ARGUMENT" && parsed.domain == GoogleError.serviceDomain)
                #expect(parsed.fieldViolations == [.init(field: "sandbox_environment.ttl", description: bad.errorMessage ?? "")])
            }
        }

        /// What the SDK sends on create works: `description`, no `displayName`, snake_case nested
        /// under camelCase at every level; the documented oneofs are enforced.
        @Test func createAcceptsWhatTheSDKSendsAndEnforcesTheOneofs() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sdk: JSONValue = [
                    "spec": [
                        "code_execution_environment": [
                            "code_language": "LANGUAGE_PYTHON",
                            "machine_config": "MACHINE_CONFIG_UNSPECIFIED"
                        ]
                    ],
                    "description": "sent top-level by the SDK", "ttl": "60s"
                ]
                let done = try await client.createSandboxOperation(engine: engine, body: sdk)
                #expect(
                    done["response"]?["spec"]?["codeExecutionEnvironment"]?["codeLanguage"]?.stringValue == "LANGUAGE_PYTHON",
                    "\(done.jsonString)")
                #expect(done["response"]?["description"] == nil && done["response"]?["displayName"] == nil)
                let both = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments",
                    json: ["spec": ["codeExecutionEnvironment": [:], "shell_environment": [:]]])
                expectGoogleError(both, 400, "INVALID_ARGUMENT", "two environments")
                let shell = try await client.call("POST", "\(engine)/sandboxEnvironments", json: ["spec": ["shellEnvironment": [:]]])
                expectGoogleError(shell, 501, "UNIMPLEMENTED", "shell environment")
                #expect(client.errorDetail(shell, "ErrorInfo")?["reason"]?.stringValue == "ENVIRONMENT_NOT_IMPLEMENTED")
                let computer = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments", json: ["spec": ["computer_use_environment": [:]]])
                expectGoogleError(computer, 501, "UNIMPLEMENTED", "computer-use environment")
            }
            try await withTestEmulator(version: "v1") { client in
                let engine = try await client.createEngine()
                let computer = try await client.call(
                    "POST", "\(engine)/sandboxEnvironments", json: ["spec": ["computerUseEnvironment": [:]]])
                expectGoogleError(computer, 400, "INVALID_ARGUMENT", "computerUseEnvironment is no v1 field")
            }
        }

        /// `:authorizeAccess` answers `{}`; `:bidiExecute` (v1beta1 only) and execute_bash's request
        /// chunks answer UNIMPLEMENTED, never a bare 404; unknown verbs are not found.
        @Test func methodsTheEmulatorDoesNotRun() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                #expect(try await client.ok("POST", sandbox + ":authorizeAccess", json: [:]) == .object([:]))
                expectGoogleError(
                    try await client.call("POST", "\(engine)/sandboxEnvironments/0:authorizeAccess"), 404, "NOT_FOUND",
                    "authorizeAccess on an unknown sandbox")
                let bidi = try await client.call("POST", sandbox + ":bidiExecute", json: ["inputs": []])
                expectGoogleError(bidi, 501, "UNIMPLEMENTED", "bidiExecute")
                #expect(client.errorDetail(bidi, "ErrorInfo")?["reason"]?.stringValue == "METHOD_NOT_IMPLEMENTED")
                // execute_bash as agentplatform 2.7.0 sends it.
                func chunk(_ mime: String, _ text: String) -> JSONValue {
                    ["mime_type": .string(mime), "data": .string(stdBase64(Array(text.utf8)))]
                }
                let bash = try await client.call(
                    "POST", sandbox + "/:execute",
                    json: [
                        "inputs": [
                            chunk("application/x.sandbox-request-uri", "/exec"), chunk("application/x.sandbox-request-port", "8080"),
                            chunk("application/json", #"{"command": "ls"}"#)
                        ]
                    ])
                expectGoogleError(bash, 501, "UNIMPLEMENTED", "execute_bash")
                expectGoogleError(try await client.call("POST", sandbox + ":stop"), 404, "NOT_FOUND", "a verb no version has")
                #expect(try await client.execute(sandbox, code: "print('still fine')").stdout == "still fine\n")
            }
            try await withTestEmulator(version: "v1") { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                #expect(try await client.ok("POST", sandbox + ":authorizeAccess") == .object([:]))
                expectGoogleError(
                    try await client.call("POST", sandbox + ":bidiExecute", json: ["inputs": []]), 404, "NOT_FOUND",
                    "bidiExecute is v1beta1 only")
            }
        }

        /// `/v1beta1/reasoningEngines/{id}/…` reaches the engine of that id wherever it lives.
        @Test func locationlessAliasesReachTheSameResources() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let id = try #require(engine.split(separator: "/").last.map(String.init))
                let alias = "reasoningEngines/\(id)"
                #expect(try await client.ok("GET", alias)["name"]?.stringValue == engine)
                let created = try await client.ok("POST", alias + "/sandboxEnvironments", json: TestClient.sandboxBody(ttl: "600s"))
                let op = try await client.completed(created)
                let sandbox = try #require(op["response"]?["name"]?.stringValue)
                #expect(sandbox.hasPrefix(engine + "/sandboxEnvironments/"), "alias create named its sandbox \(sandbox)")
                let sandboxID = try #require(sandbox.split(separator: "/").last.map(String.init))
                let short = "\(alias)/sandboxEnvironments/\(sandboxID)"
                #expect(try await client.ok("GET", short)["name"]?.stringValue == sandbox)
                #expect(try await client.execute(short, code: "print(6 * 7)", slashVerb: true).stdout == "42\n")
                let opName: String = op["name"]?.stringValue ?? ""
                let opID = String(opName.split(separator: "/").last ?? "")
                #expect(try await client.ok("GET", "\(short)/operations/\(opID)")["done"]?.boolValue == true)
                #expect((try await client.ok("GET", alias + "/sandboxEnvironments")["sandboxEnvironments"]?.arrayValue ?? []).count == 1)
                _ = try await client.completed(try await client.ok("DELETE", short))
                expectGoogleError(try await client.call("GET", sandbox), 404, "NOT_FOUND", "deleted through its alias")
                expectGoogleError(try await client.call("GET", "reasoningEngines/1"), 404, "NOT_FOUND", "alias of an unknown engine")
                // The collection alias creates engines in the alias location.
                let aliasOp = try await client.completed(try await client.ok("POST", "reasoningEngines", json: [:]))
                #expect(
                    aliasOp["response"]?["name"]?.stringValue?.hasPrefix("projects/default/locations/global/reasoningEngines/") == true,
                    "\(aliasOp.jsonString)")
            }
            try await withTestEmulator(version: "v1") { client in
                let engine = try await client.createEngine()
                let id = try #require(engine.split(separator: "/").last.map(String.init))
                expectGoogleError(try await client.call("GET", "reasoningEngines/\(id)"), 404, "NOT_FOUND", "v1 has no alias paths")
            }
        }
    }
}
