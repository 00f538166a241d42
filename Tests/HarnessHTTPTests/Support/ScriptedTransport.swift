import Foundation
import HarnessCore
import Synchronization

/// A transport that answers from a script, in order, and records what it was sent.
final class ScriptedTransport: HTTPTransport {
    private let script: Mutex<[Result<TransportResponse, TransportError>]>
    private let log = Mutex<[TransportRequest]>([])

    init(_ script: [Result<TransportResponse, TransportError>]) {
        self.script = Mutex(script)
    }

    /// Requests sent so far.
    var requests: [TransportRequest] { log.withLock { $0 } }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        log.withLock { $0.append(request) }
        let next = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let next else { throw TransportError(.other, "the script has no more answers", url: request.url) }
        return try next.get()
    }
}

/// A response with `status` and optional headers, for scripts.
func reply(_ status: Int, _ headers: [(name: String, value: String)] = [], body: String = "") -> Result<TransportResponse, TransportError> {
    .success(TransportResponse(status: status, headers: headers, body: Array(body.utf8)))
}

/// A transport error of `kind`, for scripts.
func failure(_ kind: TransportError.Kind) -> Result<TransportResponse, TransportError> {
    .failure(TransportError(kind, "scripted \(kind.rawValue) failure", url: "http://scripted"))
}

/// Records the delays a ``RetryingTransport`` asks for instead of sleeping.
final class SleepRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])
    var recorded: [Duration] { delays.withLock { $0 } }
    var sleep: @Sendable (Duration) async throws -> Void {
        { [self] delay in delays.withLock { $0.append(delay) } }
    }
}

/// A wall clock that tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = Mutex(start) }
    var now: @Sendable () -> Date { { [self] in current.withLock { $0 } } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Counts calls from any thread.
final class Counter: Sendable {
    private let value = Mutex(0)
    /// 1 on the first call, 2 on the second, …
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
