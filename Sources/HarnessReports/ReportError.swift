/// Why a report could not be rendered or written.
package struct ReportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// libxml2's text writer refused a call (out of memory or a writer bug).
        package static let xmlWriter = Code(name: "xmlWriter")
        /// The report file or its directory could not be written.
        package static let fileWrite = Code(name: "fileWrite")

        package var description: String { name }
    }

    /// The kind of failure.
    package var code: Code
    /// What went wrong and what to do about it.
    package var message: String
    /// The file being written, when there was one.
    package var path: String?
    /// The underlying error, when there was one.
    package var cause: (any Error)?

    /// Creates an error with a code, a message and optionally the path and the underlying error.
    package init(code: Code, message: String, path: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.cause = cause
    }

    package var description: String {
        var text = message
        if let path { text += " (\(path))" }
        if let cause { text += ": \(cause)" }
        return text
    }
}
