package import HarnessCore

extension LatencyHistogram {
    /// A histogram of `durations`, so benchmark percentiles come from the same HDR histogram as load runs'.
    package init(_ durations: some Sequence<Duration>) {
        self.init()
        for duration in durations { record(duration) }
    }
}
