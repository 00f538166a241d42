import HarnessCore

/// Compares what a candidate answered with what a reference answered, scenario by scenario and step
/// by step: normalises both, diffs each step's response by JSON path, applies known gaps, finds stale
/// gaps, and sets latency per operation side by side.
///
/// ```swift
/// let comparison = ParityComparison(gaps: gaps, latencyBound: 2)
/// let result = comparison.compare(reference: referenceSide, candidate: candidateSide, startedAt: t0, duration: elapsed)
/// exit(result.passed ? 0 : 1)
/// ```
package struct ParityComparison: Sendable {
    package var gaps: ParityGaps
    package var normaliser: Normaliser
    /// `--latency-ratio`: the largest candidate / reference ratio of p50 and p99 that passes.
    package var latencyBound: Double?

    package init(gaps: ParityGaps = ParityGaps(), normaliser: Normaliser? = nil, latencyBound: Double? = nil) {
        self.gaps = gaps
        self.normaliser = normaliser ?? Normaliser(gaps: gaps)
        self.latencyBound = latencyBound
    }

    /// Compares every scenario the candidate ran with the reference's record of it.
    package func compare(reference: ParitySide, candidate: ParitySide, startedAt: Double, duration: Duration) -> ParityResult {
        var used: Set<Int> = []
        var checked: Set<Int> = []
        var scenarios: [ScenarioComparison] = []
        for record in candidate.scenarios {
            let match = Self.counterpart(of: record, in: reference.scenarios)
            scenarios.append(compare(match, record, usedGaps: &used, checkedGaps: &checked))
        }
        var stale: [StaleGap] = []
        // A gap of a scenario this run did not compare is out of its scope, not stale: one gaps file
        // serves every suite, and a run of one suite says nothing about another's gaps.
        let compared = candidate.scenarios.map(\.name)
        for (index, gap) in gaps.gaps.enumerated() where !used.contains(index) && compared.contains(where: gap.scenario.matches) {
            let why =
                checked.contains(index)
                ? "no longer differs: the candidate now answers like the reference"
                : "matched no compared step (scenario \(gap.scenario)\(gap.step.map { ", step \($0)" } ?? ""))"
            stale.append(StaleGap(gap: gap, why: why))
        }
        var problems = reference.problems.map { "reference: \($0)" } + candidate.problems.map { "candidate: \($0)" }
        for (side, leaks) in [("reference", reference.leaks), ("candidate", candidate.leaks)] where !leaks.isEmpty {
            problems.append("\(side): \(leaks.count) sandbox(es) still alive after clean-up: \(leaks.joined(separator: ", "))")
        }
        return ParityResult(
            reference: reference.description, candidate: candidate.description, gapsFile: gaps.file,
            startedAt: startedAt, duration: duration, scenarios: scenarios, staleGaps: stale,
            latency: latency(reference, candidate), latencyBound: latencyBound, problems: problems)
    }

    /// The reference's record of the scenario `record` is: same file and name, else same file name
    /// and scenario name, else the only one of that name.
    static func counterpart(of record: ScenarioRecord, in references: [ScenarioRecord]) -> ScenarioRecord? {
        func base(_ path: String) -> Substring { path.split(separator: "/").last ?? Substring(path) }
        if let exact = references.first(where: { $0.name == record.name && $0.file == record.file }) { return exact }
        if let near = references.first(where: { $0.name == record.name && base($0.file) == base(record.file) }) { return near }
        let named = references.filter { $0.name == record.name }
        return named.count == 1 ? named[0] : nil
    }

    private func compare(
        _ reference: ScenarioRecord?, _ candidate: ScenarioRecord, usedGaps: inout Set<Int>,
        checkedGaps: inout Set<Int>
    ) -> ScenarioComparison {
        var comparison = ScenarioComparison(name: candidate.name, file: candidate.file, steps: [], problems: [], skipReason: nil)
        guard let reference else {
            comparison.problems.append(
                "the reference has no record of this scenario (record one with --update-snapshots, "
                    + "or check the scenario's name)")
            return comparison
        }
        if candidate.outcome == .skipped || reference.outcome == .skipped {
            if candidate.outcome == .skipped, reference.outcome == .skipped {
                comparison.skipReason = candidate.skipReason ?? reference.skipReason ?? "skipped"
            } else {
                let side = candidate.outcome == .skipped ? "candidate" : "reference"
                comparison.problems.append("skipped on the \(side) only")
            }
            return comparison
        }
        comparison.problems += reference.problems.map { "reference: \($0)" } + candidate.problems.map { "candidate: \($0)" }
        let left = normaliser.normalise(reference)
        let right = normaliser.normalise(candidate)
        for index in 0..<max(left.steps.count, right.steps.count) {
            let r = index < left.steps.count ? left.steps[index] : nil
            let c = index < right.steps.count ? right.steps[index] : nil
            comparison.steps.append(
                compareStep(
                    index: index, r, c, scenario: candidate.name,
                    stoppedReference: left.steps.last, stoppedCandidate: right.steps.last,
                    usedGaps: &usedGaps, checkedGaps: &checkedGaps))
        }
        return comparison
    }

    private func compareStep(
        index: Int, _ reference: StepRecord?, _ candidate: StepRecord?, scenario: String,
        stoppedReference: StepRecord?, stoppedCandidate: StepRecord?,
        usedGaps: inout Set<Int>, checkedGaps: inout Set<Int>
    ) -> StepComparison {
        let name = candidate?.name ?? reference?.name ?? "step \(index + 1)"
        var step = StepComparison(
            index: index, name: name, operation: candidate?.operation ?? reference?.operation ?? "",
            verdict: .same, differences: [], moreDifferences: 0, problems: [],
            reference: reference, candidate: candidate)
        for (side, record, last) in [("reference", reference, stoppedReference), ("candidate", candidate, stoppedCandidate)] {
            guard let record else {
                let at = last.map { " at step '\($0.name)'" } ?? ""
                step.problems.append("\(side): not run (the scenario stopped\(at))")
                continue
            }
            // Skipped: the recording implies the step but holds no answer for it; nothing to compare.
            if record.outcome != .passed && record.outcome != .skipped {
                let kind = record.outcome == .failed ? "failed" : "error"
                step.problems.append("\(side): \(kind): \(record.problem ?? record.outcome.rawValue)")
            }
        }
        if let reference, let candidate, reference.name != candidate.name {
            step.problems.append(
                "the step is '\(reference.name)' on the reference and '\(candidate.name)' on the candidate: "
                    + "the scenario changed since the reference was recorded")
        }
        if let left = reference?.response, let right = candidate?.response {
            for (index, gap) in gaps.gaps.enumerated() where gap.scenario.matches(scenario) && (gap.step?.matches(name) ?? true) {
                checkedGaps.insert(index)
            }
            let (differences, more) = JSONDiff.differences(left, right)
            step.moreDifferences = more
            step.differences = differences.map { difference in
                var explained = difference
                if let index = gaps.gaps.firstIndex(where: { $0.covers(scenario: scenario, step: name, path: difference.path) }) {
                    explained.gap = gaps.gaps[index]
                    usedGaps.insert(index)
                }
                return explained
            }
        }
        if !step.problems.isEmpty {
            step.verdict = .error
        } else if !step.unexplained.isEmpty || (step.moreDifferences > 0 && !step.differences.isEmpty) {
            step.verdict = .different
        } else if !step.differences.isEmpty {
            step.verdict = .explained
        }
        return step
    }

    /// p50 and p99 per operation on each side, for operations both sides timed.
    private func latency(_ reference: ParitySide, _ candidate: ParitySide) -> [OperationLatency] {
        func histograms(_ side: ParitySide) -> [String: LatencyHistogram] {
            var out: [String: LatencyHistogram] = [:]
            for step in side.scenarios.flatMap(\.steps) {
                for latency in step.latencies { out[latency.operation, default: LatencyHistogram()].record(latency.duration) }
            }
            return out
        }
        let left = histograms(reference)
        let right = histograms(candidate)
        return left.keys.filter { right[$0] != nil }.sorted().compactMap { operation in
            guard let r = left[operation], let c = right[operation] else { return nil }
            return OperationLatency(
                operation: operation, referenceCount: Int(clamping: r.count), candidateCount: Int(clamping: c.count),
                referenceP50: r.percentile(50), referenceP99: r.percentile(99),
                candidateP50: c.percentile(50), candidateP99: c.percentile(99), bound: latencyBound)
        }
    }
}
