/// Why an access token could not be had, naming where the problem is (a key file and field, a
/// command, or a token endpoint) and what to do about it.
package struct CredentialError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    package var message: String
    /// Where it went wrong: a key file path, a command, or a token endpoint URL.
    package var source: String
    /// The underlying failure, when there is one.
    package var cause: (any Error & Sendable)?

    /// Makes an error about `source`.
    package init(_ message: String, source: String, cause: (any Error & Sendable)? = nil) {
        self.message = message
        self.source = source
        self.cause = cause
    }

    /// "source: message".
    package var description: String { "\(source): \(message)" }
}
