import Foundation
import Testing

/// Runs the built `sandbench` binary, as a user would.
enum CLI {
    /// Whether the timing-sensitive tests run: `scripts/test` runs them on their own after all the
    /// others (`SANDBENCH_TIMING_ALONE=1`), since the whole suite running at once on two cores
    /// delays a child emulator's answers by tens of milliseconds, more than they can tolerate.
    static let timingAlone = ProcessInfo.processInfo.environment["SANDBENCH_TIMING_ALONE"] == "1"

    /// The repository root, from this file's path.
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last != "Tests" { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    /// The sandbench binary next to the test bundle (the same build directory).
    static let binary: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sandbench").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return root + "/.build/debug/sandbench"
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs sandbench (or `executable`) with `arguments` in the repository root (or `directory`) and
    /// waits (bounded by `timeout`) without holding a thread of the cooperative pool: on this 2-core
    /// machine the pool has two, and a test blocking one starves every in-process emulator of the other tests.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Double = 300,
        executable: String = binary, directory: String = root
    ) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        async let outData = readToEnd(out)
        async let errData = readToEnd(err)
        let timedOut = Locked(false)
        let watchdog = DispatchWorkItem {
            guard process.isRunning else { return }
            timedOut.set(true)
            process.terminate()
        }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
            } catch {
                continuation.resume(throwing: error)
            }
        }
        watchdog.cancel()
        if timedOut.get() { Issue.record("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout) s") }
        return Output(
            status: status, stdout: String(decoding: await outData, as: UTF8.self),
            stderr: String(decoding: await errData, as: UTF8.self))
    }

    /// Everything `pipe` delivers until end of file, read on a Dispatch thread.
    static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
    }

    /// A rate as the console prints it: `80`, `82.5`.
    static func compact(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.1f", x)
    }

    static func temporaryDirectory() -> String {
        let dir = NSTemporaryDirectory() + "sandbench-e2e-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `xmllint --noout --schema junit-10.xsd FILE`: exit status and messages.
    static func validateJUnit(_ path: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        process.arguments = ["--noout", "--schema", root + "/Tests/Fixtures/junit-10.xsd", path]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A value shared between threads under a lock.
final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set(_ v: T) {
        lock.lock()
        value = v
        lock.unlock()
    }
}
