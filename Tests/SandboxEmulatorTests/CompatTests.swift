import Foundation
import SandboxEmulator
import TestServers
import Testing

/// The official Python client (google-cloud-aiplatform 2.7.0) against the emulator: the quickstart
/// unmodified (section 6), the snapshot and template clients, and pause/resume.
extension EmulatorTests {
    @Suite struct Compatibility {
        @Test(.timeLimit(.minutes(3))) func officialClientRunsTheQuickstart() async throws {
            try await Self.expectPass("quickstart.py") { $0.warmPool = [.python: 1, .javascript: 1] }
        }

        /// The `vertexai` and `agentplatform` snapshot and template clients, and a sandbox restored
        /// from a snapshot.
        @Test(.timeLimit(.minutes(3))) func officialClientSnapshotsAndTemplates() async throws {
            try await Self.expectPass("snapshots_templates.py")
        }

        /// The `agentplatform` client pauses, resumes and deletes, polling the operations the emulator
        /// answers not done (transitions are never waited for).
        @Test(.timeLimit(.minutes(3))) func agentplatformClientPausesAndResumes() async throws {
            try await Self.expectPass("pause_resume.py") { $0.transitionWait = .zero }
        }

        /// Runs `Tests/compat/SCRIPT` against a new emulator with the project's Python environment
        /// (``ProjectVenv``), where `scripts/test` installs the official client; a missing environment or
        /// client fails the test with what to run, never skips it. The script exits 3 when the client
        /// cannot be imported, and prints PASS when every check held.
        static func expectPass(
            _ script: String, configure: (inout EmulatorConfiguration) -> Void = { _ in }
        ) async throws {
            let path = ProjectVenv.repositoryRoot + "/Tests/compat/" + script
            try #require(FileManager.default.fileExists(atPath: path), "missing \(path)")
            try await withTestEmulator(configure) { client in
                let (status, output) = try await ProjectVenv.runPython([path, client.baseURL])
                try #require(
                    status != 3,
                    """
                    the official Python client is not importable with \(ProjectVenv.directory)/bin/python: \
                    run `scripts/setup test` to reinstall it from Tests/requirements.txt.
                    \(output)
                    """)
                #expect(status == 0, "\(script) exited with \(status):\n\(output)")
                #expect(output.contains("PASS"), "\(script) did not report PASS:\n\(output)")
            }
        }
    }
}
