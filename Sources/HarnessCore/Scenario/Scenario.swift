public import SandboxAPI

/// Where something was written in a scenario file, for error messages (`file:line:column`).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A scenario file: one or more named scenarios.
public struct ScenarioFile: Sendable {
    /// Path as given on the command line.
    public var path: String
    public var scenarios: [Scenario]

    public init(path: String, scenarios: [Scenario]) {
        self.path = path
        self.scenarios = scenarios
    }
}

/// How a scenario's sandbox is created.
public struct SandboxTemplate: Sendable, Hashable {
    public var language: CodeLanguage = .python
    public var machineConfig: MachineConfig = .unspecified
    public var displayName: String?
    /// Time to live, e.g. `600s`.
    public var ttl: Duration?
    /// A snapshot to restore (`sandboxEnvironmentSnapshot`), e.g. `${snap}` saved from a `{sandbox}:snapshot` request.
    public var snapshot: String?
    /// A sandbox template to create from (`sandboxEnvironmentTemplate`).
    public var template: String?
    /// The owner; a restore must give the snapshot's.
    public var owner: String?

    public init(language: CodeLanguage = .python, machineConfig: MachineConfig = .unspecified, displayName: String? = nil, ttl: Duration? = nil) {
        self.language = language
        self.machineConfig = machineConfig
        self.displayName = displayName
        self.ttl = ttl
    }
}

/// One named sandbox lifecycle: steps run in order against one target.
public struct Scenario: Sendable {
    public var name: String
    public var tags: [String]
    public var sandbox: SandboxTemplate
    public var steps: [Step]
    /// Marked `skip: true` (or with a reason) in the file.
    public var skip: String?
    /// Workload for `sandbench load`, when the file declares one.
    public var load: LoadPlan?
    public var location: SourceLocation

    public init(name: String, tags: [String] = [], sandbox: SandboxTemplate = SandboxTemplate(), steps: [Step],
                skip: String? = nil, load: LoadPlan? = nil, location: SourceLocation) {
        self.name = name
        self.tags = tags
        self.sandbox = sandbox
        self.steps = steps
        self.skip = skip
        self.load = load
        self.location = location
    }
}

/// A file sent into a sandbox with an execute step (content already resolved at load time).
public struct FileInput: Sendable, Hashable {
    /// Largest generated (`random:`) file: the API's 100 MB limit per request.
    public static let maxRandomBytes = 100_000_000

    /// Name inside the sandbox; may contain `${var}`.
    public var name: String
    public var content: [UInt8]
    /// Text contents are interpolated at run time; base64 and path contents are sent as they are.
    public var isText: Bool
    public var mimeType: String?

    public init(name: String, content: [UInt8], isText: Bool, mimeType: String? = nil) {
        self.name = name
        self.content = content
        self.isText = isText
        self.mimeType = mimeType
    }
}

/// What a `wait` step polls for.
public enum WaitCondition: Sendable, Hashable {
    /// The sandbox reaches this state.
    case state(SandboxState)
    /// `GET` of the sandbox answers this HTTP status (e.g. 404 after expiry).
    case httpStatus(Int)
}

/// What a step does.
public enum StepAction: Sendable {
    /// Create the scenario's sandbox (or one described here) and wait until it is running.
    case create(SandboxTemplate?)
    /// Run code (with files) in the current sandbox, or the named one.
    case execute(code: String, files: [FileInput], sandbox: String? = nil)
    /// `GET` the current sandbox, or the named one.
    case get(sandbox: String?)
    /// List the engine's sandboxes.
    case list(pageSize: Int?, pageToken: String?, filter: String?)
    /// Delete the current sandbox, or the named one.
    case delete(sandbox: String?)
    /// Poll the current sandbox until a condition holds, within `timeout`.
    case wait(WaitCondition, timeout: Duration, interval: Duration)
    /// A raw request; `path` is relative to the API version root (`/v1beta1/`) unless it starts with `/`.
    case request(method: String, path: String, body: String?, headers: [String: String])

    /// The operation name used for latency statistics.
    public var operation: String {
        switch self {
        case .create: "create"
        case .execute: "execute"
        case .get: "get"
        case .list: "list"
        case .delete: "delete"
        case .wait: "wait"
        case .request: "request"
        }
    }
}

/// One step of a scenario with its expectations and captures.
public struct Step: Sendable {
    /// Name shown in reports (defaults to `N-kind`).
    public var name: String
    public var action: StepAction
    public var expectations: [Expectation]
    public var captures: [Capture]
    public var location: SourceLocation

    public init(name: String, action: StepAction, expectations: [Expectation] = [], captures: [Capture] = [], location: SourceLocation) {
        self.name = name
        self.action = action
        self.expectations = expectations
        self.captures = captures
        self.location = location
    }
}

/// How text is compared.
public enum TextMatch: Sendable, Hashable, CustomStringConvertible {
    case equals(String)
    case contains(String)
    case notContains(String)
    /// A regular expression that must match somewhere.
    case matches(String)
    /// Equal once both sides are normalised by ``TextNormalizer`` (temporary paths, PIDs, timestamps, …).
    case normalized(String)

    public var description: String {
        switch self {
        case .equals(let s): "equal to \(s.debugDescription)"
        case .contains(let s): "containing \(s.debugDescription)"
        case .notContains(let s): "not containing \(s.debugDescription)"
        case .matches(let s): "matching /\(s)/"
        case .normalized(let s): "equal after normalisation to \(s.debugDescription)"
        }
    }
}

/// What is expected of a returned file.
public enum FileMatch: Sendable, Hashable {
    case present
    case absent
    case text(TextMatch)
    case bytes([UInt8])
    case sha256(String)
    case size(Int)
}

/// One expectation on a step's outcome.
public enum Expectation: Sendable, Hashable {
    case stdout(TextMatch)
    case stderr(TextMatch)
    case file(name: String, FileMatch)
    /// Exact number of files returned.
    case fileCount(Int)
    case httpStatus(Int)
    /// The Google error body's `status`, e.g. `NOT_FOUND`.
    case errorStatus(String)
    case errorMessage(TextMatch)
    case state(SandboxState)
    /// The step took at most this long.
    case within(Duration)
    /// A value in the JSON response at a dotted path (`sandboxEnvironments.0.state`).
    case json(path: String, TextMatch)
    /// Number of items a list step returned.
    case count(Int)
}

/// Saves a value from a step's result into a variable for `${name}` in later steps.
public struct Capture: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// Dotted path into the JSON response.
        case jsonPath(String)
        /// First capture group (or whole match) of a regex over stdout.
        case stdoutRegex(String)
    }

    public var variable: String
    public var source: Source

    public init(variable: String, source: Source) {
        self.variable = variable
        self.source = source
    }
}
