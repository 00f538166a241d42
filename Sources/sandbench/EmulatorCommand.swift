import ArgumentParser
import Foundation
import Logging
import SandboxAPI
import SandboxEmulator

/// Options that shape the embedded or standalone emulator.
struct EmulatorOptions: ParsableArguments {
    @Option(help: "Per-execute time limit; the code is interrupted at the deadline and the sandbox keeps its state.")
    var executeTimeout = FlagDuration(.seconds(300), text: "300s")

    @Option(help: "Bytes of stdout and of stderr returned per execute (the rest is cut with a note).")
    var maxOutputBytes: Int = 1 << 20

    @Option(help: "Ready Python workers kept warm, at least.")
    var warmPython: Int = 2

    @Option(help: "Ready Python workers kept warm at most, as the rate of creates calls for (at least --warm-python).")
    var warmPythonMax: Int = 32

    @Option(help: "Ready JavaScript workers kept warm, at least.")
    var warmJavascript: Int = 1

    @Option(help: "Ready JavaScript workers kept warm at most, as the rate of creates calls for (at least --warm-javascript).")
    var warmJavascriptMax: Int = 4

    @Flag(
        inversion: .prefixedNo,
        help: "Fork Python sandboxes from a zygote (bubblewrap isolation as root only); --no-zygote uses the exec chain.")
    var zygote = true

    @Option(help: "Latency added to every response, e.g. 20ms (for checking a harness's timing).")
    var injectLatency = FlagDuration(.zero, text: "0ms")

    @Option(help: "Uniform random extra latency up to this, e.g. 5ms.")
    var injectJitter = FlagDuration(.zero, text: "0ms")

    @Option(help: "Most requests served at once; the others wait in arrival order (with --inject-latency: a known capacity).")
    var maxConcurrentRequests: Int?

    @Option(
        help: ArgumentHelp(
            "Inject faults (errors, latency, resets, slow and truncated bodies) as FILE says; see docs/faults.md.",
            discussion: "`sandbench emulator` reads FILE again on SIGHUP.", valueName: "file"))
    var faults: String?

    @Option(help: "Isolation to use, exactly (default: the strongest this host offers); unavailable means exit 2.")
    var isolation: IsolationProfile.Method?

    @Option(
        help: ArgumentHelp(
            "The runtime image Python sandboxes see read-only: auto (the full or standard image if built), none, "
                + "standard, full, or an image's directory; a named one that is not built means exit 2. "
                + "Images are looked for in $SANDBENCH_IMAGES (see `sandbench image list`).", valueName: "image"))
    var image: String = "auto"

    func configuration() throws -> EmulatorConfiguration {
        var config = EmulatorConfiguration()
        config.executeTimeout = executeTimeout.duration
        config.injectedLatency = injectLatency.duration
        config.injectedJitter = injectJitter.duration
        if let maxConcurrentRequests {
            guard (1...100_000).contains(maxConcurrentRequests) else {
                throw ValidationError("--max-concurrent-requests must be 1...100000")
            }
            config.maxConcurrentRequests = maxConcurrentRequests
        }
        guard (1...(256 << 20)).contains(maxOutputBytes) else { throw ValidationError("--max-output-bytes must be 1...\(256 << 20)") }
        config.maxOutputBytes = maxOutputBytes
        guard (0...256).contains(warmPython), (0...256).contains(warmJavascript) else {
            throw ValidationError("--warm-python and --warm-javascript must be 0...256")
        }
        guard (0...256).contains(warmPythonMax), (0...256).contains(warmJavascriptMax) else {
            throw ValidationError("--warm-python-max and --warm-javascript-max must be 0...256")
        }
        config.warmPool = [.python: warmPython, .javascript: warmJavascript]
        config.warmPoolMaximum = [.python: warmPythonMax, .javascript: warmJavascriptMax]
        config.zygote = zygote
        if let faults {
            do {
                config.faults = try FaultPlan.load(path: faults)
            } catch {
                throw ValidationError("--faults: the fault file cannot be used:\n\(error.description)")
            }
        }
        if let isolation { config.isolation = isolation }
        switch image {
        case "auto": config.image = .automatic
        case "none": config.image = .none
        case let name where RuntimeImage.Profile(rawValue: name) != nil:
            config.image = RuntimeImage.Profile(rawValue: name).map(ImageSelection.profile) ?? .automatic
        case let path where path.contains("/") && !path.contains("\0"):
            config.image = .directory(path)
        default:
            throw ValidationError(
                "--image must be auto, none, standard, full or an image's directory (a path with a /), not \"\(image.prefix(64))\"")
        }
        return config
    }
}

