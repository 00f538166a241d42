/// A fault file that cannot be used: every problem found, each at `file:line:column`.
public struct FaultPlanError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: Hashable, Sendable {
            case unreadable, invalidYAML, invalidPlan
        }

        let value: Value

        /// The file is missing, unreadable, too large or not UTF-8.
        public static let unreadable = Code(value: .unreadable)
        /// The file is not well-formed YAML.
        public static let invalidYAML = Code(value: .invalidYAML)
        /// The YAML is well-formed but a key or value is wrong or out of range.
        public static let invalidPlan = Code(value: .invalidPlan)

        /// The code's name: `unreadable`, `invalidYAML` or `invalidPlan`.
        public var description: String {
            switch value {
            case .unreadable: "unreadable"
            case .invalidYAML: "invalidYAML"
            case .invalidPlan: "invalidPlan"
            }
        }
    }

    /// One problem, at a 1-based line and column (0 when it concerns the whole file).
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The fault file's path as given.
        public var file: String
        /// 1-based line; 0 when the problem concerns the whole file.
        public var line: Int
        /// 1-based column; 0 when the problem concerns the whole file.
        public var column: Int
        /// What is wrong, naming the field (`faults[2].error.rate`) and the allowed values.
        public var message: String

        /// `file:line:column: message`, or `file: message` when there is no position.
        public var description: String { line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)" }
    }

    /// What kind of failure this is.
    public var code: Code
    /// Every problem, in file order.
    public var problems: [Problem]

    /// One `file:line:column: message` line per problem.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
