import HarnessCore
import Testing

/// The load schedulers on a virtual clock: no real time passes in these tests.
@Suite struct SchedulerTests {
    /// Arrival offsets of a whole schedule.
    func arrivals(_ schedule: ArrivalSchedule) -> [Double] {
        var s = schedule
        var out: [Double] = []
        while let t = s.next(), t <= s.duration { out.append(t) }
        return out
    }

    func perSecond(_ times: [Double], seconds: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: seconds)
        for t in times where Int(t) < seconds { counts[Int(t)] += 1 }
        return counts
    }

    @Test func constantRateFiresEvenlyEverySecond() {
        let times = arrivals(ArrivalSchedule(rate: 100, duration: 10))
        #expect(times.count == 1000)
        for count in perSecond(times, seconds: 10) { #expect(abs(count - 100) <= 1) }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { abs($0 - 0.01) < 1e-9 })
    }

    @Test func rampFollowsItsStages() {
        // 0 → 100/s over 10 s, then 100/s for 5 s: second k of the ramp expects 10k + 5 arrivals.
        let times = arrivals(ArrivalSchedule(rate: 0, duration: 0, stages: [(10, 100), (5, 100)]))
        let counts = perSecond(times, seconds: 15)
        for k in 0..<10 { #expect(abs(counts[k] - (10 * k + 5)) <= 1, "second \(k): \(counts[k])") }
        for k in 10..<15 { #expect(abs(counts[k] - 100) <= 1, "second \(k): \(counts[k])") }
        #expect(abs(times.count - 1000) <= 1)
    }

    @Test func rampDownAndPauseStages() {
        let times = arrivals(ArrivalSchedule(rate: 50, duration: 0, stages: [(2, 50), (2, 0), (2, 0), (2, 20)]))
        let counts = perSecond(times, seconds: 8)
        #expect(abs(counts[0] - 50) <= 1 && abs(counts[1] - 50) <= 1)
        #expect(abs(counts[2] - 38) <= 1 && abs(counts[3] - 13) <= 1) // 50→0 over 2 s: 37.5 then 12.5
        #expect(counts[4] == 0 && counts[5] == 0)
        #expect(abs(counts[6] - 5) <= 1 && abs(counts[7] - 15) <= 1) // 0→20 over 2 s: 5 then 15
    }

    @Test func poissonArrivalsRepeatForASeedAndKeepTheRate() {
        let a = arrivals(ArrivalSchedule(rate: 200, duration: 10, poissonSeed: 42))
        let b = arrivals(ArrivalSchedule(rate: 200, duration: 10, poissonSeed: 42))
        let c = arrivals(ArrivalSchedule(rate: 200, duration: 10, poissonSeed: 43))
        #expect(a == b)
        #expect(a != c)
        // 2000 expected, σ ≈ 45: allow 4σ.
        #expect(abs(a.count - 2000) < 180)
        let gaps = zip(a.dropFirst(), a).map { $0 - $1 }
        #expect(Set(gaps.map { ($0 * 1e6).rounded() }).count > 100, "gaps vary")
    }

    @Test func schedulerDropsArrivalsWhenInFlightIsFullAndNeverDelaysThem() {
        // 10 sessions/s for 2 s, each session takes 1 s, at most 3 in flight.
        var scheduler = OpenLoopScheduler(schedule: ArrivalSchedule(rate: 10, duration: 2), maxInFlight: 3)
        var now = 0.0
        var running: [Double] = [] // end times
        var startTimes: [Double] = []
        var dropTimes: [Double] = []
        loop: while true {
            running.removeAll { $0 <= now }
            switch scheduler.poll(now: now, inFlight: running.count) {
            case .start(let intended):
                #expect(intended <= now && now - intended < 1e-9, "starts exactly when planned")
                startTimes.append(intended)
                running.append(now + 1)
            case .drop(let intended):
                dropTimes.append(intended)
            case .sleep(let until):
                #expect(until > now)
                now = until
            case .finished:
                break loop
            }
        }
        #expect(startTimes.count + dropTimes.count == 20)
        #expect(scheduler.started == startTimes.count && scheduler.dropped == dropTimes.count)
        // 3 start at 0, 0.1, 0.2; the rest of the first second drops; at 1.0 the first ends.
        #expect(startTimes.count == 6)
        #expect(dropTimes.count == 14)
    }

    @Test func virtualUsersRampLinearly() {
        let plan = VirtualUserPlan(vus: 0, stages: [(10, 10), (5, 10), (5, 0)])
        #expect(plan.target(at: 0) == 0)
        #expect(plan.target(at: 5) == 5)
        #expect(plan.target(at: 12) == 10)
        #expect(plan.target(at: 17.5) == 5)
        #expect(plan.target(at: 30) == 0)
        #expect(plan.peak == 10)
        #expect(plan.duration == 20)
    }
}
