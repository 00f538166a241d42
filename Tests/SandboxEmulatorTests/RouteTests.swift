import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Section 1: every route under /v1beta1/ and /v1/, success shapes and base64 alphabets.
extension EmulatorTests {
    @Suite struct Routes {
        @Test func healthz() async throws {
            try await withTestEmulator { client in
                let r = try await client.raw("GET", "/healthz")
                #expect(r.status == 200, "\(r)")
            }
        }

        @Test(arguments: ["v1beta1", "v1"])
        func engineRoutes(version: String) async throws {
            try await withTestEmulator({ $0.warmPool = [.python: 0, .javascript: 0] }, version: version) { client in
                let collection = "\(client.locationPath)/reasoningEngines"

                // Create with an empty body (no Content-Length at all, as the SDK sends) and with Content-Length: 0.
                for body: [UInt8]? in [nil, []] {
                    let r = try await client.raw("POST", "/\(version)/\(collection)", body: body)
                    try #require(r.status == 200, "create engine (empty body) → \(r)")
                    let op = try #require(r.json)
                    #expect(isLowerCamel(op), "create op keys: \(op.jsonString)")
                    let opName = try #require(op["name"]?.stringValue)
                    #expect(
                        opName.range(
                            of: #"^projects/[^/]+/locations/[^/]+/reasoningEngines/[^/]+/operations/[^/]+$"#,
                            options: .regularExpression) != nil, "engine op name \(opName)")
                    // The SDK polls even a done op once: it must be GET-able.
                    let polled = try await client.ok("GET", opName)
                    #expect(polled["done"]?.boolValue == true)
                    #expect(isLowerCamel(polled))
                    let engineName = try #require(polled["response"]?["name"]?.stringValue)
                    #expect(opName.hasPrefix(engineName + "/operations/"))
                }

                // Create with a displayName; GET returns it.
                let named = try await client.createEngine(displayName: "my-engine")
                let engine = try await client.ok("GET", named)
                #expect(engine["name"]?.stringValue == named)
                #expect(engine["displayName"]?.stringValue == "my-engine")
                #expect(isRFC3339Z(engine["createTime"]?.stringValue), "\(engine.jsonString)")
                #expect(isLowerCamel(engine))

                // List with paging: 3 engines, pageSize 2 → 2 pages.
                let page1 = try await client.ok("GET", collection + "?pageSize=2")
                #expect(isLowerCamel(page1))
                let first = try #require(page1["reasoningEngines"]?.arrayValue)
                #expect(first.count == 2, "\(page1.jsonString)")
                let token = try #require(page1["nextPageToken"]?.stringValue)
                let page2 = try await client.ok("GET", collection + "?pageSize=2&pageToken=\(token)")
                let second = try #require(page2["reasoningEngines"]?.arrayValue)
                #expect(second.count == 1)
                #expect(page2["nextPageToken"] == nil, "last page must have no nextPageToken: \(page2.jsonString)")
                let names = (first + second).compactMap { $0["name"]?.stringValue }
                #expect(Set(names).count == 3 && names.contains(named), "\(names)")
                let all = try await client.ok("GET", collection)
                #expect(all["reasoningEngines"]?.arrayValue?.count == 3)

                // Delete with ?force=true and with the SDK's JSON body {"force": true}; each returns a GET-able op.
                let viaQuery = names[0]
                let viaBody = names[1]
                let d1 = try await client.ok("DELETE", viaQuery + "?force=true")
                let d2 = try await client.ok("DELETE", viaBody, json: ["force": true])
                for (op, engineName) in [(d1, viaQuery), (d2, viaBody)] {
                    let opName = try #require(op["name"]?.stringValue)
                    let polled = try await client.ok("GET", opName)
                    #expect(polled["done"]?.boolValue == true)
                    let gone = try await client.call("GET", engineName)
                    expectGoogleError(gone, 404, "NOT_FOUND", "GET deleted engine")
                }
                // An engine without sandboxes needs no force.
                _ = try await client.ok("DELETE", names[2])
                let after = try await client.ok("GET", collection)
                #expect(after["reasoningEngines"]?.arrayValue?.isEmpty == true, "\(after.jsonString)")
            }
        }

