import Foundation
package import HarnessCore

/// Which benchmarks `sandbench bench` runs.
package enum BenchSuite: String, CaseIterable, Sendable {
    case all, emulator, harness, record, replay
    /// Sandbox starts alone (also part of `emulator`): creates at a sustained rate, sessions/s, idle memory.
    case starts
    /// Not part of `all`: many live sandboxes kept busy for a while, then a count of what is left.
    case soak

    func includes(_ part: BenchSuite) -> Bool {
        self == part || (self == .all && part != .soak) || (self == .emulator && part == .starts)
    }
}

/// The sizes of a benchmark run.
package struct BenchOptions: Sendable {
    /// Seconds each throughput measurement (and the soak) runs.
    package var seconds = 10
    /// Concurrent connections / virtual users for the request-rate comparison.
    package var connections = 64
    /// Requests for the memory measurement.
    package var requests = 1_000_000
    /// Live sandboxes in the soak.
    package var sandboxes = 200
    /// Sessions each way in the replay comparison.
    package var sessions = 50

    package init() {}
}

/// Runs the benchmarks of a suite against emulator child processes, on loopback.
package enum Benchmarks {
    /// Runs `suite`; every emulator is a child process started from `emulator`, every request goes through `transport`.
    package static func run(
        _ suite: BenchSuite, options: BenchOptions, emulator: ChildEmulator.Launcher, transport: any HTTPTransport,
        output: BenchOutput
    ) async throws {
        output.note("sandbench bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, all traffic on 127.0.0.1")
        if suite.includes(.emulator) {
            try await EmulatorBench(transport: transport, emulator: emulator, seconds: options.seconds, output: output).run()
        }
        if suite.includes(.starts) {
            try await SandboxStartBench(
                transport: transport, emulator: emulator, seconds: options.seconds, sandboxes: options.sandboxes, output: output
            ).run()
        }
        if suite.includes(.harness) {
            try await LoadGeneratorBench(
                transport: transport, emulator: emulator, seconds: options.seconds, connections: options.connections,
                requests: options.requests, output: output
            ).run()
        }
        if suite.includes(.record) { try await ProxyBench(transport: transport, emulator: emulator, exchanges: 2000, output: output).run() }
        if suite.includes(.replay) {
            try await ReplayBench(transport: transport, emulator: emulator, sessions: options.sessions, output: output).run()
        }
        if suite.includes(.soak) {
            try await SoakBench(
                transport: transport, emulator: emulator, sandboxes: options.sandboxes, seconds: options.seconds, output: output
            )
            .run()
        }
    }
}
