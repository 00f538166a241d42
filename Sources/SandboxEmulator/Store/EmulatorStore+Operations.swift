import Foundation
import SandboxAPI

// Long-running operations of every parent (engines, sandboxes, and whatever else keeps one here):
// get, list, `:wait`, `:cancel` and delete, as `google.longrunning.Operations` defines them.
// Retention is bounded by ``EmulatorConfiguration/maxOperations``: the oldest are forgotten first.
extension EmulatorStore {
    /// Longest a `:wait` holds the request, whatever `timeout` asked for.
    static let maxOperationWait: Duration = .seconds(60)

    /// Records a new operation or the progress of a running one. A finished operation never
    /// changes again (a cancelled create stays cancelled when its provisioning ends), and one
    /// deleted while running does not come back when it finishes.
    func keep(_ op: LongRunningOperation) {
        if let existing = operations[op.name] {
            guard !existing.done else { return }
            operations[op.name] = op
        } else {
            if lifecycle.retired.contains(op.name) {
                if op.done { lifecycle.retired.remove(op.name) }
                return
            }
            operations[op.name] = op
            lifecycle.nextSequence += 1
            lifecycle.sequence[op.name] = lifecycle.nextSequence
            operationOrder.append(op.name)
            if operationOrder.count > max(configuration.maxOperations, 1) {
                let drop = operationOrder.count - max(configuration.maxOperations, 1)
                for name in operationOrder.prefix(drop) { forget(name) }
                operationOrder.removeFirst(drop)
            }
        }
        if op.done { wakeWaiters(op.name) }
    }

    private func forget(_ name: String) {
        if let op = operations.removeValue(forKey: name), !op.done { lifecycle.retired.insert(name) }
        lifecycle.sequence.removeValue(forKey: name)
        wakeWaiters(name)
    }

    func operation(_ name: String) throws(GoogleError) -> LongRunningOperation {
        guard let op = operations[name] else { throw Self.operationNotFound(name) }
        return op
    }

    /// `GET {parent}/operations`: the parent's operations, oldest first. `filter` may be empty,
    /// `done=true` or `done=false`; anything else is INVALID_ARGUMENT.
    func listOperations(parent: String, filter: String, pageSize: Int, pageToken: String?) throws(GoogleError) -> JSONValue {
        let wanted: Bool?
        switch filter.filter({ !$0.isWhitespace }).lowercased() {
        case "": wanted = nil
        case "done=true", "done:true": wanted = true
        case "done=false", "done:false": wanted = false
        default:
            throw GoogleError(
                .invalidArgument,
                "Unsupported filter \"\(filter.prefix(200))\": this emulator filters operations by done=true or done=false only.",
                fieldViolations: [.init(field: "filter", description: "only done=true or done=false is supported")])
        }
        let prefix = parent + "/operations/"
        let matching = operations.values.filter { op in
            guard op.name.hasPrefix(prefix), !op.name.dropFirst(prefix.count).contains("/") else { return false }
            return wanted.map { $0 == op.done } ?? true
        }
        let sequenced = matching.map { (op: $0, seq: lifecycle.sequence[$0.name] ?? 0) }.sorted { $0.seq < $1.seq }
        let (page, next) = try Self.paginate(sequenced, seq: \.seq, pageSize: pageSize, pageToken: pageToken)
        var o: [String: JSONValue] = ["operations": .array(page.map(\.op.json))]
        if let next { o["nextPageToken"] = .string(next) }
        return .object(o)
    }

    /// `:wait`: the operation once it is done, or as it is after `timeout` (at most ``maxOperationWait``).
    func waitForOperation(_ name: String, timeout: Duration) async throws(GoogleError) -> LongRunningOperation {
        let op = try operation(name)
        guard !op.done, timeout > .zero else { return op }
        let id = UUID()
        let bound = min(timeout, Self.maxOperationWait)
        await withTaskGroup(of: Void.self) { race in
            race.addTask { await self.suspendUntilDone(name, id) }
            race.addTask {
                try? await Task.sleep(for: bound)
                await self.wakeWaiter(name, id)
            }
            _ = await race.next()
            race.cancelAll()
        }
        lifecycle.lapsed.remove(id)
        return try operation(name)
    }

    private func suspendUntilDone(_ name: String, _ id: UUID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            guard let op = operations[name], !op.done, lifecycle.lapsed.remove(id) == nil else { return continuation.resume() }
            lifecycle.waiters[name, default: [:]][id] = continuation
        }
    }

    /// Ends one wait; a timeout that comes before its waiter is registered is remembered, so that it ends at once.
    private func wakeWaiter(_ name: String, _ id: UUID) {
        if let continuation = lifecycle.waiters[name]?.removeValue(forKey: id) {
            continuation.resume()
        } else {
            lifecycle.lapsed.insert(id)
        }
        if lifecycle.waiters[name]?.isEmpty == true { lifecycle.waiters.removeValue(forKey: name) }
    }

    private func wakeWaiters(_ name: String) {
        for continuation in (lifecycle.waiters.removeValue(forKey: name) ?? [:]).values { continuation.resume() }
    }

    /// `:cancel`. A create still provisioning is cancelled: its sandbox is removed and the operation
    /// ends with CANCELLED (code 1), as the API describes. Pause, resume and delete run to their end
    /// ("the operation completed despite cancellation"); a finished operation is left as it is.
    func cancelOperation(_ name: String) async throws(GoogleError) {
        let op = try operation(name)
        guard !op.done, provisioning[name] != nil else { return }
        let parts = name.split(separator: "/")
        let sandbox = parts.dropLast(2).joined(separator: "/")
        keep(
            LongRunningOperation(
                name: name, done: true, metadata: metadata(ProtoTimestamp.format(now())),
                error: RPCStatus(.cancelled, "The operation was cancelled.")))
        if sandboxes[sandbox]?.resource.state == .provisioning { await removeSandbox(sandbox) }
    }

    /// `DELETE {operation}`: forgets the operation; it "does not cancel the operation".
    func deleteOperation(_ name: String) throws(GoogleError) {
        guard operations[name] != nil else { throw Self.operationNotFound(name) }
        forget(name)
        operationOrder.removeAll { $0 == name }
    }

    static func operationNotFound(_ name: String) -> GoogleError {
        GoogleError(.notFound, "Operation \(name) not found.", reason: "OPERATION_NOT_FOUND")
    }
}
