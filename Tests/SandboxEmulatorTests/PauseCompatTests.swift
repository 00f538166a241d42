import Foundation
import SandboxEmulator
import TestServers
import Testing

/// The official `agentplatform` client (2.7.0) pauses, resumes and deletes against the emulator,
/// polling the operations the emulator answers not done.
extension EmulatorTests {
    @Suite struct PauseCompatibility {
        @Test(.timeLimit(.minutes(3))) func agentplatformClientPausesAndResumes() async throws {
            let script = ProjectVenv.repositoryRoot + "/Tests/compat/pause_resume.py"
            try #require(FileManager.default.fileExists(atPath: script), "missing \(script)")
            try await withTestEmulator({ $0.transitionWait = .zero }) { client in
                let (status, output) = try await ProjectVenv.runPython([script, client.baseURL])
                try #require(
                    status != 3,
                    """
                    the official Python client is not importable with \(ProjectVenv.directory)/bin/python: \
                    run `scripts/setup test` to reinstall it from Tests/requirements.txt.
                    \(output)
                    """)
                #expect(status == 0, "pause_resume.py exited with \(status):\n\(output)")
                #expect(output.contains("PASS"), "pause_resume.py did not report PASS:\n\(output)")
            }
        }
    }
}
