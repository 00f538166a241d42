import NIOCore
import SandboxAPI

extension SandboxProcess {
    /// Every regular file in the sandbox's working directory (links are not followed), taken
    /// between executes. A directory over `maxBytes` or ``Workdir/maxEntries`` entries, or a copy
    /// that runs past `timeout`, fails with FAILED_PRECONDITION or DEADLINE_EXCEEDED.
    func captureFiles(maxBytes: Int, timeout: Duration) async throws(GoogleError) -> [SandboxFile] {
        let workdir = self.workdir
        let deadline = NIODeadline.now() + .nanoseconds(Self.nanoseconds(timeout))
        return try await inTurn { () async throws(GoogleError) -> [SandboxFile] in
            try await SnapshotBook.offload { () throws(GoogleError) -> [SandboxFile] in
                let stamps = try workdir.snapshot(until: deadline)
                let total = stamps.values.reduce(Int64(0)) { $0 + $1.size }
                guard total <= Int64(maxBytes) else {
                    throw GoogleError(
                        .failedPrecondition,
                        "The sandbox's working directory holds \(total) bytes; a snapshot holds at most "
                            + "\(maxBytes) bytes in this emulator. Remove files, then snapshot again.")
                }
                var files: [SandboxFile] = []
                var remaining = maxBytes
                for name in stamps.keys.sorted() {
                    // A file that vanished or grew past the budget since the walk is left out only if gone.
                    guard let bytes = try workdir.contents(of: name, limit: remaining, until: deadline) else { continue }
                    remaining -= bytes.count
                    files.append(SandboxFile(name: name, content: bytes))
                }
                return files
            }
        }
    }

    /// Places `files` into the working directory, as an execute's input files are placed.
    func restoreFiles(_ files: [SandboxFile], timeout: Duration) async throws(GoogleError) {
        let workdir = self.workdir
        let deadline = NIODeadline.now() + .nanoseconds(Self.nanoseconds(timeout))
        try await inTurn { () async throws(GoogleError) in
            try await SnapshotBook.offload { () throws(GoogleError) in
                for file in files { try workdir.place(file, until: deadline) }
            }
        }
    }

    /// Runs `work` holding the execute gate, so that no execute changes files meanwhile.
    private func inTurn<T: Sendable>(_ work: @Sendable () async throws(GoogleError) -> T) async throws(GoogleError) -> T {
        do {
            return try await gate.withTurn { () async throws -> T in try await work() }
        } catch let error as GoogleError {
            throw error
        } catch {
            throw GoogleError(.internal, "snapshot file work failed: \(error)")
        }
    }
}
