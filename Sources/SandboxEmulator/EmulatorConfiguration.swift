import Foundation
import SandboxAPI

/// Everything that shapes an emulator instance; the defaults serve the Vertex API on a free loopback port.
public struct EmulatorConfiguration: Sendable {
    /// Address to bind (loopback by default). Any other address needs ``authToken`` and bubblewrap isolation.
    public var host = "127.0.0.1"
    /// When set, every request must carry `Authorization: Bearer <authToken>`, else 401 UNAUTHENTICATED.
    public var authToken: String?
    /// Port to bind; 0 picks a free one.
    public var port = 0
    /// Per-execute wall-clock limit; the code is interrupted at the deadline and the sandbox keeps its state.
    public var executeTimeout: Duration = .seconds(300)
    /// Time interrupted code gets to stop before its worker is killed (the sandbox then terminates).
    public var killGrace: Duration = .seconds(2)
    /// Bytes of stdout and of stderr returned per execute; the rest is cut with a note.
    public var maxOutputBytes = 1 << 20
    /// Decoded file bytes accepted per request and returned per response (Vertex documents 100 MB).
    public var maxFileBytes = 100_000_000
    /// Ready workers kept per language, at least (the warm pool's minimum).
    public var warmPool: [SandboxLanguage: Int] = [.python: 2, .javascript: 1]
    /// Ready workers kept per language at most, when the rate of creates calls for more than the
    /// minimum (never below ``warmPool``'s figure).
    public var warmPoolMaximum: [SandboxLanguage: Int] = [.python: 32, .javascript: 4]
    /// Start Python sandboxes from a fork server (a "zygote": a root interpreter with the worker
    /// imported, which forks each sandbox into its uid, namespaces and cgroups) rather than through
    /// the exec chain. Used only with bubblewrap isolation as root; JavaScript always uses the chain.
    public var zygote = true
    /// How often expired sandboxes are reaped.
    public var reapInterval: Duration = .milliseconds(250)
    /// Where workdirs, logs and worker programs live; default: a fresh folder under the temp dir.
    public var stateDirectory: String?
    /// The isolation method to use, exactly (nil: the strongest available); start-up fails if it is unavailable.
    public var isolation: IsolationProfile.Method?
    /// Per-sandbox process and file limits.
    public var limits = SandboxLimits()
    /// Fixed latency added to every response (for checking a harness's timing).
    public var injectedLatency: Duration = .zero
    /// Uniform random extra latency in [0, jitter) added to every response.
    public var injectedJitter: Duration = .zero
    /// Most requests served at once (nil: no limit); the others wait in arrival order. With
    /// ``injectedLatency`` this gives the emulator a known capacity, limit / latency requests per second.
    public var maxConcurrentRequests: Int?
    /// Faults injected into API responses (errors, delays, resets, slow and truncated bodies); nil: none.
    /// A running emulator's plan can be replaced through ``EmulatorInfo/faults``.
    public var faults: FaultPlan?
    /// Most sandboxes alive at once; creates beyond it get 429 RESOURCE_EXHAUSTED.
    public var maxSandboxes = 1000
    /// The runtime image Python sandboxes see read-only (pandas, numpy, matplotlib, …); by default the
    /// current manifest's image from ``imageStore`` if one is built, else none.
    public var image: ImageSelection = .automatic
    /// The folder of built images; nil: ``ImageStore/defaultDirectory(environment:)``.
    public var imageStore: String?
    /// Operations kept for polling and listing; beyond this the oldest are forgotten (GET answers 404).
    public var maxOperations = 20_000
    /// How long a create waits for a cold worker before it answers with a running operation.
    public var provisioningWait: Duration = .milliseconds(250)
    /// How long a pause, resume or delete request waits for its transition to finish before it
    /// answers with a running operation (the client then polls). Zero answers at once.
    public var transitionWait: Duration = .seconds(1)
    /// Bytes of sandbox-snapshot data kept at once (each snapshot holds at most ``maxFileBytes``).
    public var maxSnapshotStorageBytes = 1 << 30

    /// The defaults: loopback, an ephemeral port, no token, no faults and the automatic image.
    public init() {}
}

extension EmulatorConfiguration {
    /// The configuration with every duration held to what the emulator can schedule: 0…100 years
    /// (the longest a flag accepts), and at least 1 ms between reaper passes. Durations beyond
    /// `Int64.max` seconds would otherwise trap when split or slept on.
    var bounded: EmulatorConfiguration {
        let longest = Duration.nanoseconds(HumanDuration.maxNanoseconds)
        var copy = self
        copy.executeTimeout = executeTimeout.clamped(to: longest)
        copy.killGrace = killGrace.clamped(to: longest)
        copy.reapInterval = Swift.max(reapInterval.clamped(to: longest), .milliseconds(1))
        copy.injectedLatency = injectedLatency.clamped(to: longest)
        copy.injectedJitter = injectedJitter.clamped(to: longest)
        copy.transitionWait = transitionWait.clamped(to: longest)
        copy.provisioningWait = provisioningWait.clamped(to: longest)
        return copy
    }

    /// Each language's warm pool bounds: ``warmPool`` up to ``warmPoolMaximum`` (at least the minimum).
    var warmPoolBounds: [SandboxLanguage: ClosedRange<Int>] {
        var bounds: [SandboxLanguage: ClosedRange<Int>] = [:]
        for language in SandboxLanguage.allCases {
            let low = max(0, warmPool[language] ?? 0)
            bounds[language] = low...max(low, warmPoolMaximum[language] ?? low)
        }
        return bounds
    }

    /// Whether ``host`` is a loopback address (127.0.0.0/8, ::1 or `localhost`).
    package var bindsLoopbackOnly: Bool { Self.isLoopback(host) }

    /// Whether `host` names a loopback address.
    package static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "[::1]" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// The emulator refuses to serve a non-loopback address without a token or with weak isolation.
public struct RemoteBindRefused: Error, Sendable, CustomStringConvertible {
    /// Why, and what to do.
    public var reason: String
    /// The reason, for logs and the console.
    public var description: String { reason }
}
