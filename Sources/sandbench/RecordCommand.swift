import ArgumentParser
import Foundation
import HarnessRecorder
import Logging
import Orchestration

/// `sandbench record`: a recording reverse proxy in front of a target, writing a cassette on exit.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record every exchange with a target through a reverse proxy; on SIGINT/SIGTERM write the cassette (YAML) and exit 0."
    )

    @Option(help: "Where requests go: emulator (embedded), an http(s):// URL, or vertex (with --project and --location).")
    var upstream: TargetName

    @Option(help: "Address to bind: a loopback address, since the proxy may add the upstream's credentials to what it forwards.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to bind (0 picks a free port).")
    var port: Int = 0

    @Option(help: "Cassette file to write (YAML; see docs/cassettes.md).")
    var out: String

    @Flag(help: "Keep files over 64 KiB in full instead of by size and sha256 only.")
    var keepBodies = false

    @Option(help: "After SIGINT/SIGTERM, how long requests in flight may take before they are cut off (recorded with an error).")
    var shutdownGrace = FlagDuration(.seconds(10), text: "10s")

    @Flag(help: "Log every request to stderr.")
    var verbose = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try connection.validate(target: upstream, flag: "--upstream")
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") else {
            throw ValidationError(
                "--host must be a loopback address (127.0.0.1, ::1 or localhost), not \"\(host)\": "
                    + "the proxy forwards anything it receives with the upstream's credentials")
        }
        guard !out.isEmpty else { throw ValidationError("--out needs a file name") }
    }

    func run() async throws {
        var configuration = RecordingConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.keepBodies = keepBodies
        configuration.requestTimeout = connection.requestTimeout.duration
        configuration.shutdownGrace = shutdownGrace.duration
        let target = try connection.configuration(target: upstream, flag: "--upstream")
        let orchestrator = Orchestrator(target: target, embedded: try connection.embeddedEmulator(), interruption: .signals)
        var logger = Logger(label: "sandbench.record")
        logger.logLevel = verbose ? .debug : .warning
        let path = out
        do {
            let cassette = try await orchestrator.record(configuration, to: path, logger: logger) { baseURL in
                FileHandle.standardOutput.write(Data("listening on \(baseURL)\n".utf8))
            }
            FileHandle.standardError.write(Data("recorded \(cassette.exchanges.count) exchange(s) to \(path)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(error.exitStatus.rawValue)
        }
    }
}
