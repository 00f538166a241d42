package import HarnessCore

/// Sends requests through another transport with `Authorization: Bearer <token>` from a
/// ``CredentialProvider`` added.
///
/// ```swift
/// let credentials = resolveCredentials(explicitToken: options.accessToken, environment: ProcessInfo.processInfo.environment)
/// let transport = AuthorizingTransport(wrapping: curl, credentials: credentials)
/// ```
///
/// A request that already has an `Authorization` header keeps it, so a scenario can send a
/// deliberately bad one; a provider that returns nil adds none.
package struct AuthorizingTransport: HTTPTransport {
    /// The transport the authorized requests go through.
    package let base: any HTTPTransport
    /// Where tokens come from.
    package let credentials: any CredentialProvider

    /// Wraps `base`, authorizing with `credentials`.
    package init(wrapping base: any HTTPTransport, credentials: any CredentialProvider) {
        self.base = base
        self.credentials = credentials
    }

    /// Adds the bearer token and sends `request`.
    /// - Throws: `TransportError` of kind `.other` carrying the credential error when no token
    ///   could be had, or whatever `base` throws.
    package func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        guard !request.headers.contains(where: { $0.name.lowercased() == "authorization" }) else {
            return try await base.send(request)
        }
        let token: String?
        do {
            token = try await credentials.accessToken()
        } catch is CancellationError {
            throw TransportError(.cancelled, "the task was cancelled while getting an access token", url: request.url)
        } catch {
            throw TransportError(.other, "no access token: \(error)", url: request.url)
        }
        var authorized = request
        if let token { authorized.headers.append(("Authorization", "Bearer \(token)")) }
        return try await base.send(authorized)
    }
}
