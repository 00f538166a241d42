import Foundation

/// Holds one access token until shortly before it expires, and lets concurrent callers share a
/// single refresh instead of each starting one (a load test asks for the token from many tasks at
/// once).
actor TokenCache {
    /// A token and the moment it stops being valid.
    struct Entry: Sendable {
        var token: String
        var expiry: Date
    }

    private let now: @Sendable () -> Date
    /// How long before `expiry` the token counts as stale.
    private let refreshMargin: TimeInterval
    private var entry: Entry?
    /// Callers waiting for the refresh in progress; nil when none is in progress.
    private var waiters: [CheckedContinuation<String, any Error>]?

    init(refreshMargin: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.refreshMargin = refreshMargin
        self.now = now
    }

    /// The cached token while fresh, else the result of one shared call to `fetch`.
    ///
    /// Waiters share the refresher's failure, cancellation included; the next call tries again.
    func token(fetch: @Sendable () async throws -> Entry) async throws -> String {
        if let entry, now() < entry.expiry.addingTimeInterval(-refreshMargin) {
            return entry.token
        }
        if waiters != nil {
            return try await withCheckedThrowingContinuation { waiters?.append($0) }
        }
        waiters = []
        let result: Result<Entry, any Error>
        do {
            result = .success(try await fetch())
        } catch {
            result = .failure(error)
        }
        let waiting = waiters ?? []
        waiters = nil
        if case .success(let fresh) = result { entry = fresh }
        let token = result.map(\.token)
        for waiter in waiting { waiter.resume(with: token) }
        return try token.get()
    }
}
