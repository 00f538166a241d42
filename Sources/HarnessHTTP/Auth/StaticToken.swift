import HarnessCore

/// A fixed access token, as given by `--access-token` or `$SANDBENCH_ACCESS_TOKEN`; never refreshed.
package struct StaticToken: CredentialProvider {
    /// The token sent as `Authorization: Bearer <token>`.
    package let token: String

    /// Uses `token` for every request.
    package init(_ token: String) {
        self.token = token
    }

    /// Returns the fixed token.
    package func accessToken() async throws -> String? {
        token
    }
}
