package import HarnessCore
package import SandboxAPI

/// What one step of one side answered, in the form parity compares: the response as a JSON
/// document (`@status` plus the body, execute outputs decoded), how the step ended, and its latency.
package struct StepRecord: Sendable, Hashable {
    /// The step's name in the scenario.
    package var name: String
    /// `create`, `execute`, … (latency is grouped by it).
    package var operation: String
    /// How the step ended on this side: anything but passed is an error of the comparison.
    package var outcome: Outcome
    /// Why the step did not pass: the error, or the expectations that did not hold.
    package var problem: String?
    /// The response: an object with `@status` (the HTTP status) and the body's members; nil when no
    /// response came (transport or protocol error).
    package var response: JSONValue?
    /// Latency of the step's requests by operation name (`create` and `ready` for a create step).
    package var latencies: [Latency]

    /// One timed part of a step.
    package struct Latency: Sendable, Hashable {
        package var operation: String
        package var duration: Duration

        package init(operation: String, duration: Duration) {
            self.operation = operation
            self.duration = duration
        }
    }

    package init(
        name: String, operation: String, outcome: Outcome, problem: String? = nil, response: JSONValue?,
        latencies: [Latency] = []
    ) {
        self.name = name
        self.operation = operation
        self.outcome = outcome
        self.problem = problem
        self.response = response
        self.latencies = latencies
    }

    /// The HTTP status in ``response``.
    package var status: Int? {
        response?["@status"]?.numberValue.flatMap { Int(exactly: $0) }
    }
}

/// Every step one side ran of one scenario, in order.
package struct ScenarioRecord: Sendable, Hashable {
    package var name: String
    /// The scenario file (or cassette) it came from, as given.
    package var file: String
    /// How the scenario ended on this side.
    package var outcome: Outcome
    /// Why it was skipped, when it was.
    package var skipReason: String?
    package var steps: [StepRecord]
    /// Problems outside the steps: sandboxes that could not be deleted.
    package var problems: [String]

    package init(name: String, file: String, outcome: Outcome, skipReason: String? = nil, steps: [StepRecord], problems: [String] = []) {
        self.name = name
        self.file = file
        self.outcome = outcome
        self.skipReason = skipReason
        self.steps = steps
        self.problems = problems
    }
}

extension ScenarioRecord {
    /// The record of a scenario a run kept observations for (``RunOptions/keepsObservations``).
    package init(_ result: ScenarioResult) {
        self.init(
            name: result.name, file: result.file, outcome: result.outcome, skipReason: result.skipReason,
            steps: result.steps.map(StepRecord.init), problems: result.cleanupProblems)
    }
}

extension StepRecord {
    /// Largest returned file whose text is kept in a record (64 KiB, a cassette's inline limit);
    /// larger files and binary ones are compared by size and sha256.
    package static let maxFileText = 64 * 1024

    /// The record of one step: its observation as a response document, its latency by operation.
    package init(_ result: StepResult) {
        var problem: String?
        if result.outcome != .passed {
            problem = result.errorMessage ?? (result.mismatches.isEmpty ? result.outcome.rawValue : result.summary)
        }
        self.init(
            name: result.name, operation: result.operation, outcome: result.outcome, problem: problem,
            response: result.observation.map(Self.document), latencies: Self.latencies(result))
    }

    /// Latency as load statistics count it: every phase but the operation's own under its name,
    /// then the operation's own time (its phase, or the whole step).
    static func latencies(_ result: StepResult) -> [Latency] {
        var out = result.phases.filter { $0.name != result.operation }.map { Latency(operation: $0.name, duration: $0.duration) }
        let own = result.phases.first { $0.name == result.operation }?.duration ?? result.duration
        out.append(Latency(operation: result.operation, duration: own))
        return out
    }

    /// The response document of an observation: `@status` and the body's members, an execute answer
    /// decoded (``executeBody(_:)``), an error body with its Google error.
    package static func document(_ seen: StepObservation) -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let status = seen.status { members["@status"] = .number(Double(status)) }
        var body = seen.json
        if seen.status == 200, seen.stdout != nil, let json = seen.json, let response = try? ExecuteResponse(json: json) {
            body = executeBody(response)
        }
        if let error = seen.error, body?["error"]?.objectValue == nil {
            body = error.json
        }
        switch body {
        case .object(let object)?:
            for (key, value) in object { members[key] = value }
        case nil:
            break
        case let other?:
            members["@body"] = other
        }
        return .object(members)
    }

    /// An execute answer as parity compares it: `{"outputs": [console, files…]}` where the console
    /// chunk is its JSON object (`msg_out`, `msg_err` and anything else it holds) and each file is
    /// `{file_name, mime_type, size, sha256, text}` (text only for UTF-8 up to ``maxFileText``),
    /// files sorted by name: their order is not part of the API.
    package static func executeBody(_ response: ExecuteResponse) -> JSONValue {
        var outputs: [JSONValue] = []
        var files: [(String, JSONValue)] = []
        for chunk in response.outputs {
            if let name = chunk.fileName {
                files.append((name, file(name: name, mimeType: chunk.mimeType, content: chunk.data)))
            } else if case .object(let console)? = try? JSONValue.parse(chunk.data) {
                outputs.append(.object(console))
            } else {
                outputs.append(["@unreadable_console": .number(Double(chunk.data.count))])
            }
        }
        if outputs.isEmpty { outputs.append(["msg_out": "", "msg_err": ""]) }
        outputs += files.sorted { $0.0 < $1.0 }.map(\.1)
        return ["outputs": .array(outputs)]
    }

    /// A returned file as parity compares it.
    package static func file(name: String, mimeType: String?, content: [UInt8]) -> JSONValue {
        var object: [String: JSONValue] = [
            "file_name": .string(name),
            "size": .number(Double(content.count)),
            "sha256": .string(SHA256.hex(content))
        ]
        if let mimeType { object["mime_type"] = .string(mimeType) }
        if content.count <= maxFileText, let text = String(validating: content, as: UTF8.self) {
            object["text"] = .string(text)
        }
        return .object(object)
    }

    /// The same for a file known only by size and hash (and text, when it was kept).
    package static func file(name: String, mimeType: String?, size: Int, sha256: String, text: String?) -> JSONValue {
        var object: [String: JSONValue] = [
            "file_name": .string(name),
            "size": .number(Double(size)),
            "sha256": .string(sha256.lowercased())
        ]
        if let mimeType { object["mime_type"] = .string(mimeType) }
        if size <= maxFileText, let text { object["text"] = .string(text) }
        return .object(object)
    }
}
