import ArgumentParser

/// `sandbench`: replay, assert, load-test and emulate code-execution sandboxes.
@main
struct Sandbench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbench",
        abstract: "Replay, assert, load-test and emulate code-execution sandboxes (Vertex AI Agent Engine Code Execution API).",
        subcommands: [EmulatorCommand.self]
    )
}
