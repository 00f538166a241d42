import Foundation
import SandboxEmulator
import Testing

/// Section 6: the official Python client runs the quickstart unmodified against the emulator.
extension EmulatorTests {
    @Suite struct Compatibility {
        /// The repository root, from this file's path (Tests/SandboxEmulatorTests/CompatTests.swift).
        static let repoRoot: URL = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

        /// Runs `python3 args` from the repo root with a scrubbed environment; returns exit status and combined output.
        static func runPython(_ args: [String]) async throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + args
            process.currentDirectoryURL = repoRoot
            var env = ProcessInfo.processInfo.environment
            for key in ["GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_API_KEY", "GEMINI_API_KEY",
                        "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_APPLICATION_CREDENTIALS", "HTTP_PROXY", "HTTPS_PROXY",
                        "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"] {
                env.removeValue(forKey: key)
            }
            env["NO_PROXY"] = "127.0.0.1,localhost"
            env["PYTHONUNBUFFERED"] = "1"
            process.environment = env
            let outputPath = NSTemporaryDirectory() + "sandbench-compat-\(UUID().uuidString).log"
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: outputPath) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            let status: Int32 = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(throwing: error) }
            }
            try? handle.close()
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            return (status, output)
        }

        @Test(.timeLimit(.minutes(3))) func officialClientRunsTheQuickstart() async throws {
            let script = Self.repoRoot.appendingPathComponent("Tests/compat/quickstart.py").path
            try #require(FileManager.default.fileExists(atPath: script), "missing \(script)")
            try await withTestEmulator({ $0.warmPool = [.python: 1, .javascript: 1] }) { client in
                let (status, output) = try await Self.runPython([script, client.baseURL])
                // Exit 3 (or 127: no python3 at all) means the client is missing: fail loudly, never skip.
                try #require(status != 3 && status != 127, """
                    the official Python client is not available: `python3 -c "import vertexai"` fails for the python3 on PATH. \
                    .ci/run installs it (pip install google-cloud-aiplatform==2.7.0).
                    \(output)
                    """)
                #expect(status == 0, "quickstart.py exited with \(status):\n\(output)")
                #expect(output.contains("PASS"), "quickstart.py did not report PASS:\n\(output)")
            }
        }
    }
}
