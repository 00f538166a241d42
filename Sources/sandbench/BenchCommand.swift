import ArgumentParser
import Foundation
import HarnessBench
import HarnessHTTP

/// `sandbench bench`: measured figures with ratios against baselines taken in the same run, all on loopback.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Benchmark the emulator and the load harness on loopback "
            + "(figures, goals and ratios against wrk and Locust measured in the same run)."
    )

    @Option(help: "Which part; soak is not in all (--sandboxes live sandboxes busy for --seconds).")
    var suite: BenchSuite = .all

    @Option(help: "Seconds each throughput measurement runs.")
    var seconds: Int = 10

    @Option(help: "Concurrent connections / virtual users for the request-rate comparison.")
    var connections: Int = 64

    @Option(help: "Requests for the memory measurement.")
    var requests: Int = 1_000_000

    @Option(help: "Live sandboxes in the soak, and idle ones in the emulator suite's memory figure.")
    var sandboxes: Int = 200

    @Option(help: "Sessions each way in the replay comparison (run from the repository root: it reads scenarios/).")
    var sessions: Int = 50

    func validate() throws {
        guard (1...1000).contains(sandboxes) else { throw ValidationError("--sandboxes must be 1...1000") }
        guard (1...10_000).contains(sessions) else { throw ValidationError("--sessions must be 1...10000") }
        guard (1...3600).contains(seconds), (1...10_000).contains(connections), (1000...1_000_000_000).contains(requests) else {
            throw ValidationError("--seconds must be 1...3600, --connections 1...10000, --requests 1000...1000000000")
        }
    }

    func run() async throws {
        var options = BenchOptions()
        options.seconds = seconds
        options.connections = connections
        options.requests = requests
        options.sandboxes = sandboxes
        options.sessions = sessions
        try await withCurlTransport(configuration: CurlTransport.Configuration()) { transport in
            try await Benchmarks.run(
                suite, options: options, emulator: .currentExecutable, transport: transport, output: BenchOutput(Self.print))
        }
    }

    /// Prints one line: headings after a blank line, figures with their goal and whether it is met.
    @Sendable static func print(_ line: BenchLine) {
        switch line {
        case .heading(let text):
            Swift.print("\n" + text)
        case .note(let text):
            Swift.print(text)
        case .figure(let label, let value, let goal, let met):
            // A label longer than the column keeps every character: the value follows after two spaces.
            var text = "  " + label + String(repeating: " ", count: max(2, 46 - label.count)) + value
            if let goal { text += String(repeating: " ", count: max(2, 70 - text.count)) + "goal \(goal)" }
            if let met { text += met ? "  ✓" : "  MISS" }
            Swift.print(text)
        }
    }
}
