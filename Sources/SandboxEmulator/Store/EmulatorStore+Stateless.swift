import SandboxAPI

/// Workers lent to `{engine}:executeCode`: a fresh Python worker per call, never a sandbox resource,
/// destroyed after the call (and at shutdown if a call is still out).
extension EmulatorStore {
    /// A fresh Python worker with the default machine shape, counted against ``EmulatorConfiguration/maxSandboxes``.
    func takeThrowaway(engine: String) async throws(GoogleError) -> SandboxProcess {
        guard !closed else { throw GoogleError(.unavailable, "The emulator is shutting down.") }
        guard engines[engine] != nil else { throw Self.engineNotFound(engine) }
        guard sandboxes.count + throwaways.count < configuration.maxSandboxes else {
            throw GoogleError(
                .resourceExhausted,
                "Quota exceeded: at most \(configuration.maxSandboxes) sandbox environments "
                    + "(stateless executions included) may exist at once in this emulator.")
        }
        let process: SandboxProcess
        do {
            process = try await pool.take(.python)
        } catch {
            throw GoogleError(.unavailable, "No sandbox could be started for the stateless execution: \(error)")
        }
        guard !closed else {
            await factory.destroy(process)
            throw GoogleError(.unavailable, "The emulator is shutting down.")
        }
        process.apply(.unspecified)
        throwaways[ObjectIdentifier(process)] = process
        return process
    }

    /// Destroys a worker lent by ``takeThrowaway(engine:)``.
    func discardThrowaway(_ process: SandboxProcess) async {
        throwaways.removeValue(forKey: ObjectIdentifier(process))
        await factory.destroy(process)
    }

    func discardThrowaways() async {
        let out = Array(throwaways.values)
        throwaways = [:]
        for process in out { await factory.destroy(process) }
    }

    /// Workers out for stateless executes (for tests).
    var throwawayCount: Int { throwaways.count }
}
