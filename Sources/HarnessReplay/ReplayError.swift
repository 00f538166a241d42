package import HarnessCassettes
package import HarnessCore

/// Why a cassette cannot be replayed: it cannot be read, is not a cassette, or records something a
/// replay cannot send. Commands exit 2 on it.
package struct ReplayError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem; compare with the static members.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The file cannot be read, is too large or is not UTF-8.
        package static let unreadable = Code("unreadable")
        /// The file is not a cassette of this format (not YAML, a field missing or of the wrong kind).
        package static let layout = Code("layout")
        /// The cassette is well formed but holds something that cannot be sent again (a file
        /// recorded by hash only, invalid base64, a duration out of range).
        package static let notReplayable = Code("not replayable")
        /// An emitted scenario file could not be written.
        package static let unwritable = Code("unwritable")
        package var description: String { name }
    }

    package var code: Code
    /// The file, line and column of the problem (line 0 when the file as a whole is meant).
    package var location: SourceLocation
    /// What is wrong and what to do.
    package var message: String

    package init(_ code: Code, _ location: SourceLocation, _ message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    init(_ code: Code, at path: String, _ message: String) {
        self.init(code, SourceLocation(file: path, line: 0, column: 0), message)
    }

    /// A cassette reader's error, whose message may start with `line:column: `.
    init(cassette error: CassetteError, path: String) {
        let parts = error.message.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) {
            self.init(.layout, SourceLocation(file: path, line: line, column: column), String(parts[2].drop { $0 == " " }))
        } else {
            self.init(.layout, at: path, error.message)
        }
    }

    package var description: String {
        location.line == 0 ? "\(location.file): \(message)" : "\(location): \(message)"
    }
}
