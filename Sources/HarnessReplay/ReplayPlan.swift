import Foundation
package import HarnessCassettes
package import HarnessCore
import HarnessScenarios
package import SandboxAPI

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
package struct ReplayPlan: Sendable {
    /// The cassette file, as given.
    package var path: String
    /// The recording.
    package var cassette: Cassette
    /// The scenario that replays it: one per cassette, named after the file.
    package var scenario: Scenario
    /// Where each step of ``scenario`` came from, in step order (`origins[i]` belongs to `scenario.steps[i]`).
    package var origins: [StepOrigin]
    /// Exchanges no step stands for, with the reason (the engine's creation, operations nobody polls, …).
    package var skipped: [SkippedExchange]

    package init(path: String, cassette: Cassette, scenario: Scenario, origins: [StepOrigin], skipped: [SkippedExchange]) {
        self.path = path
        self.cassette = cassette
        self.scenario = scenario
        self.origins = origins
        self.skipped = skipped
    }

    /// The scenario as a one-scenario file named after the cassette, for the run engine and reports.
    package var scenarioFile: ScenarioFile { ScenarioFile(path: path, scenarios: [scenario]) }

    /// The recorded answer for step `index` of ``scenario`` (nil when the step has none: see ``StepOrigin/response``).
    package func recorded(step index: Int) -> RecordedResponse? {
        origins.indices.contains(index) ? origins[index].response : nil
    }

    /// Largest cassette file read: 256 MiB (100 MB of files recorded with `--keep-bodies` is about 135 MB of YAML).
    package static let maxFileBytes = 256 << 20

    /// Reads the cassette at `path` and converts it.
    /// - Throws: ``ReplayError`` naming `path:line:column` for a file that cannot be read, is not a
    ///   cassette, or holds something that cannot be replayed.
    package static func load(path: String, options: ReplayOptions = ReplayOptions()) throws(ReplayError) -> ReplayPlan {
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
    package init(yaml: String, path: String, options: ReplayOptions = ReplayOptions()) throws(ReplayError) {
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
package struct ReplayOptions: Sendable, Hashable {
    /// Expect each list to return as many sandboxes as it did when recorded. True for `replay`,
    /// where a cassette's session is alone on the run's engine; false for `load`, where many
    /// sessions share the engine and see each other's sandboxes.
    package var listCounts: Bool = true

    package init(listCounts: Bool = true) {
        self.listCounts = listCounts
    }
}

/// The recorded exchange a step came from.
package struct StepOrigin: Sendable, Hashable {
    /// Index of the exchange in ``ReplayPlan/cassette``'s exchanges (0-based).
    package var exchange: Int
    /// Where the exchange is written in the cassette file.
    package var location: SourceLocation
    /// What the recording answered; nil for a step the recording implies but did not send itself
    /// (a sandbox removed by a forced engine delete is deleted by a step of its own).
    package var response: RecordedResponse?
    /// Other exchanges folded into this step, such as the operation polls after a create.
    package var absorbed: [Int]
    /// How the step relates to the exchange, when that is not plain (nil: the step sends what the exchange sent).
    package var note: String?

    package init(exchange: Int, location: SourceLocation, response: RecordedResponse?, absorbed: [Int] = [], note: String? = nil) {
        self.exchange = exchange
        self.location = location
        self.response = response
        self.absorbed = absorbed
        self.note = note
    }
}

/// A recorded answer, in the terms a step's outcome is checked in.
package struct RecordedResponse: Sendable, Hashable {
    /// HTTP status.
    package var status: Int
    /// The Google error body's `status` (`NOT_FOUND`, …), when the answer was an error.
    package var errorStatus: String?
    /// The Google error body's `message`.
    package var errorMessage: String?
    /// The JSON body; for a create, the sandbox from the finished operation (what the step's GET sees),
    /// else the operation as answered.
    package var json: JSONValue?
    /// For an execute, the decoded console output and files.
    package var execute: ExecuteOutput?
    /// The sandbox state the answer reported (get, create).
    package var state: SandboxState?

    package init(
        status: Int, errorStatus: String? = nil, errorMessage: String? = nil, json: JSONValue? = nil,
        execute: ExecuteOutput? = nil, state: SandboxState? = nil
    ) {
        self.status = status
        self.errorStatus = errorStatus
        self.errorMessage = errorMessage
        self.json = json
        self.execute = execute
        self.state = state
    }
}

/// An exchange that no step replays, and why.
package struct SkippedExchange: Sendable, Hashable {
    /// Index of the exchange (0-based).
    package var exchange: Int
    /// Where it is written.
    package var location: SourceLocation
    package var reason: String

    package init(exchange: Int, location: SourceLocation, reason: String) {
        self.exchange = exchange
        self.location = location
        self.reason = reason
    }
}
