import Foundation
import SandboxAPI
import Testing

@testable import SandboxEmulator

/// Durations from flags are bounded (100 years), but a library caller can configure any `Duration`,
/// up to ±1.7·10²⁰ seconds: splitting one beyond `Int64.max` seconds, or sleeping on it, traps.
/// None of the emulator's durations (execute timeout, kill grace, reaper interval, injected latency
/// and jitter, fault delays) may stop it.
extension EmulatorTests {
    @Suite struct DurationBounds {
        static let huge = Duration.seconds(Int64.max) * 4
        static let hundredYears = Duration.nanoseconds(HumanDuration.maxNanoseconds)

        static let delays: [(latency: Duration, jitter: Duration)] = [
            (.zero, .zero), (huge, huge), (.zero, huge), (huge, .zero), (.seconds(Int64.max), .seconds(Int64.max)),
            (.seconds(-5), .seconds(-5)), (.zero - huge, .zero - huge), (.nanoseconds(1), .nanoseconds(1)),
            (hundredYears, hundredYears), (.milliseconds(20), .milliseconds(5))
        ]

        @Test(arguments: delays.indices)
        func injectedDelaysNeverTrapAndStayInRange(_ index: Int) {
            let (latency, jitter) = Self.delays[index]
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<100 {
                let delay = EmulatorResponder.injectedDelay(latency: latency, jitter: jitter, using: &generator)
                #expect(delay >= .zero && delay <= Self.hundredYears * 2, "\(latency) + \(jitter) → \(delay)")
                // Splitting the result, as every sleep does, must not trap either.
                _ = delay.components
            }
            if latency == .milliseconds(20) {
                let delay = EmulatorResponder.injectedDelay(latency: latency, jitter: jitter, using: &generator)
                #expect(delay >= .milliseconds(20) && delay < .milliseconds(25), "\(delay)")
            }
        }

        @Test func nanosecondsSaturateInsteadOfTrapping() {
            #expect(SandboxProcess.nanoseconds(Self.huge) == Int64.max / 4)
            #expect(SandboxProcess.nanoseconds(.zero - Self.huge) == -(Int64.max / 4))
            #expect(SandboxProcess.nanoseconds(.milliseconds(1500)) == 1_500_000_000)
            #expect(FaultDecision.nanoseconds(Self.huge) == 1 << 62)
            #expect(FaultDecision.nanoseconds(.zero - Self.huge) == 0)
        }

        @Test func anEmulatorConfiguredWithHugeDurationsServes() async throws {
            try await withTestEmulator({
                $0.executeTimeout = Self.huge
                $0.killGrace = Self.huge
                $0.reapInterval = Self.huge
            }) { client in
                let sandbox = try await client.createSandbox(engine: try await client.createEngine())
                let input = InputFile(name: "in.txt", content: Array("x".utf8))
                let run = try await client.execute(sandbox, code: "print(6 * 7)", files: [input])
                #expect(run.stdout == "42\n", "\(run)")
                #expect(try await client.raw("GET", "/healthz").status == 200)
            }
        }
    }
}
