import HarnessCore
import Testing

/// The capacity search as a state machine, against systems whose capacity the test decides.
@Suite struct CapacitySearchTests {
    /// Runs the search against a system that passes every rate up to `capacity`; returns the rates tried and the search.
    func search(_ configuration: CapacitySearch.Configuration, capacity: Double) -> (
        rates: [Double], search: CapacitySearch, stop: CapacitySearch.Stop
    ) {
        var search = CapacitySearch(configuration)
        var rates: [Double] = []
        while true {
            switch search.next() {
            case .run(let rate):
                rates.append(rate)
                search.record(rate: rate, passed: rate <= capacity)
            case .finished(let stop):
                return (rates, search, stop)
            }
        }
    }

    @Test(arguments: [80.0, 17.3, 1234.5, 10.0])
    func doublesThenBisectsToTheResolution(capacity: Double) throws {
        let (rates, found, stop) = search(CapacitySearch.Configuration(start: 10, max: 100_000), capacity: capacity)
        let pass = try #require(found.lastPass)
        let fail = try #require(found.firstFail)
        #expect(stop == .resolved)
        #expect(pass <= capacity && capacity < fail, "bracket \(pass)…\(fail) misses \(capacity)")
        #expect(fail - pass <= 0.05 * pass)
        // Up by doubling until the first failure, then every rate inside the bracket so far.
        let firstFailure = try #require(rates.firstIndex { $0 > capacity })
        for i in 1...firstFailure { #expect(rates[i] == rates[i - 1] * 2) }
        #expect(rates.count == found.steps)
    }

    @Test func aFailingStartEndsAtOnce() {
        let (rates, found, stop) = search(CapacitySearch.Configuration(start: 50, max: 1000), capacity: 20)
        #expect(rates == [50])
        #expect(stop == .startFailed && found.lastPass == nil)
    }

    @Test func aSystemFasterThanMaxStopsAtMax() {
        let (rates, found, stop) = search(CapacitySearch.Configuration(start: 10, max: 50), capacity: 1e9)
        #expect(rates == [10, 20, 40, 50])
        #expect(stop == .reachedMax && found.lastPass == 50 && found.firstFail == nil)
    }

    @Test func theStepBudgetEndsAnOpenBracket() {
        let (rates, found, stop) = search(CapacitySearch.Configuration(start: 1, max: 1e6, resolution: 0.001, maxSteps: 6), capacity: 10)
        #expect(rates.count == 6 && stop == .stepBudget)
        #expect(found.lastPass == 8 && found.firstFail == 12)
    }

    @Test func noisyOutcomesKeepTheBracketOrdered() {
        // A pass above an earlier failure (noise) may not invert the bracket; the search ends resolved.
        var search = CapacitySearch(CapacitySearch.Configuration(start: 10, max: 1000))
        search.record(rate: 10, passed: true)
        search.record(rate: 20, passed: false)
        search.record(rate: 15, passed: true)
        search.record(rate: 30, passed: true)
        #expect(search.next() == .finished(.resolved))
    }

    @Test func stepsAlsoFailOnDropsErrorsAndFailuresUnlessAnSLOAllowsThem() {
        #expect(
            CapacitySearch.objectives(["session.p99 < 1s"]) == [
                "session.p99 < 1s", "dropped.count < 1", "errors.count < 1", "failures.count < 1"
            ])
        #expect(CapacitySearch.objectives(["errors.rate < 1%"]) == ["errors.rate < 1%", "dropped.count < 1", "failures.count < 1"])
        #expect(CapacitySearch.objectives(["checks.rate > 99%"]) == ["checks.rate > 99%", "dropped.count < 1"])
    }
}
