import Foundation
import TestServers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The binary as it ships: its version, a copy that runs with nothing beside it, and the container
/// image's Dockerfile.
@Suite struct PackagingTests {
    /// What `sandbench --version` prints, without the newline.
    static func version() async throws -> String {
        let out = try await CLI.run(["--version"], timeout: 30)
        try #require(out.status == 0, "--version exited \(out.status): \(out.stderr)")
        return out.stdout.trimmingCharacters(in: .newlines)
    }

    @Test func versionIsOneLineOfDigitsAndDots() async throws {
        let version = try await Self.version()
        #expect(version.split(separator: ".").count >= 3, "\(version)")
        #expect(version.allSatisfy { $0.isNumber || $0 == "." || $0 == "-" || $0.isLetter }, "\(version)")
    }

    /// The version goes to stderr at start-up; stdout stays the one `listening on` line.
    @Test(.timeLimit(.minutes(1))) func theEmulatorAnnouncesItsVersionOnStderr() async throws {
        let version = try await Self.version()
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: CLI.binary)
        emulator.arguments = ["emulator", "--port", "0", "--warm-python", "0", "--warm-javascript", "0"]
        let out = Pipe()
        let err = Pipe()
        emulator.standardOutput = out
        emulator.standardError = err
        let exited = AsyncStream<Int32> { continuation in
            emulator.terminationHandler = {
                continuation.yield($0.terminationStatus)
                continuation.finish()
            }
        }
        try emulator.run()
        // The first stdout bytes come once the emulator accepts connections (read on a Dispatch thread).
        let first = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: out.fileHandleForReading.availableData) }
        }
        kill(emulator.processIdentifier, SIGTERM)
        async let rest = CLI.readToEnd(out)
        async let stderrData = CLI.readToEnd(err)
        var status: Int32 = -1
        for await code in exited { status = code }
        let stdout = String(decoding: first + (await rest), as: UTF8.self)
        let stderr = String(decoding: await stderrData, as: UTF8.self)
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[0].hasPrefix("listening on http://127.0.0.1:") && lines[1].isEmpty, "stdout: \(lines)")
        #expect(stderr.split(separator: "\n").first == "sandbench \(version) emulator", "stderr:\n\(stderr)")
        #expect(status == 0, "stderr:\n\(stderr)")
    }

    /// The binary is copied alone to a temporary folder and run in a mount namespace where the
    /// repository and the build directory are empty: worker programs and everything else it needs
    /// must be inside it, not found through a path from the build.
    @Test(.timeLimit(.minutes(3))) func aCopiedBinaryRunsPythonAndJavaScriptWithTheBuildHidden() async throws {
        try #require(geteuid() == 0, "hiding the build directory needs a mount namespace: run the tests as root")
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #require(!dir.hasPrefix(CLI.root + "/"), "the temporary directory \(dir) is inside the repository, which the test hides")
        let copy = dir + "/sandbench"
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: copy)
        try """
        scenarios:
          - name: python from a copied binary
            steps:
              - create: {}
              - execute: print(6 * 7)
                expect:
                  stdout: "42\\n"
          - name: javascript from a copied binary
            sandbox:
              language: javascript
            steps:
              - create: {}
              - execute: console.log(6 * 7)
                expect:
                  stdout: "42\\n"
        """.write(toFile: dir + "/copied.yaml", atomically: true, encoding: .utf8)
        let buildDirectory = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path
        // Exit 97: the hiding did not work, so the test would prove nothing.
        let script = """
            mount -t tmpfs -o size=1m hidden "$1" && mount -t tmpfs -o size=1m hidden "$2" || exit 96
            [ -e "$3" ] && exit 97
            "$4" --version && exec "$4" run copied.yaml --junit junit.xml
            """
        let out = try await CLI.run(
            [
                "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh",
                buildDirectory, CLI.root, CLI.binary, copy
            ],
            timeout: 150, executable: "/usr/bin/unshare", directory: dir)
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.hasPrefix(try await Self.version() + "\n"), "\(out.stdout)")
        let junit = try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("python from a copied binary") && junit.contains("javascript from a copied binary"))
        #expect(!junit.contains("<failure") && !junit.contains("<error"), "\(junit)")
    }

    /// hadolint (pinned in Tests/requirements.txt) finds nothing in the Dockerfile; no container
    /// engine runs here, so this static check is what CI can do.
    @Test func theDockerfilePassesHadolint() async throws {
        let (status, output) = try await ProjectVenv.run("hadolint", ["--no-color", "Dockerfile"])
        #expect(status == 0, "hadolint exited \(status):\n\(output)")
        #expect(output.isEmpty, "\(output)")
    }
}