/// `sandbench emulator`: serve the Vertex code-execution API locally until SIGINT/SIGTERM.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve the Vertex AI code-execution REST API on loopback, running code in isolated sandboxes."
    )

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to bind (0 picks a free port).")
    var port: Int = 8080

    @Flag(help: "Allow binding an address other than loopback (needs bubblewrap; every request then needs the bearer token).")
    var allowRemote = false

    @Option(help: "Bearer token every request must carry (default: none on loopback; generated and printed once with --allow-remote).")
    var authToken: String?

    @OptionGroup var options: EmulatorOptions

    @Flag(help: "Log every request and sandbox event to stderr.")
    var verbose = false

    func run() async throws {
        var config = try options.configuration()
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        config.host = host
        config.port = port
        if !config.bindsLoopbackOnly, !allowRemote {
            throw ValidationError("--host \(host) is not a loopback address: add --allow-remote (every request then needs a bearer token)")
        }
        if let authToken, authToken.isEmpty || authToken.utf8.count > 4096 || authToken.contains(where: { $0.isWhitespace }) {
            throw ValidationError("--auth-token must be 1 to 4096 characters without spaces")
        }
        config.authToken = authToken
        if !config.bindsLoopbackOnly, authToken == nil {
            var generator = SystemRandomNumberGenerator()
            let hex = Array("0123456789abcdef")
            let token = String((0..<64).map { _ in hex[Int(truncatingIfNeeded: generator.next() & 0xf)] })
            config.authToken = token
            FileHandle.standardError.write(Data("auth token (send as 'Authorization: Bearer TOKEN'; shown once): \(token)\n".utf8))
        }
        var logger = Logger(label: "sandbench.emulator")
        logger.logLevel = verbose ? .debug : .warning
        let reloads = options.faults.map(FaultReloads.init(path:))
        do {
            try await serve(config, logger: logger, reloads: reloads)
        } catch let error as IsolationUnavailable {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        } catch let error as RemoteBindRefused {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        } catch let error as ImageUnavailable {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let report = reloads?.report { FileHandle.standardError.write(Data(report.consoleText.utf8)) }
    }

    private func serve(_ config: EmulatorConfiguration, logger: Logger, reloads: FaultReloads?) async throws {
        FileHandle.standardError.write(Data("sandbench \(SandbenchVersion.current) emulator\n".utf8))
        try await Emulator.serve(configuration: config, logger: logger, shutdownSignals: true) { info in
            reloads?.arm(info.faults)
            FileHandle.standardError.write(Data("isolation: \(info.isolation.summary)\n".utf8))
            FileHandle.standardError.write(Data("in force (measured in a probe sandbox): \(info.measured.summary)\n".utf8))
            FileHandle.standardError.write(Data("sandbox start: \(info.sandboxStart)\n".utf8))
            FileHandle.standardError.write(Data("image: \(info.imageSummary)\n".utf8))
            if let faults = info.faults?.report, let path = options.faults {
                FileHandle.standardError.write(Data("faults: \(faults.rulesSummary) from \(path), seed \(faults.seed)\n".utf8))
            }
            FileHandle.standardOutput.write(Data("listening on \(info.baseURL)\n".utf8))
        }
    }
}
