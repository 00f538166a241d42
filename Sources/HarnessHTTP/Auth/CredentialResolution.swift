package import HarnessCore

/// Picks the credentials the harness uses, first match wins: an explicit `--access-token`,
/// `$SANDBENCH_ACCESS_TOKEN`, the key file named by `$GOOGLE_APPLICATION_CREDENTIALS`, else gcloud.
///
/// Empty values count as unset. Nothing is read or run here: a bad key file or a missing gcloud
/// surfaces, with what to do, at the first ``CredentialProvider/accessToken()``.
/// - Parameter transport: carries service-account token requests; nil makes a ``CurlTransport``
///   when first needed.
package func resolveCredentials(
    explicitToken: String?,
    environment: [String: String],
    transport: (any HTTPTransport)? = nil
) -> any CredentialProvider {
    func value(_ candidate: String?) -> String? {
        guard let candidate, !candidate.isEmpty else { return nil }
        return candidate
    }
    if let token = value(explicitToken) {
        return StaticToken(token)
    }
    if let token = value(environment["SANDBENCH_ACCESS_TOKEN"]) {
        return StaticToken(token)
    }
    if let keyFile = value(environment["GOOGLE_APPLICATION_CREDENTIALS"]) {
        return ServiceAccountToken(keyFile: keyFile, transport: transport)
    }
    return GcloudToken(environment: environment)
}
