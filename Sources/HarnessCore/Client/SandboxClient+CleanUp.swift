extension SandboxClient {
    /// How a clean-up delete ended.
    public enum CleanUpDeletion: Sendable, Equatable {
        /// The server deleted the sandbox (200).
        case deleted
        /// The sandbox was already gone (404).
        case gone
        /// It may still exist; the reason, e.g. `HTTP 503`.
        case failed(String)
    }

    /// Attempts of a clean-up delete, the first included.
    public static let cleanUpAttempts = 3

    /// Deletes a sandbox a run created, retrying what may pass on a second try: a 429 or 5xx, or a
    /// connection that failed or was reset. DELETE is idempotent (a repeat answers 404), so this is
    /// safe even when `--retries` is 1, and a flaky server does not turn into leaked sandboxes. A
    /// timeout is not retried, so a server that never answers costs one request timeout.
    public func deleteForCleanUp(_ name: String) async -> CleanUpDeletion {
        var problem = ""
        for attempt in 1...Self.cleanUpAttempts {
            do {
                let response = try await call("DELETE", name)
                switch response.status {
                case 200: return .deleted
                case 404: return .gone
                case 429, 500...599: problem = "HTTP \(response.status)"
                default: return .failed("HTTP \(response.status)")
                }
            } catch {
                problem = "\(error)"
                if case .transport(let transport) = error, transport.kind == .timeout || transport.kind == .cancelled {
                    return .failed(problem)
                }
            }
            if attempt < Self.cleanUpAttempts {
                // Clean-up runs in a task of its own, so a Ctrl-C does not cut this short.
                try? await Task.sleep(for: .milliseconds(100 << (attempt - 1)))
            }
        }
        return .failed(problem)
    }
}
