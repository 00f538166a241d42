public import SandboxAPI

/// Where something was written in a scenario file, for error messages (`file:line:column`).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as given.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int

    /// A location in `file`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }
}

/// A scenario file: one or more named scenarios.
public struct ScenarioFile: Sendable {
    /// Path as given on the command line.
    public var path: String
    /// The scenarios of the file, in order.
    public var scenarios: [Scenario]

    /// The scenarios read from `path`.
    public init(path: String, scenarios: [Scenario]) {
        self.path = path
        self.scenarios = scenarios
    }
}

/// How a scenario's sandbox is created.
public struct SandboxTemplate: Sendable, Hashable {
    /// The sandbox's language.
    public var language: CodeLanguage = .python
    /// The sandbox's machine configuration.
    public var machineConfig: MachineConfig = .unspecified
    /// Display name of the created sandbox; nil lets the run name it.
    public var displayName: String?
    /// Time to live, e.g. `600s`.
    public var ttl: Duration?
    /// A snapshot to restore (`sandboxEnvironmentSnapshot`), e.g. `${snap}` saved from a `{sandbox}:snapshot` request.
    public var snapshot: String?
    /// A sandbox template to create from (`sandboxEnvironmentTemplate`).
    public var template: String?
    /// The owner; a restore must give the snapshot's.
    public var owner: String?

    /// A template for `create` steps.
    public init(
        language: CodeLanguage = .python, machineConfig: MachineConfig = .unspecified, displayName: String? = nil, ttl: Duration? = nil
    ) {
        self.language = language
        self.machineConfig = machineConfig
        self.displayName = displayName
        self.ttl = ttl
    }
}

/// One named sandbox lifecycle: steps run in order against one target.
public struct Scenario: Sendable {
    /// The scenario's name, unique in its file.
    public var name: String
    /// Tags, for `--tag`.
    public var tags: [String]
    /// What `create` steps create unless they say otherwise.
    public var sandbox: SandboxTemplate
    /// The steps, run in order.
    public var steps: [Step]
    /// Marked `skip: true` (or with a reason) in the file.
    public var skip: String?
    /// Workload for `sandbench load`, when the file declares one.
    public var load: LoadPlan?
    /// Where the scenario starts in its file.
    public var location: SourceLocation

    /// A scenario.
    public init(
        name: String, tags: [String] = [], sandbox: SandboxTemplate = SandboxTemplate(), steps: [Step],
        skip: String? = nil, load: LoadPlan? = nil, location: SourceLocation
    ) {
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
    /// The file's bytes.
    public var content: [UInt8]
    /// Text contents are interpolated at run time; base64 and path contents are sent as they are.
    public var isText: Bool
    /// MIME type sent with the file; nil sends none.
    public var mimeType: String?

    /// A file `name` with `content`, sent as text or as bytes.
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
    /// What the step does.
    public var action: StepAction
    /// What must hold afterwards.
    public var expectations: [Expectation]
    /// Values saved into variables for later steps.
    public var captures: [Capture]
    /// Where the step is in its file.
    public var location: SourceLocation

    /// A step.
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

    /// The match as a scenario file writes it.
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
    /// The chunk's `mimeType`, exactly.
    case mimeType(String)
    /// The content starts with these bytes (a format's magic number: PNG's `89504e47…`).
    case prefix([UInt8])
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
    /// The `reason` of the Google error body's `google.rpc.ErrorInfo` detail, e.g. `SANDBOX_NOT_RUNNING`.
    case errorReason(String)
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
    /// Where a captured value comes from.
    public enum Source: Sendable, Hashable {
        /// Dotted path into the JSON response.
        case jsonPath(String)
        /// First capture group (or whole match) of a regex over stdout.
        case stdoutRegex(String)
    }

    /// The variable to set.
    public var variable: String
    /// Where its value comes from.
    public var source: Source

    /// A capture of `source` into `variable`.
    public init(variable: String, source: Source) {
        self.variable = variable
        self.source = source
    }
}
