package import Foundation
import HarnessCore
import Synchronization

/// Access tokens from the Google Cloud CLI (`gcloud auth print-access-token`), each reused for
/// 30 minutes; the fallback when no token or key file is configured.
///
/// ```swift
/// let credentials = GcloudToken()
/// let token = try await credentials.accessToken()
/// ```
package final class GcloudToken: CredentialProvider {
    /// How long a printed token is reused; gcloud's tokens live an hour.
    package static let cacheLifetime: TimeInterval = 30 * 60

    /// The gcloud program to run; nil looks for `gcloud` on the environment's `PATH`.
    package let executable: String?
    private let environment: [String: String]
    private let now: @Sendable () -> Date
    private let cache: TokenCache

    /// Runs `executable` (default: `gcloud` found on `PATH`) with `environment`.
    package init(
        executable: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.executable = executable
        self.environment = environment
        self.now = now
        cache = TokenCache(refreshMargin: 0, now: now)
    }

    /// The cached token, or a new one from gcloud when none is cached or it is 30 minutes old.
    /// - Throws: ``CredentialError`` when gcloud is missing or prints no token, with what to do.
    package func accessToken() async throws -> String? {
        try await cache.token {
            let fetchedAt = self.now()
            let token = try await self.runGcloud()
            return TokenCache.Entry(token: token, expiry: fetchedAt.addingTimeInterval(Self.cacheLifetime))
        }
    }

    /// The program to run, checked to exist and be executable.
    func locateGcloud() throws(CredentialError) -> String {
        if let executable {
            guard FileManager.default.isExecutableFile(atPath: executable) else {
                throw CredentialError(
                    "this gcloud is not an executable file; install the Google Cloud CLI or fix the path", source: executable)
            }
            return executable
        }
        let path = environment["PATH"] ?? ""
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/gcloud"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CredentialError(
            "gcloud was not found on PATH, and no other credentials are set; install the Google Cloud CLI and run `gcloud auth login`, "
                + "or pass --access-token, set SANDBENCH_ACCESS_TOKEN, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file",
            source: "gcloud auth print-access-token")
    }

    private func runGcloud() async throws -> String {
        let program = try locateGcloud()
        let command = "\(program) auth print-access-token"
        // A new Process per attempt: one that failed to launch cannot be launched again.
        func launch() throws -> (Process, Pipe, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = ["auth", "print-access-token"]
            process.environment = environment
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = FileHandle.nullDevice // a login prompt fails instead of hanging
            try process.run()
            return (process, output, errors)
        }
        var attempt = 0
        let process: Process
        let output: Pipe
        let errors: Pipe
        while true {
            do {
                (process, output, errors) = try launch()
                break
            } catch {
                // ETXTBSY: a script just written is still open for writing in a child that another
                // thread forked and that has not exec'd yet; it passes in a moment.
                attempt += 1
                if (error as NSError).code == Int(ETXTBSY), attempt < 10 {
                    try? await Task.sleep(for: .milliseconds(20))
                    continue
                }
                throw CredentialError(
                    "could not start gcloud (\(error.localizedDescription)); check the Google Cloud CLI installation", source: command)
            }
        }
        let (stdout, stderr) = await withTaskCancellationHandler {
            await Self.collect(process, output: output, errors: errors)
        } onCancel: {
            process.terminate()
        }
        let token = String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !token.isEmpty, !token.contains(where: \.isWhitespace) else {
            let detail = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CredentialError(
                "gcloud exited with status \(process.terminationStatus) without printing a token"
                    + (detail.isEmpty ? "" : " (\(detail))")
                    + "; run `gcloud auth login` and try again, or pass --access-token",
                source: command)
        }
        return token
    }

    /// Reads both pipes to the end and waits for exit on a dispatch thread, so neither a full pipe
    /// nor the wait blocks the cooperative pool.
    private static func collect(_ process: Process, output: Pipe, errors: Pipe) async -> (stdout: Data, stderr: Data) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let stderr = Mutex(Data())
                let group = DispatchGroup()
                DispatchQueue.global().async(group: group) {
                    let data = errors.fileHandleForReading.readDataToEndOfFile()
                    stderr.withLock { $0 = data }
                }
                let stdout = output.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                continuation.resume(returning: (stdout, stderr.withLock { $0 }))
            }
        }
    }
}