        @Test(arguments: ["v1beta1", "v1"])
        func sandboxRoutes(version: String) async throws {
            try await withTestEmulator({ $0.warmPool = [.python: 1, .javascript: 0] }, version: version) { client in
                let engine = try await client.createEngine()
                let collection = "\(engine)/sandboxEnvironments"

                // camelCase body.
                let camelOp = try await client.createSandboxOperation(
                    engine: engine,
                    body: TestClient.sandboxBody(
                        language: "LANGUAGE_PYTHON", machineConfig: "MACHINE_CONFIG_VCPU4_RAM4GIB", ttl: "600s", displayName: "camel"))
                #expect(isLowerCamel(camelOp), "\(camelOp.jsonString)")
                let camel = try #require(camelOp["response"]?["name"]?.stringValue)
                #expect(camelOp["name"]?.stringValue?.hasPrefix(camel + "/operations/") == true, "sandbox op name: \(camelOp.jsonString)")

                // snake_case body, exactly as the SDK sends it.
                let snakeText =
                    #"{"spec":{"code_execution_environment":{"code_language":"LANGUAGE_JAVASCRIPT","#
                    + #""machine_config":"MACHINE_CONFIG_VCPU4_RAM4GIB"}},"displayName":"x","ttl":"600s"}"#
                let created = try await client.call("POST", collection, text: snakeText)
                try #require(created.status == 200, "snake_case create → \(created)")
                let snakeOpName = try #require(created.json?["name"]?.stringValue)
                let snakeOp = try await client.pollOperation(snakeOpName)
                let snake = try #require(snakeOp["response"]?["name"]?.stringValue)

                for (name, language, display) in [(camel, "LANGUAGE_PYTHON", "camel"), (snake, "LANGUAGE_JAVASCRIPT", "x")] {
                    let sb = try await client.ok("GET", name)
                    #expect(isLowerCamel(sb), "\(sb.jsonString)")
                    #expect(sb["name"]?.stringValue == name)
                    #expect(sb["state"]?.stringValue == "STATE_RUNNING", "\(sb.jsonString)")
                    #expect(sb["displayName"]?.stringValue == display)
                    let env = sb["spec"]?["codeExecutionEnvironment"]
                    #expect(env?["codeLanguage"]?.stringValue == language, "\(sb.jsonString)")
                    #expect(env?["machineConfig"]?.stringValue == "MACHINE_CONFIG_VCPU4_RAM4GIB", "\(sb.jsonString)")
                }

                // List.
                let list = try await client.ok("GET", collection)
                #expect(isLowerCamel(list))
                let listed = Set(list["sandboxEnvironments"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
                #expect(listed == [camel, snake], "\(list.jsonString)")

                // Execute at both verb spellings, in both languages.
                let a = try await client.execute(camel, code: "print('colon-form')")
                #expect(a.status == 200 && a.stdout == "colon-form\n", "\(a)")
                let b = try await client.execute(camel, code: "print('slash-form')", slashVerb: true)
                #expect(b.status == 200 && b.stdout == "slash-form\n", "\(b)")
                #expect(isLowerCamel(try #require(b.http.json)))
                let js = try await client.execute(snake, code: "console.log('js', 1 + 1)", slashVerb: true)
                #expect(js.status == 200 && js.stdout == "js 2\n", "\(js)")

                // Operation GET under the sandbox and under the engine (already covered by create), delete op GET-able.
                let deleted = try await client.ok("DELETE", camel)
                let deleteOpName = try #require(deleted["name"]?.stringValue)
                #expect(deleteOpName.hasPrefix(camel + "/operations/"), "\(deleteOpName)")
                let deleteOp = try await client.ok("GET", deleteOpName)
                #expect(deleteOp["done"]?.boolValue == true)
                // The create op of a deleted sandbox stays GET-able too.
                _ = try await client.ok("GET", try #require(camelOp["name"]?.stringValue))
                expectGoogleError(try await client.call("GET", camel), 404, "NOT_FOUND", "GET deleted sandbox")
                let remaining = try await client.ok("GET", collection)
                #expect(remaining["sandboxEnvironments"]?.arrayValue?.count == 1)
                _ = try await client.ok("DELETE", snake)
                try await client.deleteEngine(engine)
            }
        }

        @Test func base64AlphabetsAndPadding() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                // Bytes fb ff bf in the URL-safe and standard alphabets, plus unpadded two-byte forms.
                let code = """
                    for n in ['url.bin', 'std.bin', 'url-nopad.bin', 'std-nopad.bin']:
                        print(n, open(n, 'rb').read().hex())
                    """
                let codeData = JSONValue.object(["code": .string(code)]).serialized()
                // Code chunk: URL-safe, padding stripped. File names: mixed alphabets, padding stripped.
                let unpadded = { (s: String) in String(s.reversed().drop(while: { $0 == "=" }).reversed()) }
                func file(_ name: String, data: String, nameEncoding: ([UInt8]) -> String) -> JSONValue {
                    [
                        "mime_type": "", "data": .string(data),
                        "metadata": ["attributes": ["file_name": .string(unpadded(nameEncoding(Array(name.utf8))))]]
                    ]
                }
                let body: JSONValue = [
                    "inputs": [
                        ["mime_type": "application/json", "data": .string(unpadded(urlSafeBase64(codeData)))],
                        file("url.bin", data: "-_-_", nameEncoding: urlSafeBase64),
                        file("std.bin", data: "+/+/", nameEncoding: stdBase64),
                        file("url-nopad.bin", data: "-_8", nameEncoding: urlSafeBase64),
                        file("std-nopad.bin", data: "+/8", nameEncoding: stdBase64)
                    ]
                ]
                let r = try TestClient.decodeExecute(try await client.call("POST", sandbox + "/:execute", json: body))
                #expect(r.status == 200, "\(r.http)")
                #expect(r.stdout == "url.bin fbffbf\nstd.bin fbffbf\nurl-nopad.bin fbff\nstd-nopad.bin fbff\n", "\(r)")
                #expect(r.stderr == "", "\(r)")
                // Responses use standard padded base64 (decodeExecute decodes strictly).
                let out = try await client.execute(sandbox, code: "open('o.bin', 'wb').write(bytes([0xfb, 0xff, 0xbf, 0xfb]))")
                let chunk = try #require(out.http.json?["outputs"]?.arrayValue?.last)
                #expect(chunk["data"]?.stringValue == "+/+/+w==", "\(chunk.jsonString)")
                #expect(out.file("o.bin")?.content == [0xfb, 0xff, 0xbf, 0xfb])
            }
        }
    }
}
