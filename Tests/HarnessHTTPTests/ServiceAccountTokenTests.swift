import Foundation
import HarnessCore
import HarnessHTTP
import TestServers
import Testing

/// A local OAuth token endpoint: answers each form POST with `ya29.test-N` (N counting up).
func tokenEndpoint(status: Int = 200, body: String? = nil) -> @Sendable (LoopbackServer.Request) -> LoopbackServer.Reply {
    let issued = Counter()
    return { _ in
        let json = body ?? "{\"access_token\":\"ya29.test-\(issued.next())\",\"expires_in\":3599,\"token_type\":\"Bearer\"}"
        return .response(status: status, headers: [("Content-Type", "application/json")], body: Array(json.utf8))
    }
}

/// Writes a service-account key file for `tokenURI` and returns its path.
func writeKeyFile(tokenURI: String, fields: [String: Any]? = nil) async throws -> String {
    var key = fields ?? [:]
    if fields == nil {
        key = [
            "type": "service_account",
            "client_email": "runner@test-project.iam.gserviceaccount.com",
            "private_key": try await TestRSAKey.shared().privateKeyPEM,
            "private_key_id": "kid-1",
            "token_uri": tokenURI
        ]
    }
    let path = try temporaryDirectory("key").appendingPathComponent("key.json").path
    try JSONSerialization.data(withJSONObject: key).write(to: URL(fileURLWithPath: path))
    return path
}

/// `application/x-www-form-urlencoded` fields.
func formFields(_ body: [UInt8]) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1).map {
            String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
        }
        fields[parts[0]] = parts.count > 1 ? parts[1] : ""
    }
    return fields
}

func base64URLDecoded(_ text: Substring) -> [UInt8] {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Array(Data(base64Encoded: base64) ?? Data())
}

func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

@Suite struct ServiceAccountTokenTests {
    @Test func signsAJWTAndTradesItAtTheTokenEndpoint() async throws {
        try await LoopbackServer.with(tokenEndpoint()) { server in
            let tokenURI = "\(server.baseURL)/token"
            let keyFile = try await writeKeyFile(tokenURI: tokenURI)
            let clock = ManualClock()
            try await withCurlTransport { curl in
                let credentials = ServiceAccountToken(keyFile: keyFile, transport: curl, now: clock.now)
                let token = try await credentials.accessToken()
                #expect(token == "ya29.test-1")
            }
            let request = try #require(server.received.first)
            #expect(request.method == "POST")
            #expect(request.path == "/token")
            #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
            let form = formFields(request.body)
            #expect(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
            let parts = try #require(form["assertion"]).split(separator: ".", omittingEmptySubsequences: false)
            try #require(parts.count == 3)

            let header = try jsonObject(base64URLDecoded(parts[0]))
            #expect(header["alg"] as? String == "RS256")
            #expect(header["typ"] as? String == "JWT")
            #expect(header["kid"] as? String == "kid-1")
            let claims = try jsonObject(base64URLDecoded(parts[1]))
            #expect(claims["iss"] as? String == "runner@test-project.iam.gserviceaccount.com")
            #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
            #expect(claims["aud"] as? String == tokenURI)
            #expect(claims["iat"] as? Int == 1_700_000_000)
            #expect(claims["exp"] as? Int == 1_700_003_600)
            let signed = Array("\(parts[0]).\(parts[1])".utf8)
            let key = try await TestRSAKey.shared()
            let signature = base64URLDecoded(parts[2])
            let genuine = try await key.verifies(signature: signature, over: signed)
            let tampered = try await key.verifies(signature: signature, over: signed + [0])
            #expect(genuine)
            #expect(!tampered)
        }
    }

