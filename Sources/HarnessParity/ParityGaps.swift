public import HarnessCore

/// A known difference between the candidate and the reference: where (scenario, step, JSON path),
/// why, and since when. A difference it covers is reported as skipped with its reason; a gap that
/// covers no difference any more is reported as stale.
public struct KnownGap: Sendable, Hashable {
    /// Scenarios it applies to (`*` and `?` wildcards).
    public var scenario: NameGlob
    /// Steps it applies to; nil: every step.
    public var step: NameGlob?
    /// The JSON path it covers, with its descendants (`outputs[*].msg_err`, `@status`).
    public var path: ParityPath
    /// Why the candidate differs, for people.
    public var reason: String
    /// When the gap was written down, `YYYY-MM-DD`.
    public var date: String
    /// Where it is written, for reports.
    public var location: SourceLocation

    public init(scenario: NameGlob, step: NameGlob? = nil, path: ParityPath, reason: String, date: String, location: SourceLocation) {
        self.scenario = scenario
        self.step = step
        self.path = path
        self.reason = reason
        self.date = date
        self.location = location
    }

    /// Whether this gap explains a difference at `path` in step `step` of scenario `scenario`.
    public func covers(scenario: String, step: String, path: ParityPath) -> Bool {
        self.scenario.matches(scenario) && (self.step?.matches(step) ?? true) && self.path.covers(path)
    }

    /// `scenario › step: path`, as reports name the gap.
    public var summary: String {
        "\(scenario)\(step.map { " › \($0)" } ?? ""): \(path)"
    }
}

/// The gaps file (`parity-gaps.yaml`): known gaps, plus normalisers and unordered lists it adds.
/// Its layout is in `docs/parity.md`; ``load(path:)`` reads it.
public struct ParityGaps: Sendable {
    /// The file it was read from (nil: no gaps file).
    public var file: String?
    public var gaps: [KnownGap]
    /// Extra text normalisers, applied to both sides after the built-in ones.
    public var rules: [TextRule]
    /// Extra arrays whose order does not matter.
    public var unordered: [ParityPath]

    public init(file: String? = nil, gaps: [KnownGap] = [], rules: [TextRule] = [], unordered: [ParityPath] = []) {
        self.file = file
        self.gaps = gaps
        self.rules = rules
        self.unordered = unordered
    }

    /// The first gap that covers a difference at `path` in `step` of `scenario`.
    public func gap(scenario: String, step: String, path: ParityPath) -> KnownGap? {
        gaps.first { $0.covers(scenario: scenario, step: step, path: path) }
    }
}
