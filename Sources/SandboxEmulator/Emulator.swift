import Foundation
import Hummingbird
public import Logging
import NIOCore
import NIOPosix
import SandboxAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The local Vertex AI code-execution emulator: a REST server whose sandboxes run real, isolated
/// Python and JavaScript workers.
///
/// ```swift
/// try await Emulator.withEmulator { baseURL in
///     // talk to "\(baseURL)/v1beta1/projects/p/locations/l/reasoningEngines"
/// }
/// ```
public enum Emulator {
    /// Starts an emulator, runs `body` with its base URL (`http://127.0.0.1:PORT`), then stops it and
    /// removes every sandbox, also when `body` throws or the task is cancelled.
    public static func withEmulator<T: Sendable>(
        configuration: EmulatorConfiguration = EmulatorConfiguration(),
        logger: Logger = Logger(label: "sandbench.emulator"),
        _ body: @Sendable (_ baseURL: String) async throws -> T
    ) async throws -> T {
        try await withRunningEmulator(configuration: configuration, logger: logger) { info in try await body(info.baseURL) }
    }

    /// ``withEmulator(configuration:logger:_:)`` that hands `body` the whole ``EmulatorInfo``
    /// (for instance to read or replace its fault plan).
    public static func withRunningEmulator<T: Sendable>(
        configuration: EmulatorConfiguration = EmulatorConfiguration(),
        logger: Logger = Logger(label: "sandbench.emulator"),
        _ body: @Sendable (_ emulator: EmulatorInfo) async throws -> T
    ) async throws -> T {
        let (ready, readyContinuation) = AsyncStream.makeStream(of: EmulatorInfo.self, bufferingPolicy: .bufferingNewest(1))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                // Finished on every path: a server that fails before listening must not leave the wait below hanging.
                defer { readyContinuation.finish() }
                try await serve(configuration: configuration, logger: logger, shutdownSignals: false) { info in
                    readyContinuation.yield(info)
                    readyContinuation.finish()
                }
                return nil
            }
            var iterator = ready.makeAsyncIterator()
            guard let info = await iterator.next() else {
                // The server task ended before listening: surface its error.
                while let result = try await group.next() { _ = result }
                throw EmulatorError(message: "the emulator stopped before it was ready")
            }
            do {
                let result = try await body(info)
                group.cancelAll()
                try? await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// Serves until cancelled (or SIGINT/SIGTERM when `shutdownSignals`), calling `onReady` once it accepts connections.
    /// Default state directories are `TMPDIR/sandbench-emulator-PID-RANDOM`.
    static let stateDirectoryPrefix = "sandbench-emulator-"

    /// Removes default state directories (workdirs, logs) of emulators that died without cleaning up.
    static func removeStaleStateDirectories() {
        let temporary = NSTemporaryDirectory()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where entry.hasPrefix(stateDirectoryPrefix) {
            let fields = entry.dropFirst(stateDirectoryPrefix.count).split(separator: "-")
            guard fields.count == 2, let owner = pid_t(fields[0]), !IsolationProfile.isAlive(owner) else { continue }
            try? FileManager.default.removeItem(atPath: temporary + entry)
        }
    }

    package static func serve(
        configuration: EmulatorConfiguration,
        logger: Logger,
        shutdownSignals: Bool,
        onReady: @escaping @Sendable (EmulatorInfo) -> Void
    ) async throws {
        let configuration = configuration.bounded
        signal(SIGPIPE, SIG_IGN)
        if !configuration.bindsLoopbackOnly, (configuration.authToken ?? "").isEmpty {
            throw RemoteBindRefused(reason: "binding \(configuration.host), which is not loopback, needs a bearer token (authToken)")
        }
        let stateDirectory =
            configuration.stateDirectory
            ?? (NSTemporaryDirectory() + "\(Self.stateDirectoryPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        // The probe runs helper programs and waits for them: keep it off the cooperative pool.
        let required = configuration.isolation
        let images = ImageStore(directory: configuration.imageStore ?? ImageStore.defaultDirectory())
        let (profile, image) = try await withCheckedThrowingContinuation {
            (done: CheckedContinuation<(IsolationProfile, RuntimeImage?), any Error>) in
            DispatchQueue.global().async {
                if configuration.stateDirectory == nil { Self.removeStaleStateDirectories() }
                done.resume(
                    with: Result {
                        let profile = try IsolationProfile.probe(stateDirectory: stateDirectory, required: required)
                        return (profile, try images.resolve(configuration.image, python: profile.pythonPath))
                    })
            }
        }
        if !configuration.bindsLoopbackOnly, profile.method != .bubblewrap {
            throw RemoteBindRefused(
                reason: "binding \(configuration.host), which is not loopback, needs bubblewrap isolation; "
                    + "this host has \(profile.method.rawValue) (install bubblewrap, or bind 127.0.0.1)")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let factory = try SandboxFactory(
            profile: profile, stateDirectory: stateDirectory, limits: configuration.limits,
            maxOutputBytes: configuration.maxOutputBytes, image: image, group: group, logger: logger)
        let sandboxStart = await Self.startZygote(factory, configuration: configuration, logger: logger)
        let pool = WarmPool(factory: factory, bounds: configuration.warmPoolBounds, logger: logger)
        // What is in force, measured in a sandbox started like any other; it then joins the warm pool.
        let (measured, probe) = await factory.probe()
        if let probe { await pool.adopt(probe) }
        let store = EmulatorStore(pool: pool, factory: factory, configuration: configuration, logger: logger)
        let settings = ExecutionSettings(
            timeout: configuration.executeTimeout, killGrace: configuration.killGrace,
            maxOutputBytes: configuration.maxOutputBytes, maxReturnedBytes: configuration.maxFileBytes)
        let faults = configuration.faults.map(FaultInjector.init(plan:))
        let responder = EmulatorResponder(
            store: store, configuration: configuration, executionSettings: settings, logger: logger,
            faults: faults, limiter: configuration.maxConcurrentRequests.map(RequestLimiter.init(limit:)))
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sandbench-emulator"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                onReady(
                    EmulatorInfo(
                        baseURL: "http://\(host):\(port)", port: port, isolation: profile, measured: measured, sandboxStart: sandboxStart,
                        stateDirectory: stateDirectory, faults: faults, image: image, imageStore: images.directory))
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger
        )
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let outcome: Result<Void, any Error>
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await pool.run() }
                tasks.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: configuration.reapInterval)
                        await store.reapExpired()
                    }
                }
                tasks.addTask {
                    // A graceful shutdown waits for requests in flight; an execute running long code
                    // would hold it for minutes, so cancellation kills the sandboxes first.
                    try await withTaskCancellationHandler {
                        try await app.runService(gracefulShutdownSignals: shutdownSignals ? [.sigterm, .sigint] : [])
                    } onCancel: {
                        factory.killAll()
                    }
                }
                // When the server stops (signal or cancellation), stop the helpers too.
                _ = try await tasks.next()
                tasks.cancelAll()
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // The serving task may be cancelled by now; clean up in a task of its own so nothing is skipped.
        await Task {
            await store.shutdown()
            await pool.close()
            factory.stopZygote()
            profile.removeCgroups()
        }.value
        try outcome.get()
    }
}

