import Dispatch
import Foundation
import NIOCore
import NIOPosix
import SandboxAPI
import Synchronization
import Testing

@testable import SandboxEmulator

/// Keeps every thread of NIO's blocking-I/O pool busy until released, as a burst of other
/// sandboxes' file work (100 MB uploads, 10,000-entry walks) or a stalled disk would.
final class BlockingPoolOccupation: Sendable {
    private let gate = DispatchSemaphore(value: 0)
    private let threads: Int
    private let released = Mutex(false)

    private init(threads: Int) { self.threads = threads }

    /// Returns once every pool thread is held.
    static func occupyAll() async -> BlockingPoolOccupation {
        let threads = NIOSingletons.blockingPoolThreadCountSuggestion
        let occupation = BlockingPoolOccupation(threads: threads)
        let started = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            NIOThreadPool.singleton.submit { _ in
                started.signal()
                occupation.gate.wait()
            }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                for _ in 0..<threads { started.wait() }
                done.resume()
            }
        }
        return occupation
    }

    /// Lets the pool's threads go; later calls do nothing.
    func release() {
        guard
            released.withLock({ r in
                defer { r = true }
                return !r
            })
        else { return }
        for _ in 0..<threads { gate.signal() }
    }
}

/// The execute deadline covers the whole execute: placing input files, the code, and collecting
/// output files. File work that cannot finish in time (the blocking pool is busy, the workdir is
/// huge) ends the execute at the deadline, and the abandoned work does nothing when it runs later.
extension EmulatorTests {
    @Suite struct ExecuteDeadline {
        @Test func placingInputFilesIsCoveredByTheDeadline() async throws {
            try await withTestEmulator({
                $0.executeTimeout = .seconds(1)
                $0.killGrace = .seconds(1)
            }) { client in
                let sandbox = try await client.createSandbox(engine: try await client.createEngine())
                #expect(try await client.execute(sandbox, code: "kept = 'state'").stderr == "")
                let occupation = await BlockingPoolOccupation.occupyAll()
                // Releases the pool even if the execute never answers on its own, so a failing test ends.
                let watchdog = Task {
                    try? await Task.sleep(for: .seconds(12))
                    occupation.release()
                }
                let start = ContinuousClock.now
                let late = InputFile(name: "late.txt", content: Array("late".utf8))
                let run = try await client.execute(sandbox, code: "print('ran')", files: [late])
                let elapsed = ContinuousClock.now - start
                occupation.release()
                watchdog.cancel()
                #expect(elapsed < .seconds(5), "the execute took \(elapsed) with a 1 s deadline and 1 s grace")
                expectGoogleError(run.http, 504, "DEADLINE_EXCEEDED", "execute whose input files could not be placed in time")
                #expect(run.http.errorMessage?.contains("the code did not run") == true, "\(run.http)")
                // The pool is free again: the abandoned placement wrote nothing, and the sandbox kept its state.
                let after = try await client.execute(sandbox, code: "import os\nprint(kept, os.path.exists('late.txt'))")
                #expect(after.stdout == "state False\n", "\(after.http)")
                #expect(try await client.getSandbox(sandbox).json?["state"]?.stringValue == "STATE_RUNNING")
            }
        }

        @Test func collectingOutputFilesIsCoveredByTheDeadline() async throws {
            let state = EmulatorTests.Isolation.stateDirectory()
            try await withTestEmulator({
                $0.executeTimeout = .seconds(3)
                $0.killGrace = .seconds(1)
                $0.stateDirectory = state
            }) { client in
                let sandbox = try await client.createSandbox(engine: try await client.createEngine())
                // The code waits for the test to occupy the pool, then writes an output file and ends in time.
                let code = """
                    import os, time
                    open('started.marker', 'w').close()
                    t = time.monotonic()
                    while not os.path.exists('go') and time.monotonic() - t < 20:
                        time.sleep(0.005)
                    open('out.txt', 'w').write('output')
                    print('ran')
                    """
                let start = ContinuousClock.now
                let run = Task { try await client.execute(sandbox, code: code) }
                let sandboxesDir = state + "/sandboxes"
                var workdir: String?
                let started = await eventually(timeout: .seconds(10), interval: .milliseconds(5)) {
                    workdir = ((try? FileManager.default.contentsOfDirectory(atPath: sandboxesDir)) ?? [])
                        .map { "\(sandboxesDir)/\($0)/work" }
                        .first { FileManager.default.fileExists(atPath: "\($0)/started.marker") }
                    return workdir != nil
                }
                try #require(started, "the code never started")
                let occupation = await BlockingPoolOccupation.occupyAll()
                let watchdog = Task {
                    try? await Task.sleep(for: .seconds(12))
                    occupation.release()
                }
                #expect(FileManager.default.createFile(atPath: (workdir ?? "") + "/go", contents: nil))
                let result = try await run.value
                let elapsed = ContinuousClock.now - start
                occupation.release()
                watchdog.cancel()
                #expect(elapsed < .seconds(7), "the execute took \(elapsed) with a 3 s deadline and 1 s grace")
                #expect(result.status == 200, "\(result.http)")
                #expect(result.stdout == "ran\n", "\(result.http)")
                #expect(result.stderr.contains("no output files returned: collecting them passed the execute deadline"), "\(result.http)")
                #expect(result.files.isEmpty, "\(result.files.map(\.name))")
                // The sandbox runs on with its files and state.
                let after = try await client.execute(sandbox, code: "print(open('out.txt').read())")
                #expect(after.stdout == "output\n", "\(after.http)")
            }
        }

        /// Workdir operations stop at a deadline that has passed, leaving nothing half done.
        @Test func workdirFileWorkStopsAtThePassedDeadline() throws {
            let path = NSTemporaryDirectory() + "sandbench-workdir-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: path) }
            for i in 0..<200 { FileManager.default.createFile(atPath: "\(path)/f\(i)", contents: Data("x".utf8)) }
            let workdir = Workdir(path: path, uid: getuid())
            let passed = NIODeadline.now() - .seconds(1)
            let later = NIODeadline.now() + .seconds(60)

            #expect(try workdir.snapshot(until: later).count == 200)
            #expect(throws: GoogleError.self) { try workdir.snapshot(until: passed) }
            #expect(try workdir.contents(of: "f0", limit: 10, until: later) == Array("x".utf8))
            #expect(throws: GoogleError.self) { try workdir.contents(of: "f0", limit: 10, until: passed) }

            let big = SandboxFile(name: "d/big.bin", content: [UInt8](repeating: 7, count: 8 << 20), mimeType: "application/octet-stream")
            do {
                try workdir.place(big, until: passed)
                Issue.record("placing a file after its deadline succeeded")
            } catch {
                #expect(error.status == .deadlineExceeded, "\(error)")
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix("f") }
            #expect(left.isEmpty, "placement after the deadline left \(left)")
            try workdir.place(big, until: later)
            #expect(try workdir.contents(of: "d/big.bin", limit: 16 << 20, until: later)?.count == 8 << 20)
        }
    }
}
