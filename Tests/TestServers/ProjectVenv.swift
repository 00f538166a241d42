import Foundation

/// The project's own Python environment for tests: the official Vertex AI SDK
/// (`google-cloud-aiplatform`, for the compatibility tests), hadolint (the Dockerfile lint) and
/// kubernetes-validate (the schema check of deploy/kubernetes),
/// pinned in `Tests/requirements.txt`.
///
/// `scripts/test` creates it and exports its path as `SANDBENCH_VENV` (default `.venv` in the
/// repository, which is also where the tests look when the variable is unset, so a plain
/// `swift test` works after one `scripts/test`). A missing environment fails the test that needs
/// it, with what to run: these tests are never skipped.
///
/// ```swift
/// let (status, output) = try await ProjectVenv.runPython(["Tests/compat/quickstart.py", url])
/// ```
package enum ProjectVenv {
    /// The repository root, from this file's path (Tests/TestServers/ProjectVenv.swift).
    package static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `$SANDBENCH_VENV`, else `.venv` in the repository.
    package static var directory: String {
        if let set = ProcessInfo.processInfo.environment["SANDBENCH_VENV"], !set.isEmpty { return set }
        return repositoryRoot + "/.venv"
    }

    /// The environment lacks a program a test needs.
    package struct Missing: Error, CustomStringConvertible {
        package var path: String
        package var description: String {
            """
            \(path) is missing: the tests' Python environment (\(ProjectVenv.directory)) is not set up. \
            Run `scripts/test` (it creates the environment from Tests/requirements.txt, then runs the tests), \
            or `scripts/setup test` alone; set SANDBENCH_VENV to use an environment elsewhere.
            """
        }
    }

    /// The path of `bin/NAME` in the environment, or ``Missing``.
    package static func program(_ name: String) throws -> String {
        let path = directory + "/bin/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        return path
    }

    /// Runs the environment's Python with `arguments` in the repository root, the environment
    /// scrubbed of Google settings and proxies (loopback is never proxied); returns the exit status
    /// and the combined stdout and stderr.
    package static func runPython(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try program("python"))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        var environment = ProcessInfo.processInfo.environment
        for key in [
            "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI",
            "GOOGLE_APPLICATION_CREDENTIALS", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"
        ] {
            environment.removeValue(forKey: key)
        }
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["PYTHONUNBUFFERED"] = "1"
        process.environment = environment
        return try await runCollectingOutput(process)
    }

    /// Runs `program` from the environment (for example `hadolint`) with `arguments` in the
    /// repository root; returns the exit status and the combined stdout and stderr.
    package static func run(_ name: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try program(name))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        return try await runCollectingOutput(process)
    }

    /// Output goes to a file, not a pipe, so a chatty child never blocks on a full pipe; the wait is
    /// a termination handler, not a blocked thread.
    private static func runCollectingOutput(_ process: Process) async throws -> (status: Int32, output: String) {
        let logPath = NSTemporaryDirectory() + "sandbench-venv-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try? log.close()
        return (status, (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
    }
}
