import ArgumentParser
import Foundation
import HarnessCore
import HarnessHTTP
import Logging
import Orchestration
import SandboxEmulator

/// Which server `run` and `load` talk to, and how.
struct TargetOptions: ParsableArguments {
    @Option(help: "emulator (start the embedded emulator on a free loopback port), a URL such as http://127.0.0.1:8080, or vertex.")
    var target: TargetName = .emulator

    @Option(help: "Reuse this agent engine (projects/…/reasoningEngines/ID) instead of creating and deleting one.")
    var engine: String?

    @OptionGroup var connection: ConnectionOptions

    /// Validates every option now, so usage errors exit 2 before anything runs.
    func validate() throws {
        try connection.validate(target: target, flag: "--target")
    }

    /// An orchestrator for these options; `run` and `load` stop cleanly on SIGINT/SIGTERM.
    func orchestrator() throws -> Orchestrator {
        var configuration = try connection.configuration(target: target, flag: "--target")
        configuration.engine = engine
        return Orchestrator(target: configuration, embedded: try connection.embeddedEmulator(), interruption: .signals)
    }
}

/// How to reach a target once chosen: project, location, credentials, limits, and the embedded emulator's settings.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Google Cloud project (with vertex, or the path prefix for other targets).")
    var project: String?

    @Option(help: "Location, e.g. us-central1.")
    var location: String = "us-central1"

    @Option(help: "API version path segment.")
    var apiVersion: String = "v1beta1"

    @Option(
        help: "Bearer token for the target (default for vertex: $SANDBENCH_ACCESS_TOKEN, $GOOGLE_APPLICATION_CREDENTIALS, then gcloud).")
    var accessToken: String?

    @Option(help: "Limit for each HTTP request.")
    var requestTimeout = FlagDuration(.seconds(330), text: "330s")

    @Option(help: "Limit for waiting on a long-running operation (sandbox creation).")
    var pollTimeout = FlagDuration(.seconds(300), text: "300s")

    @Option(help: "Attempts per request for 429/503 and connect errors (1 = no retries); waits as Retry-After says, else backs off.")
    var retries: Int = 1

    @Option(help: "Largest response body accepted, in bytes (1024...17179869184); a larger one is a protocol error.")
    var maxResponseBytes: Int = CurlTransport.Configuration.defaultMaxResponseBytes

    @Option(
        help: """
            Client for plain http:// to an IP address: builtin (an HTTP/1.1 client that costs a fraction of \
            libcurl's CPU per request) or curl; https, host names and proxies always use libcurl.
            """)
    var httpClient: HTTPClientChoice = .builtin

    @OptionGroup(title: "Embedded emulator") var emulator: EmulatorOptions

    /// Validates every option now, so usage errors exit 2 before anything runs.
    func validate(target: TargetName, flag: String) throws {
        _ = try configuration(target: target, flag: flag)
        _ = try emulator.configuration()
        guard (1...100).contains(retries) else { throw ValidationError("--retries must be 1...100") }
        guard (1024...(1 << 34)).contains(maxResponseBytes) else {
            throw ValidationError("--max-response-bytes must be 1024...17179869184")
        }
    }

    /// The target named by `text` (a flag that also takes other things, such as parity's `--reference`).
    static func targetName(_ text: String, flag: String) throws -> TargetName {
        guard let name = TargetName(parsing: text) else {
            throw ValidationError("\(flag) must be emulator, vertex or an http(s):// URL, not \"\(text.prefix(200))\"")
        }
        return name
    }

    /// The target `target` with these options, for the orchestrator.
    func configuration(target: TargetName, flag: String) throws -> TargetConfiguration {
        let kind: TargetConfiguration.Kind
        do { kind = try target.kind(project: project, flag: flag) } catch { throw ValidationError(error.message) }
        var configuration = TargetConfiguration(kind: kind)
        configuration.project = project ?? "sandbench"
        configuration.location = location
        configuration.apiVersion = apiVersion
        configuration.accessToken = accessToken
        configuration.requestTimeout = requestTimeout.duration
        configuration.pollTimeout = pollTimeout.duration
        configuration.retries = retries
        configuration.maxResponseBytes = maxResponseBytes
        configuration.builtInHTTP1 = httpClient == .builtin
        configuration.environment = ProcessInfo.processInfo.environment
        return configuration
    }

    /// The embedded emulator, shaped by the emulator options, on a free loopback port.
    func embeddedEmulator() throws -> EmbeddedEmulator {
        var configuration = try emulator.configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        return EmbeddedEmulator(configuration: configuration)
    }
}

/// The emulator started inside this process for `--target emulator`, quiet but for critical errors.
struct EmbeddedEmulator: EmbeddedTarget {
    var configuration: EmulatorConfiguration

    func withBaseURL<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        var logger = Logger(label: "sandbench.emulator")
        logger.logLevel = .critical
        return try await Emulator.withRunningEmulator(configuration: configuration, logger: logger) { emulator in
            // The fault counts go to stderr also when the run fails.
            defer { if let faults = emulator.faults?.report { FileHandle.standardError.write(Data(faults.consoleText.utf8)) } }
            return try await body(emulator.baseURL)
        }
    }
}

/// Scenario variables: the environment, overridden by `--var NAME=VALUE` pairs.
func commandLineVariables(_ pairs: [String]) -> Variables {
    var values = ProcessInfo.processInfo.environment
    for pair in pairs {
        let parts = pair.split(separator: "=", maxSplits: 1)
        values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return Variables(values)
}
