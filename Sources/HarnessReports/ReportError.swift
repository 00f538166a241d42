/// Why a report could not be rendered or written.
public struct ReportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// libxml2's text writer refused a call (out of memory or a writer bug).
        public static let xmlWriter = Code(name: "xmlWriter")
        /// The report file or its directory could not be written.
        public static let fileWrite = Code(name: "fileWrite")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The file being written, when there was one.
    public var path: String?
    /// The underlying error, when there was one.
    public var cause: (any Error)?

    /// Creates an error with a code, a message and optionally the path and the underlying error.
    public init(code: Code, message: String, path: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.cause = cause
    }

    public var description: String {
        var text = message
        if let path { text += " (\(path))" }
        if let cause { text += ": \(cause)" }
        return text
    }
}
