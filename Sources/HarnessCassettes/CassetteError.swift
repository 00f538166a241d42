/// Why a cassette could not be read or written.
package struct CassetteError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem; compare with the static members.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The text is not YAML, or YAML could not be emitted.
        package static let yaml = Code("yaml")
        /// The YAML is not a cassette of this format: a field is missing or of the wrong kind.
        package static let layout = Code("layout")
        /// The file could not be read or written.
        package static let io = Code("io")
        package var description: String { name }
    }

    package var code: Code
    /// What is wrong and where (`line:column` for layout problems).
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
