import HarnessCore
import Testing

/// `--shard i/n`: the slices of a plan are disjoint and together are the whole plan.
@Suite struct LoadShardTests {
    @Test(arguments: ["0/1", "0/4", "3/4", "999/1000"])
    func parsesValidShards(_ text: String) throws {
        let shard = try LoadShard.parse(text)
        #expect(shard.description == text)
    }

    @Test(arguments: [
        ("4/4", "I must be 0...3"), ("1/0", "N must be 1...1000"), ("0/1001", "N must be 1...1000"), ("-1/4", "expected I/N"),
        ("+1/4", "expected I/N"), ("1", "expected I/N"), ("1/2/3", "expected I/N"), ("a/b", "expected I/N"), ("/4", "expected I/N"),
        ("99999999999999999999/4", "expected I/N"), ("1/99999999999999999999", "expected I/N"), ("１/4", "expected I/N")
    ])
    func refusesMalformedShards(_ text: String, _ reason: String) {
        #expect {
            _ = try LoadShard.parse(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func sharesOfAnyTotalAddUpAndPartition(_ count: Int) throws {
        for total in [0, 1, 2, 5, 10, 63, 64, 1000] {
            var seen: [Int] = []
            var sum = 0
            for i in 0..<count {
                let shard = try #require(LoadShard(index: i, count: count))
                let items = Array(shard.items(below: total))
                #expect(items.count == shard.share(of: total))
                #expect(items.allSatisfy(shard.owns))
                seen += items
                sum += shard.share(of: total)
            }
            #expect(sum == total)
            #expect(seen.sorted() == Array(0..<total), "each item in exactly one shard")
        }
    }

    /// Every start of a scheduler that never drops (no session ends; room for all).
    func starts(_ schedule: ArrivalSchedule, shard: LoadShard) -> [Double] {
        var scheduler = OpenLoopScheduler(schedule: schedule, maxInFlight: .max, shard: shard)
        var now = 0.0
        var out: [Double] = []
        while true {
            switch scheduler.poll(now: now, inFlight: 0) {
            case .start(let intended): out.append(intended)
            case .drop: Issue.record("nothing is in flight, yet an arrival was dropped")
            case .sleep(let until): now = until
            case .finished: return out
            }
        }
    }

    static let schedules: [(String, ArrivalSchedule)] = [
        ("uniform", ArrivalSchedule(rate: 100, duration: 3)),
        ("poisson", ArrivalSchedule(rate: 200, duration: 2, poissonSeed: 7)),
        ("ramp", ArrivalSchedule(rate: 0, duration: 0, stages: [(2, 80), (1, 80), (2, 0)], poissonSeed: 3))
    ]

    @Test(arguments: [2, 3, 5])
    func shardsOfAnOpenPlanArriveExactlyAsTheWholePlan(_ count: Int) throws {
        for (name, schedule) in Self.schedules {
            let whole = starts(schedule, shard: .whole)
            #expect(whole.count > 100, "\(name)")
            var union: [Double] = []
            for i in 0..<count {
                let mine = starts(schedule, shard: try #require(LoadShard(index: i, count: count)))
                // Stripes: shard i has arrivals i, i+n, i+2n, … of the whole plan, at the same times.
                #expect(mine == stride(from: i, to: whole.count, by: count).map { whole[$0] }, "\(name), shard \(i)/\(count)")
                union += mine
            }
            #expect(union.sorted() == whole, "\(name): the union is the single-machine schedule")
        }
    }
}
