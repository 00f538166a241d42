import Foundation
package import HarnessCassettes
import Hummingbird
package import Logging
import NIOCore
import NIOPosix
import SandboxAPI
import ServiceLifecycle
import Synchronization

/// A recording reverse proxy: clients talk to it as they would to the service, every exchange is
/// forwarded upstream and answered with the upstream's response, and the exchanges become a
/// ``Cassette`` when the proxy stops.
///
/// ```swift
/// let (status, cassette) = try await RecordingProxy.withProxy(upstream: upstream) { baseURL in
///     try await runClient(against: baseURL)
/// }
/// try cassette.yaml().write(toFile: "session.yaml", atomically: true, encoding: .utf8)
/// ```
///
/// Bodies are read whole (up to ``RecordingConfiguration/maxBodyBytes``) before they are passed on
/// in either direction, so what is recorded is exactly what travelled.
package enum RecordingProxy {
    /// Serves until the task is cancelled or, with `shutdownSignals`, SIGINT/SIGTERM arrives; gives
    /// requests in flight up to ``RecordingConfiguration/shutdownGrace`` to finish, then returns
    /// what was recorded.
    /// - Parameter onReady: called once with the base URL (`http://HOST:PORT`) when connections are accepted.
    /// - Throws: when the server could not start (e.g. the address cannot be bound).
    package static func serve(
        configuration: RecordingConfiguration = RecordingConfiguration(),
        upstream: Upstream,
        logger: Logger,
        shutdownSignals: Bool,
        onReady: @escaping @Sendable (String) -> Void
    ) async throws -> Cassette {
        signal(SIGPIPE, SIG_IGN)
        let recordedAt = ProtoTimestamp.format(Date().timeIntervalSince1970)
        let (exchanges, recorder) = AsyncStream.makeStream(of: RawExchange.self)
        // The cassette is built off the request path, in a task of its own so that cancelling the
        // server does not cut recording short.
        let building = Task {
            var builder = CassetteBuilder(
                upstream: upstream.description, recordedAt: recordedAt, inlineLimit: configuration.inlineLimit,
                keepBodies: configuration.keepBodies)
            if let token = try? await upstream.credentials?.accessToken() { builder.learnSecret(token) }
            for await exchange in exchanges { builder.add(exchange) }
            return builder
        }
        let served = Atomic<Bool>(false)
        let responder = ProxyResponder(upstream: upstream, configuration: configuration, recorder: recorder, start: .now)
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sandbench-record"),
            onServerRunning: { channel in
                served.store(true, ordering: .releasing)
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                onReady("http://\(host):\(port)")
            },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: logger
        )
        var group = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: shutdownSignals ? [.sigterm, .sigint] : [],
            logger: logger)
        // Requests still in flight when a signal arrives get this long to finish, then are cut off.
        group.maximumGracefulShutdownDuration = configuration.shutdownGrace
        let outcome: Result<Void, any Error>
        do {
            try await ServiceGroup(configuration: group).run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        recorder.finish()
        var builder = await building.value
        // A token fetched after the first request (a refresh) is a secret too.
        if let token = try? await upstream.credentials?.accessToken() { builder.learnSecret(token) }
        // Once it served, whatever stopped the server, what was recorded is kept.
        if !served.load(ordering: .acquiring) { try outcome.get() }
        return builder.cassette()
    }

    /// Starts a proxy, runs `body` with its base URL, then stops the proxy and returns `body`'s
    /// result with the cassette of every exchange `body` caused.
    package static func withProxy<T: Sendable>(
        configuration: RecordingConfiguration = RecordingConfiguration(),
        upstream: Upstream,
        logger: Logger = Logger(label: "sandbench.record"),
        _ body: @Sendable (_ baseURL: String) async throws -> T
    ) async throws -> (T, Cassette) {
        let (ready, readyContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        return try await withThrowingTaskGroup(of: Cassette?.self) { group in
            group.addTask {
                try await serve(configuration: configuration, upstream: upstream, logger: logger, shutdownSignals: false) { baseURL in
                    readyContinuation.yield(baseURL)
                    readyContinuation.finish()
                }
            }
            var iterator = ready.makeAsyncIterator()
            guard let baseURL = await iterator.next() else {
                while let result = try await group.next() { _ = result }
                throw CassetteError(.io, "the recording proxy stopped before it was ready")
            }
            let result: T
            do {
                result = try await body(baseURL)
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
            group.cancelAll()
            guard let cassette = try await group.next() ?? nil else { throw CassetteError(.io, "the recording proxy returned no cassette") }
            return (result, cassette)
        }
    }
}
