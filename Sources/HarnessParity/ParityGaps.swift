package import HarnessCore

/// A known difference between the candidate and the reference: where (scenario, step, JSON path),
/// why, and since when. A difference it covers is reported as skipped with its reason; a gap that
/// covers no difference any more is reported as stale.
package struct KnownGap: Sendable, Hashable {
    /// Scenarios it applies to (`*` and `?` wildcards).
    package var scenario: NameGlob
    /// Steps it applies to; nil: every step.
    package var step: NameGlob?
    /// The JSON path it covers, with its descendants (`outputs[*].msg_err`, `@status`).
    package var path: ParityPath
    /// Why the candidate differs, for people.
    package var reason: String
    /// When the gap was written down, `YYYY-MM-DD`.
    package var date: String
    /// Where it is written, for reports.
    package var location: SourceLocation

    package init(scenario: NameGlob, step: NameGlob? = nil, path: ParityPath, reason: String, date: String, location: SourceLocation) {
        self.scenario = scenario
        self.step = step
        self.path = path
        self.reason = reason
        self.date = date
        self.location = location
    }

    /// Whether this gap explains a difference at `path` in step `step` of scenario `scenario`.
    package func covers(scenario: String, step: String, path: ParityPath) -> Bool {
        self.scenario.matches(scenario) && (self.step?.matches(step) ?? true) && self.path.covers(path)
    }

    /// `scenario › step: path`, as reports name the gap.
    package var summary: String {
        "\(scenario)\(step.map { " › \($0)" } ?? ""): \(path)"
    }
}

/// The gaps file (`parity-gaps.yaml`): known gaps, plus normalisers and unordered lists it adds.
/// Its layout is in `docs/parity.md`; ``load(path:)`` reads it.
package struct ParityGaps: Sendable {
    /// The file it was read from (nil: no gaps file).
    package var file: String?
    package var gaps: [KnownGap]
    /// Extra text normalisers, applied to both sides after the built-in ones.
    package var rules: [TextRule]
    /// Extra arrays whose order does not matter.
    package var unordered: [ParityPath]

    package init(file: String? = nil, gaps: [KnownGap] = [], rules: [TextRule] = [], unordered: [ParityPath] = []) {
        self.file = file
        self.gaps = gaps
        self.rules = rules
        self.unordered = unordered
    }

    /// The first gap that covers a difference at `path` in `step` of `scenario`.
    package func gap(scenario: String, step: String, path: ParityPath) -> KnownGap? {
        gaps.first { $0.covers(scenario: scenario, step: step, path: path) }
    }
}
