/// Why a cassette could not be read or written.
public struct CassetteError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The text is not YAML, or YAML could not be emitted.
        public static let yaml = Code("yaml")
        /// The YAML is not a cassette of this format: a field is missing or of the wrong kind.
        public static let layout = Code("layout")
        /// The file could not be read or written.
        public static let io = Code("io")
        public var description: String { name }
    }

    public var code: Code
    /// What is wrong and where (`line:column` for layout problems).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
