import Foundation
import HarnessCore
import HarnessHTTP
import TestServers
import Testing

/// Writes a stand-in `gcloud` into a fresh directory: it logs each call to `calls.log` and prints
/// `fake-token-N`, or fails like gcloud does when `fail` is set.
func fakeGcloud(fail: Bool = false) throws -> (directory: URL, calls: URL) {
    let directory = try temporaryDirectory("gcloud")
    let calls = directory.appendingPathComponent("calls.log")
    let script =
        fail
        ? "#!/bin/sh\necho 'ERROR: (gcloud.auth.print-access-token) Reauthentication required.' >&2\nexit 1\n"
        : """
        #!/bin/sh
        [ "$1 $2" = "auth print-access-token" ] || { echo "unexpected arguments: $*" >&2; exit 2; }
        echo call >> "\(calls.path)"
        echo "fake-token-$(wc -l < "\(calls.path)" | tr -d ' ')"
        """
    let path = directory.appendingPathComponent("gcloud")
    try script.write(to: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
    return (directory, calls)
}

@Suite struct CredentialTests {
    @Test func resolutionPrefersExplicitThenEnvironmentTokenThenKeyFileThenGcloud() throws {
        let everything = ["SANDBENCH_ACCESS_TOKEN": "env-token", "GOOGLE_APPLICATION_CREDENTIALS": "/keys/sa.json"]
        let explicit = resolveCredentials(explicitToken: "flag-token", environment: everything)
        #expect((explicit as? StaticToken)?.token == "flag-token")

        let fromEnvironment = resolveCredentials(explicitToken: nil, environment: everything)
        #expect((fromEnvironment as? StaticToken)?.token == "env-token")

        let fromKey = resolveCredentials(
            explicitToken: "", environment: ["SANDBENCH_ACCESS_TOKEN": "", "GOOGLE_APPLICATION_CREDENTIALS": "/keys/sa.json"])
        #expect((fromKey as? ServiceAccountToken)?.keyFile == "/keys/sa.json")

        let fallback = resolveCredentials(explicitToken: nil, environment: ["GOOGLE_APPLICATION_CREDENTIALS": "", "PATH": "/usr/bin"])
        #expect(fallback is GcloudToken)
    }

    @Test func staticTokenNeverChanges() async throws {
        let token = StaticToken("abc")
        #expect(try await token.accessToken() == "abc")
        #expect(try await token.accessToken() == "abc")
    }

    @Test func gcloudTokenIsCachedForThirtyMinutes() async throws {
        let (directory, calls) = try fakeGcloud()
        let clock = ManualClock()
        let gcloud = GcloudToken(environment: ["PATH": "/nonexistent:\(directory.path):/usr/bin:/bin"], now: clock.now)
        #expect(try await gcloud.accessToken() == "fake-token-1")
        clock.advance(by: 29 * 60)
        #expect(try await gcloud.accessToken() == "fake-token-1")
        clock.advance(by: 61)
        #expect(try await gcloud.accessToken() == "fake-token-2")
        #expect(try String(contentsOf: calls, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func missingGcloudSaysWhatToDo() async throws {
        let gcloud = GcloudToken(environment: ["PATH": "/nonexistent"])
        let error = await #expect(throws: CredentialError.self) { try await gcloud.accessToken() }
        #expect(error?.message.contains("gcloud was not found on PATH") == true)
        #expect(error?.message.contains("--access-token") == true)
        #expect(error?.message.contains("GOOGLE_APPLICATION_CREDENTIALS") == true)
    }

    @Test func failingGcloudPassesItsComplaintOn() async throws {
        let (directory, _) = try fakeGcloud(fail: true)
        let gcloud = GcloudToken(executable: directory.appendingPathComponent("gcloud").path, environment: [:])
        let error = await #expect(throws: CredentialError.self) { try await gcloud.accessToken() }
        #expect(error?.message.contains("Reauthentication required") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("gcloud auth login") == true, "\(error?.message ?? "no error")")
    }

    @Test func authorizingTransportAddsTheBearerToken() async throws {
        let base = ScriptedTransport([reply(200), reply(200)])
        let transport = AuthorizingTransport(wrapping: base, credentials: StaticToken("tok"))
        _ = try await transport.send(TransportRequest(method: "GET", url: "http://scripted/a", headers: [("X-A", "1")]))
        _ = try await transport.send(TransportRequest(method: "GET", url: "http://scripted/b", headers: [("authorization", "Bearer mine")]))
        let sent = base.requests.map { request in request.headers.filter { $0.name.lowercased() == "authorization" }.map(\.value) }
        #expect(sent == [["Bearer tok"], ["Bearer mine"]])
        #expect(base.requests[0].headers.first?.name == "X-A")
    }

    @Test func credentialFailureBecomesATransportErrorThatSaysWhy() async throws {
        let base = ScriptedTransport([reply(200)])
        let transport = AuthorizingTransport(wrapping: base, credentials: GcloudToken(environment: ["PATH": "/nonexistent"]))
        let error = await transportError(transport, TransportRequest(method: "GET", url: "http://scripted/a"))
        #expect(error?.kind == .other)
        #expect(error?.message.contains("gcloud was not found") == true)
        #expect(base.requests.isEmpty)
    }

    @Test func authorizedRequestsReachARealServerWithTheHeader() async throws {
        try await LoopbackServer.with({ _ in .response(status: 204) }) { server in
            try await withCurlTransport { curl in
                let transport = AuthorizingTransport(wrapping: curl, credentials: StaticToken("live-token"))
                let response = try await transport.send(TransportRequest(method: "GET", url: server.baseURL))
                #expect(response.status == 204)
            }
            #expect(server.received.first?.header("Authorization") == "Bearer live-token")
        }
    }
}