    @Test func cachesUntilFiveMinutesBeforeExpiry() async throws {
        try await LoopbackServer.with(tokenEndpoint()) { server in
            let keyFile = try await writeKeyFile(tokenURI: "\(server.baseURL)/token")
            let clock = ManualClock()
            try await withCurlTransport { curl in
                let credentials = ServiceAccountToken(keyFile: keyFile, transport: curl, now: clock.now)
                var tokens = [try await credentials.accessToken()]
                clock.advance(by: 3599 - 301) // just outside the 5-minute margin
                tokens.append(try await credentials.accessToken())
                clock.advance(by: 2) // now inside it
                tokens.append(try await credentials.accessToken())
                #expect(tokens == ["ya29.test-1", "ya29.test-1", "ya29.test-2"])
            }
            #expect(server.received.count == 2)
        }
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        try await LoopbackServer.with(tokenEndpoint()) { server in
            let keyFile = try await writeKeyFile(tokenURI: "\(server.baseURL)/token")
            try await withCurlTransport { curl in
                let credentials = ServiceAccountToken(keyFile: keyFile, transport: curl)
                let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0..<50 { group.addTask { try await credentials.accessToken() } }
                    return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
                }
                #expect(tokens == ["ya29.test-1"])
            }
            #expect(server.received.count == 1)
        }
    }

    @Test func refusedAssertionNamesTheKeyFileAndTheServersReason() async throws {
        let refusal = "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}"
        try await LoopbackServer.with(tokenEndpoint(status: 400, body: refusal)) { server in
            let keyFile = try await writeKeyFile(tokenURI: "\(server.baseURL)/token")
            try await withCurlTransport { curl in
                let error = await #expect(throws: CredentialError.self) {
                    try await ServiceAccountToken(keyFile: keyFile, transport: curl).accessToken()
                }
                #expect(error?.source == keyFile)
                #expect(error?.message.contains("HTTP 400 (invalid_grant: Invalid JWT Signature.)") == true)
            }
        }
    }

    @Test func unreachableTokenEndpointIsACredentialError() async throws {
        let keyFile = try await writeKeyFile(tokenURI: "http://127.0.0.1:\(closedLoopbackPort())/token")
        try await withCurlTransport { curl in
            let error = await #expect(throws: CredentialError.self) {
                try await ServiceAccountToken(keyFile: keyFile, transport: curl).accessToken()
            }
            #expect(error?.message.contains("token_uri") == true)
            #expect((error?.cause as? TransportError)?.kind == .connect)
        }
    }

    @Test(arguments: [
        ("client_email", "field \"client_email\" is missing"),
        ("private_key", "field \"private_key\" is missing")
    ])
    func missingFieldIsNamed(field: String, expected: String) async throws {
        var fields: [String: Any] = [
            "type": "service_account", "client_email": "a@b", "private_key": try await TestRSAKey.shared().privateKeyPEM
        ]
        fields[field] = nil
        let keyFile = try await writeKeyFile(tokenURI: "", fields: fields)
        let error = #expect(throws: CredentialError.self) { try ServiceAccountKey.load(path: keyFile) }
        #expect(error?.source == keyFile)
        #expect(error?.message.contains(expected) == true)
    }

    @Test func keyFileProblemsSayWhatToDo() async throws {
        let missing = #expect(throws: CredentialError.self) { try ServiceAccountKey.load(path: "/nonexistent/key.json") }
        #expect(missing?.source == "/nonexistent/key.json")
        #expect(missing?.message.contains("GOOGLE_APPLICATION_CREDENTIALS") == true)

        let user = try await writeKeyFile(tokenURI: "", fields: ["type": "authorized_user", "client_id": "x"])
        let wrongType = #expect(throws: CredentialError.self) { try ServiceAccountKey.load(path: user) }
        #expect(wrongType?.message.contains("\"authorized_user\"") == true)

        let badPEM = try await writeKeyFile(
            tokenURI: "", fields: ["client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"])
        let key = try ServiceAccountKey.load(path: badPEM)
        #expect(key.tokenURI == ServiceAccountKey.defaultTokenURI)
        #expect(key.privateKeyID == nil)
    }

    @Test func unusablePrivateKeyIsNamedBeforeAnyRequest() async throws {
        let keyFile = try await writeKeyFile(
            tokenURI: "http://127.0.0.1:1/token",
            fields: [
                "client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
                "token_uri": "http://127.0.0.1:1/token"
            ])
        let transport = ScriptedTransport([])
        let error = await #expect(throws: CredentialError.self) {
            try await ServiceAccountToken(keyFile: keyFile, transport: transport).accessToken()
        }
        #expect(error?.source == keyFile)
        #expect(error?.message.contains("field \"private_key\" cannot sign") == true)
        #expect(transport.requests.isEmpty)
    }
}