extension Emulator {
    /// Starts the Python fork server when it is asked for and the isolation allows it (bubblewrap
    /// as root); returns the start-up line saying how sandboxes are started.
    static func startZygote(_ factory: SandboxFactory, configuration: EmulatorConfiguration, logger: Logger) async -> String {
        let chain = "javascript (and python without a zygote) through the exec chain"
        guard configuration.zygote else { return "python and javascript through the exec chain (the zygote is off)" }
        guard factory.profile.method == .bubblewrap, factory.profile.uidPerSandbox else {
            return "python and javascript through the exec chain (a zygote needs bubblewrap isolation as root)"
        }
        let started = await withCheckedContinuation { (done: CheckedContinuation<Result<Zygote, any Error>, Never>) in
            DispatchQueue.global().async { done.resume(returning: Result { try factory.startZygote() }) }
        }
        switch started {
        case .success(let zygote):
            return "python forked by a zygote (pid \(zygote.pid), \(zygote.imported.count) modules pre-imported; "
                + "namespaces, filesystem view and uid drop as bubblewrap's); \(chain)"
        case .failure(let error):
            logger.error("the Python zygote did not start: \(error)")
            return "python and javascript through the exec chain (THE ZYGOTE DID NOT START: \(error))"
        }
    }
}

/// Where a running emulator listens and how it isolates code.
public struct EmulatorInfo: Sendable {
    /// `http://HOST:PORT`, without a trailing slash.
    public var baseURL: String
    /// The TCP port the emulator listens on.
    public var port: Int
    /// How sandboxes are wrapped (what was set up).
    public var isolation: IsolationProfile
    /// What a probe sandbox showed to be in force at start-up.
    package var measured: MeasuredIsolation
    /// How sandboxes are started: forked by the Python zygote, or through the exec chain (and why).
    package var sandboxStart: String
    /// The folder for workdirs and logs; a default one in TMPDIR is removed when the emulator stops.
    public var stateDirectory: String
    /// The live fault plan (counters, replacement), when the emulator was started with one.
    public var faults: FaultInjector?
    /// The runtime image Python sandboxes see, nil for none.
    package var image: RuntimeImage?
    /// The folder of built images the emulator looked in.
    package var imageStore: String

    /// One line for the start-up banner: the image in force, or none and how to build one.
    package var imageSummary: String {
        if let image { return image.summary }
        return "none: sandboxes have Python's standard library only (no pandas, numpy, matplotlib); "
            + "`sandbench image build` installs the standard image into \(imageStore)"
    }
}

/// An emulator that could not start or serve.
public struct EmulatorError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The message, for logs and the console.
    public var description: String { message }
}
