/// Why a run could not be carried out at all (as opposed to scenarios that failed): the command
/// maps ``Code/configuration`` and ``Code/report`` to exit 2 and ``Code/target`` to exit 1.
package struct RunFailure: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; compare with the static members.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The options do not describe a run that can happen (exit 2).
        package static let configuration = Code("configuration")
        /// The target could not be started or reached (exit 1).
        package static let target = Code("target")
        /// A report could not be written (exit 2).
        package static let report = Code("report")
        package var description: String { name }
    }

    package var code: Code
    /// What happened and what to do, for the user.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
