import ArgumentParser
import Foundation

/// `sandbench`: replay, assert, load-test and emulate code-execution sandboxes.
@main
struct Sandbench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbench",
        abstract: "Replay, assert, load-test and emulate code-execution sandboxes (Vertex AI Agent Engine Code Execution API).",
        version: SandbenchVersion.current,
        subcommands: [
            RunCommand.self, ValidateCommand.self, LoadCommand.self, MergeCommand.self, CapacityCommand.self, RecordCommand.self,
            ReplayCommand.self, ParityCommand.self, EmulatorCommand.self, ImageCommand.self, BenchCommand.self
        ]
    )

    /// Runs the command; usage and configuration errors exit 2 (ArgumentParser's default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
