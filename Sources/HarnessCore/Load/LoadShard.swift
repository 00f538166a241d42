/// One of `count` deterministic slices of a load plan (`--shard index/count`), as k6's execution
/// segments `index/count:(index+1)/count` of the sequence `0, 1/count, …, 1`.
///
/// Work items — virtual users of a closed plan, arrivals of an open one — are numbered as the one
/// machine running the whole plan would number them, and item `k` belongs to shard `k % count`. So
/// every shard generates the whole plan's sequence (the same seed, the same arrival times) and keeps
/// its stripe: the shards together run exactly the single-machine workload, each item once.
///
/// ```swift
/// let shard = try LoadShard.parse("1/3")   // VUs 1, 4, 7, …; arrivals 1, 4, 7, …
/// shard.share(of: 10)                        // 3
/// ```
public struct LoadShard: Sendable, Hashable, CustomStringConvertible {
    /// Most shards of one plan (an Indexed Job of more pods is beyond what one merge is for).
    public static let maxCount = 1000

    /// Which slice, `0..<count`.
    public let index: Int
    /// How many slices the plan is cut into, `1...maxCount`.
    public let count: Int

    /// The whole plan, on one machine.
    public static let whole = LoadShard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Shard `index` of `count`; nil unless `0 <= index < count <= maxCount`.
    public init?(index: Int, count: Int) {
        guard (1...Self.maxCount).contains(count), (0..<count).contains(index) else { return nil }
        self.init(uncheckedIndex: index, count: count)
    }

    /// `i/n` as written on the command line.
    public var description: String { "\(index)/\(count)" }

    /// Whether this is the whole plan (`0/1`).
    public var isWhole: Bool { count == 1 }

    /// Whether work item `k` (a VU or an arrival, numbered from 0 over the whole plan) is this shard's.
    public func owns(_ k: Int) -> Bool { k >= 0 && k % count == index }

    /// How many of the items `0..<total` are this shard's.
    public func share(of total: Int) -> Int {
        guard total > index else { return 0 }
        return (total - index - 1) / count + 1
    }

    /// The whole plan's item numbers below `total` that are this shard's, in order.
    public func items(below total: Int) -> StrideTo<Int> { stride(from: index, to: max(index, total), by: count) }

    /// Parses `i/n` (decimal, `0 <= i < n <= 1000`); the error says what is wrong with `text`.
    public static func parse(_ text: String) throws(LoadShardSyntaxError) -> LoadShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { throw LoadShardSyntaxError("expected I/N, two whole numbers such as 0/4, got \"\(text)\"") }
        guard (1...maxCount).contains(count) else { throw LoadShardSyntaxError("N must be 1...\(maxCount), got \(count)") }
        guard let shard = LoadShard(index: index, count: count) else {
            throw LoadShardSyntaxError("I must be 0...\(count - 1) (shards are numbered from 0), got \(index)")
        }
        return shard
    }
}

/// Why a `--shard` value is not of the form `I/N` with `0 <= I < N`.
public struct LoadShardSyntaxError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, for the user.
    public let description: String

    init(_ description: String) { self.description = description }
}
