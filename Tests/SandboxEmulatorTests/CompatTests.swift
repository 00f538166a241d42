import Foundation
import SandboxEmulator
import TestServers
import Testing

/// Section 6: the official Python client runs the quickstart unmodified against the emulator.
extension EmulatorTests {
    @Suite struct Compatibility {
        /// Runs with the project's Python environment (``ProjectVenv``), where `scripts/test` installs the
        /// official client; a missing environment or client fails the test with what to run, never skips it.
        @Test(.timeLimit(.minutes(3))) func officialClientRunsTheQuickstart() async throws {
            let script = ProjectVenv.repositoryRoot + "/Tests/compat/quickstart.py"
            try #require(FileManager.default.fileExists(atPath: script), "missing \(script)")
            try await withTestEmulator({ $0.warmPool = [.python: 1, .javascript: 1] }) { client in
                let (status, output) = try await ProjectVenv.runPython([script, client.baseURL])
                // Exit 3 means the client cannot be imported in the environment.
                try #require(
                    status != 3,
                    """
                    the official Python client is not importable with \(ProjectVenv.directory)/bin/python: \
                    run `scripts/setup test` to reinstall it from Tests/requirements.txt.
                    \(output)
                    """)
                #expect(status == 0, "quickstart.py exited with \(status):\n\(output)")
                #expect(output.contains("PASS"), "quickstart.py did not report PASS:\n\(output)")
            }
        }

        /// The official client's snapshot and template clients (`vertexai` and `agentplatform`) and a
        /// sandbox restored from a snapshot, against the emulator.
        @Test(.timeLimit(.minutes(3))) func officialClientSnapshotsAndTemplates() async throws {
            let script = ProjectVenv.repositoryRoot + "/Tests/compat/snapshots_templates.py"
            try #require(FileManager.default.fileExists(atPath: script), "missing \(script)")
            try await withTestEmulator { client in
                let (status, output) = try await ProjectVenv.runPython([script, client.baseURL])
                try #require(status != 3, "the official Python client is not importable: run `scripts/setup test`.\n\(output)")
                #expect(status == 0, "snapshots_templates.py exited with \(status):\n\(output)")
                #expect(output.contains("PASS"), "snapshots_templates.py did not report PASS:\n\(output)")
            }
        }
    }
}
