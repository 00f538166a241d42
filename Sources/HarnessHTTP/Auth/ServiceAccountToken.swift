package import Foundation
package import HarnessCore
import SandboxAPI
import Synchronization

/// Access tokens for a Google service account: signs a JWT (RS256) with the account's key, trades
/// it at the key's token endpoint (OAuth 2.0 JWT bearer grant), and caches the token until five
/// minutes before it expires.
///
/// ```swift
/// let credentials = ServiceAccountToken(keyFile: "/secrets/runner.json")
/// let transport = AuthorizingTransport(wrapping: curl, credentials: credentials)
/// ```
package final class ServiceAccountToken: CredentialProvider {
    /// The scope that covers Vertex AI.
    package static let cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

    /// Where the key comes from.
    package enum KeySource: Sendable {
        /// A key file, read on every refresh so a rotated key is picked up.
        case file(String)
        /// A key already in memory.
        case key(ServiceAccountKey)
    }

    /// Where the key comes from.
    package let keySource: KeySource
    /// The OAuth scope requested.
    package let scope: String
    private let transport: Mutex<(any HTTPTransport)?>
    private let now: @Sendable () -> Date
    private let cache: TokenCache

    /// Uses the key file at `keyFile` (read lazily, so a bad file surfaces at the first request).
    /// - Parameters:
    ///   - transport: carries the token request; nil makes a ``CurlTransport`` on first use.
    ///   - now: wall-clock time for the JWT's `iat`/`exp` and for expiry (default `Date()`).
    package convenience init(
        keyFile: String, transport: (any HTTPTransport)? = nil, scope: String = cloudPlatformScope,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(source: .file(keyFile), transport: transport, scope: scope, now: now)
    }

    /// Uses `key`, already loaded.
    package convenience init(
        key: ServiceAccountKey, transport: (any HTTPTransport)? = nil, scope: String = cloudPlatformScope,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(source: .key(key), transport: transport, scope: scope, now: now)
    }

    private init(source: KeySource, transport: (any HTTPTransport)?, scope: String, now: @escaping @Sendable () -> Date) {
        keySource = source
        self.transport = Mutex(transport)
        self.scope = scope
        self.now = now
        cache = TokenCache(refreshMargin: 300, now: now)
    }

    /// The key file's path, or nil for an in-memory key.
    package var keyFile: String? {
        if case .file(let path) = keySource { path } else { nil }
    }

    /// A valid token, fetched when none is cached or the cached one expires within five minutes.
    /// - Throws: ``CredentialError`` naming the key file (and field) or the token endpoint.
    package func accessToken() async throws -> String? {
        try await cache.token { try await self.fetch() }
    }

    private func fetch() async throws -> TokenCache.Entry {
        let key: ServiceAccountKey
        let source: String
        switch keySource {
        case .file(let path):
            key = try ServiceAccountKey.load(path: path)
            source = path
        case .key(let given):
            key = given
            source = "service account \(given.clientEmail)"
        }
        let issuedAt = now()
        let assertion = try Self.assertion(key: key, scope: scope, issuedAt: issuedAt, source: source)
        let form = "grant_type=\(Self.formEncoded("urn:ietf:params:oauth:grant-type:jwt-bearer"))&assertion=\(Self.formEncoded(assertion))"
        let request = TransportRequest(
            method: "POST", url: key.tokenURI,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(form.utf8), timeout: .seconds(30))
        let response: TransportResponse
        do {
            let transport = try transportForTokens()
            response = try await transport.send(request)
        } catch {
            throw CredentialError(
                "the token endpoint \(key.tokenURI) (field \"token_uri\") could not be reached: \(error); check network access to it",
                source: source, cause: error)
        }
        return try Self.parseTokenResponse(response, key: key, issuedAt: issuedAt, source: source)
    }

    private func transportForTokens() throws -> any HTTPTransport {
        try transport.withLock { transport in
            if let transport { return transport }
            let made = try CurlTransport()
            transport = made
            return made
        }
    }

    /// Reads `access_token` and `expires_in` from the token endpoint's answer.
    static func parseTokenResponse(_ response: TransportResponse, key: ServiceAccountKey, issuedAt: Date, source: String)
        throws(CredentialError) -> TokenCache.Entry
    {
        let json = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status) else {
            let reason = [json?["error"]?.stringValue, json?["error_description"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
            throw CredentialError(
                "the token endpoint \(key.tokenURI) refused \(key.clientEmail) with HTTP \(response.status)"
                    + (reason.isEmpty ? "" : " (\(reason))")
                    + "; check that the key is not deleted or disabled and that this machine's clock is right",
                source: source)
        }
        guard let token = json?["access_token"]?.stringValue, !token.isEmpty else {
            throw CredentialError(
                "the token endpoint \(key.tokenURI) answered without \"access_token\"; "
                    + "check \"token_uri\" points at an OAuth 2.0 token endpoint",
                source: source)
        }
        let lifetime = json?["expires_in"]?.numberValue ?? 3600
        return TokenCache.Entry(token: token, expiry: issuedAt.addingTimeInterval(lifetime))
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `application/x-www-form-urlencoded` escaping: everything but unreserved characters.
    static func formEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}
