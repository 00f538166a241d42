import Foundation
public import HarnessCassettes
public import HarnessCore
import HarnessScenarios
public import SandboxAPI

/// A cassette turned into a scenario that replays it: the scenario, and for each of its steps the
/// recorded exchange it came from with what that exchange answered (for `sandbench parity`, which
/// compares a candidate's answers with recorded ones). The mapping rules are in `docs/cassettes.md`.
///
/// ```swift
/// let plan = try ReplayPlan.load(path: "scenarios/recorded/quickstart.yaml")
/// for (step, origin) in zip(plan.scenario.steps, plan.origins) {
///     print(step.name, "←", origin.location, origin.response?.status ?? 0)
/// }
/// ```
public struct ReplayPlan: Sendable {
    /// The cassette file, as given.
    public var path: String
    /// The recording.
    public var cassette: Cassette
    /// The scenario that replays it: one per cassette, named after the file.
    public var scenario: Scenario
    /// Where each step of ``scenario`` came from, in step order (`origins[i]` belongs to `scenario.steps[i]`).
    public var origins: [StepOrigin]
    /// Exchanges no step stands for, with the reason (the engine's creation, operations nobody polls, …).
    public var skipped: [SkippedExchange]

    public init(path: String, cassette: Cassette, scenario: Scenario, origins: [StepOrigin], skipped: [SkippedExchange]) {
        self.path = path
        self.cassette = cassette
        self.scenario = scenario
        self.origins = origins
        self.skipped = skipped
    }

    /// The scenario as a one-scenario file named after the cassette, for the run engine and reports.
    public var scenarioFile: ScenarioFile { ScenarioFile(path: path, scenarios: [scenario]) }

    /// The recorded answer for step `index` of ``scenario`` (nil when the step has none: see ``StepOrigin/response``).
    public func recorded(step index: Int) -> RecordedResponse? {
        origins.indices.contains(index) ? origins[index].response : nil
    }

    /// Largest cassette file read: 256 MiB (100 MB of files recorded with `--keep-bodies` is about 135 MB of YAML).
    public static let maxFileBytes = 256 << 20

    /// Reads the cassette at `path` and converts it.
    /// - Throws: ``ReplayError`` naming `path:line:column` for a file that cannot be read, is not a
    ///   cassette, or holds something that cannot be replayed.
    public static func load(path: String, options: ReplayOptions = ReplayOptions()) throws(ReplayError) -> ReplayPlan {
        guard let size = ScenarioLoader.regularFileSize(path) else {
            throw ReplayError(.unreadable, at: path, "not a regular file (missing, a directory or a device)")
        }
        guard size <= maxFileBytes else {
            throw ReplayError(.unreadable, at: path, "the cassette is \(size) bytes; at most \(maxFileBytes) are read")
        }
        // Read at most one byte more than allowed, whatever the file grew to since.
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: maxFileBytes + 1) else {
            throw ReplayError(.unreadable, at: path, "cannot read the cassette")
        }
        try? handle.close()
        guard data.count <= maxFileBytes, let text = String(data: data, encoding: .utf8) else {
            throw ReplayError(.unreadable, at: path, "the cassette is not UTF-8 text of at most \(maxFileBytes) bytes")
        }
        return try ReplayPlan(yaml: text, path: path, options: options)
    }

    /// Converts cassette YAML; `path` names the file in locations and reports.
    /// - Throws: ``ReplayError`` as ``load(path:options:)`` does.
    public init(yaml: String, path: String, options: ReplayOptions = ReplayOptions()) throws(ReplayError) {
        let document: CassetteDocument
        do {
            document = try CassetteDocument(yaml: yaml)
        } catch {
            throw ReplayError(cassette: error, path: path)
        }
        self = try CassetteConverter(document: document, path: path, options: options).convert()
    }
}

/// How cassettes are turned into scenarios.
public struct ReplayOptions: Sendable, Hashable {
    /// Expect each list to return as many sandboxes as it did when recorded. True for `replay`,
    /// where a cassette's session is alone on the run's engine; false for `load`, where many
    /// sessions share the engine and see each other's sandboxes.
    public var listCounts: Bool = true

    public init(listCounts: Bool = true) {
        self.listCounts = listCounts
    }
}

/// The recorded exchange a step came from.
public struct StepOrigin: Sendable, Hashable {
    /// Index of the exchange in ``ReplayPlan/cassette``'s exchanges (0-based).
    public var exchange: Int
    /// Where the exchange is written in the cassette file.
    public var location: SourceLocation
    /// What the recording answered; nil for a step the recording implies but did not send itself
    /// (a sandbox removed by a forced engine delete is deleted by a step of its own).
    public var response: RecordedResponse?
    /// Other exchanges folded into this step, such as the operation polls after a create.
    public var absorbed: [Int]
    /// How the step relates to the exchange, when that is not plain (nil: the step sends what the exchange sent).
    public var note: String?

    public init(exchange: Int, location: SourceLocation, response: RecordedResponse?, absorbed: [Int] = [], note: String? = nil) {
        self.exchange = exchange
        self.location = location
        self.response = response
        self.absorbed = absorbed
        self.note = note
    }
}

/// A recorded answer, in the terms a step's outcome is checked in.
public struct RecordedResponse: Sendable, Hashable {
    /// HTTP status.
    public var status: Int
    /// The Google error body's `status` (`NOT_FOUND`, …), when the answer was an error.
    public var errorStatus: String?
    /// The Google error body's `message`.
    public var errorMessage: String?
    /// The JSON body; for a create, the sandbox from the finished operation (what the step's GET sees),
    /// else the operation as answered.
    public var json: JSONValue?
    /// For an execute, the decoded console output and files.
    public var execute: ExecuteOutput?
    /// The sandbox state the answer reported (get, create).
    public var state: SandboxState?

    public init(status: Int, errorStatus: String? = nil, errorMessage: String? = nil, json: JSONValue? = nil, execute: ExecuteOutput? = nil,
                state: SandboxState? = nil) {
        self.status = status
        self.errorStatus = errorStatus
        self.errorMessage = errorMessage
        self.json = json
        self.execute = execute
        self.state = state
    }
}

/// An exchange that no step replays, and why.
public struct SkippedExchange: Sendable, Hashable {
    /// Index of the exchange (0-based).
    public var exchange: Int
    /// Where it is written.
    public var location: SourceLocation
    public var reason: String

    public init(exchange: Int, location: SourceLocation, reason: String) {
        self.exchange = exchange
        self.location = location
        self.reason = reason
    }
}
