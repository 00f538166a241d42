package import HarnessCassettes
import HarnessCore
package import HarnessReplay
import SandboxAPI

extension ScenarioRecord {
    /// The reference record of a cassette: for each step of the scenario that replays it, what the
    /// recording answered, in the form a live step is recorded in, and the recorded latency.
    ///
    /// A create step's answer is the sandbox of the finished operation without its `@type` (a live
    /// create records the GET of the new sandbox, which has none). A step the recording implies but
    /// never sent (a sandbox removed by a forced engine delete) is recorded as skipped: there is
    /// nothing to compare it with.
    package init(_ plan: ReplayPlan) {
        let exchanges = plan.cassette.exchanges
        var steps: [StepRecord] = []
        for (index, step) in plan.scenario.steps.enumerated() {
            let origin = plan.origins.indices.contains(index) ? plan.origins[index] : nil
            guard let origin, let response = origin.response else {
                steps.append(
                    StepRecord(
                        name: step.name, operation: step.action.operation, outcome: .skipped,
                        problem: origin?.note ?? "the recording holds no answer for this step", response: nil))
                continue
            }
            var document = Self.document(response, create: step.action.operation == "create")
            if case .object(var members) = document, members["@status"] == nil {
                members["@status"] = .number(Double(response.status))
                document = .object(members)
            }
            steps.append(
                StepRecord(
                    name: step.name, operation: step.action.operation, outcome: .passed, response: document,
                    latencies: Self.latencies(step.action.operation, origin, exchanges)))
        }
        self.init(name: plan.scenario.name, file: plan.path, outcome: .passed, steps: steps)
    }

    /// A recorded answer as a response document.
    static func document(_ response: RecordedResponse, create: Bool) -> JSONValue {
        var members: [String: JSONValue] = ["@status": .number(Double(response.status))]
        var body = response.json
        if let output = response.execute {
            body = executeBody(output)
        } else if create, response.status == 200, case .object(var sandbox)? = body {
            sandbox["@type"] = nil
            body = .object(sandbox)
        }
        if response.status != 200, body?["error"]?.objectValue == nil, let status = response.errorStatus {
            body = [
                "error": [
                    "code": .number(Double(response.status)), "status": .string(status),
                    "message": .string(response.errorMessage ?? "")
                ]
            ]
        }
        switch body {
        case .object(let object)?: for (key, value) in object { members[key] = value }
        case nil: break
        case let other?: members["@body"] = other
        }
        return .object(members)
    }

    /// Recorded outputs in the form ``StepRecord/executeBody(_:)`` gives live ones.
    static func executeBody(_ output: ExecuteOutput) -> JSONValue {
        var outputs: [JSONValue] = [["msg_out": .string(output.msgOut), "msg_err": .string(output.msgErr)]]
        for file in output.files.sorted(by: { $0.name < $1.name }) {
            var text: String?
            switch file.bytes.content {
            case .text(let kept): text = kept
            case .base64(let encoded): text = Base64.decode(encoded).flatMap { String(validating: $0, as: UTF8.self) }
            case .omitted: text = nil
            }
            outputs.append(
                StepRecord.file(
                    name: file.name, mimeType: file.mimeType, size: file.bytes.size, sha256: file.bytes.sha256,
                    text: text))
        }
        return ["outputs": .array(outputs)]
    }

    /// What the recording timed for a step: its request's send to last byte; for a create also
    /// `ready`, from the create's send to the last byte of the last poll folded into it.
    static func latencies(_ operation: String, _ origin: StepOrigin, _ exchanges: [Exchange]) -> [StepRecord.Latency] {
        guard exchanges.indices.contains(origin.exchange) else { return [] }
        let exchange = exchanges[origin.exchange]
        guard let own = exchange.timing.lastByte.flatMap(Self.duration) else { return [] }
        var out: [StepRecord.Latency] = []
        if operation == "create" {
            let last = origin.absorbed.filter { exchanges.indices.contains($0) }.map { exchanges[$0] }.last
            if let last, let end = last.timing.lastByte, let ready = Self.duration(last.timing.sent + end - exchange.timing.sent) {
                out.append(StepRecord.Latency(operation: "ready", duration: max(ready, own)))
            } else {
                out.append(StepRecord.Latency(operation: "ready", duration: own))
            }
        }
        out.append(StepRecord.Latency(operation: operation, duration: own))
        return out
    }

    /// Milliseconds from a cassette as a duration; nil for values that are not a time (negative,
    /// not finite, over an hour).
    static func duration(_ milliseconds: Double) -> Duration? {
        guard milliseconds.isFinite, (0...3_600_000).contains(milliseconds) else { return nil }
        return .microseconds(Int64((milliseconds * 1000).rounded()))
    }
}
