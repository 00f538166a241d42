/// Why an access token could not be had, naming where the problem is (a key file and field, a
/// command, or a token endpoint) and what to do about it.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    public var message: String
    /// Where it went wrong: a key file path, a command, or a token endpoint URL.
    public var source: String
    /// The underlying failure, when there is one.
    public var cause: (any Error & Sendable)?

    /// Makes an error about `source`.
    public init(_ message: String, source: String, cause: (any Error & Sendable)? = nil) {
        self.message = message
        self.source = source
        self.cause = cause
    }

    /// "source: message".
    public var description: String { "\(source): \(message)" }
}
