import HarnessCassettes
import HarnessCore
import SandboxAPI
import Testing

@Suite struct RedactionTests {
    static let token = "ya29.a0AfH6SMC-known-test-token-0123456789"

    @Test func credentialsInHeadersQueryAndJSONNeverReachTheCassette() throws {
        let code = "print('\(Self.token)')"
        let request = ExecuteRequest(
            code: code,
            files: [
                SandboxFile(name: "t.txt", content: Array("token=\(Self.token)\n".utf8)),
                SandboxFile(name: "t.bin", content: [0xFF] + Array(Self.token.utf8))
            ]
        ).json.serialized()
        let response = ExecuteResponse(stdout: "\(Self.token)\n", stderr: "", files: []).json.serialized()
        var builder = CassetteBuilder(upstream: "emulator", recordedAt: "t")
        builder.add(
            raw(
                "POST", executePath + "?key=AIzaSyAPIKEY-0123456789&alt=json", request: request, response: response,
                requestHeaders: [
                    ("Authorization", "Bearer \(Self.token)"), ("x-goog-api-key", "AIzaSyAPIKEY-0123456789"),
                    ("Cookie", "SID=cookie-value-123456; other=1"), ("X-Custom-Session", "session-secret-99999"),
                    ("Content-Type", "application/json")
                ],
                responseHeaders: [("Set-Cookie", "SID=cookie-value-123456"), ("Content-Type", "application/json")]))
        let tokenRequest = #"{"grant_type":"x","assertion":"signed.jwt.value-1234","nextPageToken":"p2"}"#
        builder.add(
            raw(
                "POST", "/token", request: Array(tokenRequest.utf8),
                response: Array(#"{"access_token":"another-secret-token-xyz","expires_in":3599}"#.utf8), sentMilliseconds: 2))
        let yaml = try builder.cassette().yaml()
        for secret in [
            Self.token, "AIzaSyAPIKEY-0123456789", "cookie-value-123456", "session-secret-99999", "signed.jwt.value-1234",
            "another-secret-token-xyz"
        ] {
            #expect(!yaml.contains(secret), "\(secret) reached the cassette:\n\(yaml)")
        }
        #expect(yaml.contains("authorization: <redacted>"))
        #expect(yaml.contains("x-goog-api-key: <redacted>"))
        #expect(!yaml.contains("x-custom-session"), "headers off the list are dropped")
        #expect(yaml.contains("nextPageToken: p2"), "page tokens are not secrets")
        #expect(yaml.contains("alt: json"))
        let exchange = try #require(builder.cassette().exchanges.first)
        guard case .executeInput(let input) = exchange.request.body else {
            Issue.record("not decoded")
            return
        }
        #expect(input.code == "print('<redacted>')")
        #expect(input.files.allSatisfy { $0.bytes.redacted })
        #expect(input.files[0].bytes.sha256 == SHA256.hex(Array("token=\(Self.token)\n".utf8)), "the hash describes what travelled")
    }

    @Test func aSecretLearnedLaterIsRemovedFromEarlierExchanges() throws {
        var builder = CassetteBuilder(upstream: "emulator", recordedAt: "t")
        builder.add(raw("GET", "/healthz", response: Array("late-secret-abcdef\n".utf8)))
        builder.add(raw("GET", "/x", requestHeaders: [("Authorization", "Bearer late-secret-abcdef")], sentMilliseconds: 5))
        #expect(!(try builder.cassette().yaml()).contains("late-secret-abcdef"))
    }

    @Test func shortValuesAreRedactedInPlaceButNotSearchedFor() throws {
        var builder = CassetteBuilder(upstream: "emulator", recordedAt: "t")
        builder.add(raw("GET", "/x", response: Array("a fake answer".utf8), requestHeaders: [("Authorization", "Bearer fake")]))
        let exchange = try #require(builder.cassette().exchanges.first)
        #expect(exchange.request.headers == [Field("authorization", "<redacted>")])
        #expect(exchange.response.body == .text("a fake answer"))
    }

    @Test(arguments: [
        ("access_token", true), ("client-secret", true), ("privateKey", true), ("x-goog-api-key", true),
        ("pageToken", false), ("next_page_token", false), ("displayName", false), ("code", false)
    ])
    func secretNames(name: String, secret: Bool) {
        #expect(Redactor.isSecretName(name) == secret)
    }
}
