import Foundation
import Logging
import SandboxAPI

/// A pause, resume or delete in progress on one sandbox: its operation and the task finishing it.
struct Transition {
    var operation: String
    var task: Task<Void, Never>
}

/// The store's bookkeeping for transitions and operations (one stored property of ``EmulatorStore``).
struct LifecycleBook {
    /// Sandbox name → the transition it is in (STATE_PAUSING, STATE_RESUMING or STATE_DEPROVISIONING).
    var transitions: [String: Transition] = [:]
    /// Operation name → its position in creation order, for listing and paging.
    var sequence: [String: Int] = [:]
    var nextSequence = 0
    /// Operation name → callers of `:wait` to wake when it is done, deleted or forgotten.
    var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
    /// Operations deleted while still running: their completion must not bring them back.
    var retired: Set<String> = []
    /// Waits whose time ran out before they began waiting.
    var lapsed: Set<UUID> = []
}

// Pause, resume and delete as long-running operations with the documented intermediate states:
// STATE_PAUSING → STATE_PAUSED, STATE_RESUMING → STATE_RUNNING, STATE_DEPROVISIONING → gone.
// Each transition runs in a task; the request waits for it up to `transitionWait`, then answers
// with the operation as it is (not done while the transition goes on). The intermediate state is
// what a GET or list shows while the work really happens: executes ahead of a pause finishing,
// the processes receiving SIGSTOP or SIGCONT, the worker being killed and reaped and its files removed.
extension EmulatorStore {
    /// `:pause`: stops every process of the sandbox once the executes already admitted have run.
    /// A paused sandbox answers with a finished operation; any other state than running is FAILED_PRECONDITION.
    func pauseSandbox(_ name: String) async throws(GoogleError) -> LongRunningOperation {
        try await transition(name, from: .running, through: .pausing, to: .paused, verb: "pause") { process in
            await process.stopAll()
        }
    }

    /// `:resume`: continues every process of a paused sandbox.
    func resumeSandbox(_ name: String) async throws(GoogleError) -> LongRunningOperation {
        try await transition(name, from: .paused, through: .resuming, to: .running, verb: "resume") { process in
            await process.continueAll()
        }
    }

    private func transition(
        _ name: String, from: SandboxState, through: SandboxState, to: SandboxState, verb: String,
        work: @escaping @Sendable (SandboxProcess) async -> Void
    ) async throws(GoogleError) -> LongRunningOperation {
        guard var record = sandboxes[name] else { throw Self.sandboxNotFound(name) }
        if record.resource.state == to, lifecycle.transitions[name] == nil {
            return newOperation(on: name, done: true, response: sandboxResponse(record.resource))
        }
        guard record.resource.state == from, let process = record.process else {
            throw GoogleError(
                .failedPrecondition,
                "The sandbox environment \(name) is in \(record.resource.state.rawValue); only a sandbox in \(from.rawValue) can \(verb).",
                reason: "SANDBOX_STATE_\(record.resource.state.rawValue.dropFirst(6))")
        }
        record.resource.state = through
        record.resource.updateTime = ProtoTimestamp.format(now())
        sandboxes[name] = record
        let op = newOperation(on: name, done: false)
        let task = Task {
            await work(process)
            self.complete(name, operation: op.name, through: through, to: to)
        }
        lifecycle.transitions[name] = Transition(operation: op.name, task: task)
        // No suspension at all when the answer is not to wait: the operation is then surely still running.
        if configuration.transitionWait > .zero { _ = try? await waitForOperation(op.name, timeout: configuration.transitionWait) }
        return operations[op.name] ?? op
    }

