package import Foundation

/// An emulator started as a child process (`sandbench emulator --port 0 …`), so that benchmarks and
/// external load generators hit a server that does not share this process.
package final class ChildEmulator: @unchecked Sendable { // Process is not Sendable; it is only read after init
    /// How to start one: the `sandbench` binary that serves `emulator`.
    package struct Launcher: Sendable {
        package var executable: URL

        package init(executable: URL) { self.executable = executable }

        /// This process's own binary, for when the running executable is `sandbench` itself.
        package static var currentExecutable: Launcher {
            Launcher(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath())
        }

        func start(_ arguments: [String]) throws -> ChildEmulator { try ChildEmulator(executable: executable, arguments: arguments) }
    }

    let process = Process()
    package let baseURL: String

    /// Starts `executable emulator --port 0 arguments` and waits for its `listening on` line.
    init(executable: URL, arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = ["emulator", "--port", "0"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = ""
        let handle = out.fileHandleForReading
        while !line.hasSuffix("\n") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = line.range(of: "listening on ") else {
            process.terminate()
            throw BenchError("the child emulator did not start: \(line)")
        }
        baseURL = String(line[range.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    package var pid: Int32 { process.processIdentifier }

    /// Sends SIGTERM and waits for the emulator to remove its sandboxes and exit.
    package func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A benchmark that could not run (an emulator that did not start, a create that failed).
package struct BenchError: Error, CustomStringConvertible {
    package var description: String

    init(_ description: String) { self.description = description }
}
