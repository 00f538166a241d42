public import HarnessCore

/// A fixed access token, as given by `--access-token` or `$SANDBENCH_ACCESS_TOKEN`; never refreshed.
public struct StaticToken: CredentialProvider {
    /// The token sent as `Authorization: Bearer <token>`.
    public let token: String

    /// Uses `token` for every request.
    public init(_ token: String) {
        self.token = token
    }

    /// Returns the fixed token.
    public func accessToken() async throws -> String? {
        token
    }
}