    private func complete(_ name: String, operation: String, through: SandboxState, to: SandboxState) {
        if lifecycle.transitions[name]?.operation == operation { lifecycle.transitions[name] = nil }
        guard var record = sandboxes[name], record.resource.state == through else {
            keep(
                LongRunningOperation(
                    name: operation, done: true, metadata: finishedMetadata(operation),
                    error: RPCStatus(.aborted, "The sandbox environment \(name) was deleted before it reached \(to.rawValue).")))
            return
        }
        record.resource.state = to
        record.resource.updateTime = ProtoTimestamp.format(now())
        sandboxes[name] = record
        keep(
            LongRunningOperation(
                name: operation, done: true, metadata: finishedMetadata(operation),
                response: sandboxResponse(record.resource)))
    }

    /// `DELETE {sb}`: the sandbox shows STATE_DEPROVISIONING until its worker is killed and reaped
    /// and its files are gone; then it is removed and the operation is done with an Empty response.
    /// A delete of a sandbox already being deleted answers with that deletion's operation.
    func deleteSandbox(_ name: String) async throws(GoogleError) -> LongRunningOperation {
        guard sandboxes[name] != nil else { throw Self.sandboxNotFound(name) }
        if sandboxes[name]?.resource.state == .deprovisioning, let running = lifecycle.transitions[name],
            let op = operations[running.operation]
        {
            return op
        }
        let (op, _) = startDeletion(name)
        if configuration.transitionWait > .zero { _ = try? await waitForOperation(op.name, timeout: configuration.transitionWait) }
        return operations[op.name] ?? op
    }

    /// Puts a sandbox into STATE_DEPROVISIONING and starts its teardown (also used for expiry).
    func startDeletion(_ name: String) -> (LongRunningOperation, Task<Void, Never>) {
        var record = sandboxes[name]
        let process = record?.process
        record?.process = nil
        record?.resource.state = .deprovisioning
        record?.resource.updateTime = ProtoTimestamp.format(now())
        sandboxes[name] = record
        let op = newOperation(on: name, done: false)
        // A pause or resume in progress still runs; its completion finds the sandbox deprovisioning and reports ABORTED.
        let task = Task {
            if let process { await self.factory.destroy(process) }
            self.finishDeletion(name, operation: op.name)
        }
        lifecycle.transitions[name] = Transition(operation: op.name, task: task)
        return (op, task)
    }

    private func finishDeletion(_ name: String, operation: String) {
        if lifecycle.transitions[name]?.operation == operation { lifecycle.transitions[name] = nil }
        // The engine's forced delete may have removed it meanwhile.
        if let record = sandboxes[name], record.resource.state == .deprovisioning {
            sandboxes.removeValue(forKey: name)
            engines[record.engine]?.sandboxes.remove(name)
        }
        keep(
            LongRunningOperation(
                name: operation, done: true, metadata: finishedMetadata(operation),
                response: ["@type": .string(TypeURL.empty)]))
    }

    /// The full name of the engine whose id is `id` (for the location-less alias paths).
    func enginePath(id: String) -> String? {
        let suffix = "/reasoningEngines/" + id
        return engines.keys.first { $0.hasSuffix(suffix) }
    }

    /// The metadata of an operation that finishes now: its createTime kept, its updateTime now.
    func finishedMetadata(_ operation: String) -> JSONValue {
        let time = ProtoTimestamp.format(now())
        guard case .object(var meta)? = operations[operation]?.metadata, case .object(var generic)? = meta["genericMetadata"] else {
            return metadata(time)
        }
        generic["updateTime"] = .string(time)
        meta["genericMetadata"] = .object(generic)
        return .object(meta)
    }

    /// A new operation under `parent`, kept for polling.
    func newOperation(on parent: String, done: Bool, response: JSONValue? = nil) -> LongRunningOperation {
        let op = LongRunningOperation(
            name: "\(parent)/operations/\(newID())", done: done,
            metadata: metadata(ProtoTimestamp.format(now())), response: response)
        keep(op)
        return op
    }

    /// A sandbox as an operation's `response`, with its `@type`.
    func sandboxResponse(_ sandbox: SandboxEnvironment) -> JSONValue {
        var response = sandbox.json.objectValue ?? [:]
        response["@type"] = .string(TypeURL.sandboxEnvironment)
        return .object(response)
    }
}
