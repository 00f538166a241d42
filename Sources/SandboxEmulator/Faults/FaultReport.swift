package import SandboxAPI

/// How often each rule of a fault plan matched and fired since the plan was installed.
public struct FaultReport: Sendable, Hashable {
    /// One rule's counters.
    public struct Rule: Sendable, Hashable {
        /// The rule as configured.
        public var rule: FaultRule
        /// API requests the rule's match selected.
        public var matched = 0
        /// Requests the rule's fault was applied to.
        public var fired = 0
    }

    /// The seed of the plan.
    public var seed: UInt64
    /// API requests seen (the `/healthz` endpoint is never subject to faults and not counted).
    public var requests = 0
    /// Plans installed after the first one (SIGHUP reloads).
    public var reloads = 0
    /// Counters per rule, in plan order.
    public var rules: [Rule]

    /// Zero counters for `plan`.
    package init(plan: FaultPlan) {
        seed = plan.seed
        rules = plan.rules.map { Rule(rule: $0) }
    }

    /// Faults fired per kind (`error`, `latency`, `reset`, `slow_body`, `truncate`), over all rules.
    package var firedByKind: [String: Int] {
        var totals = Dictionary(uniqueKeysWithValues: FaultAction.kinds.map { ($0, 0) })
        for rule in rules { totals[rule.rule.action.kind, default: 0] += rule.fired }
        return totals
    }

    /// The body of `GET /healthz?faults`.
    package var json: JSONValue {
        let rules = self.rules.enumerated().map { index, counters -> JSONValue in
            var entry: [String: JSONValue] = [
                "rule": .number(Double(index + 1)),
                "fault": .string(counters.rule.action.kind),
                "summary": .string(counters.rule.action.summary),
                "match": ["method": counters.rule.match.method.map(JSONValue.string) ?? .null, "path": .string(counters.rule.match.path)],
                "matched": .number(Double(counters.matched)),
                "fired": .number(Double(counters.fired))
            ]
            if let origin = counters.rule.origin { entry["origin"] = .string(origin) }
            return .object(entry)
        }
        return [
            "enabled": true,
            // A string: seeds use all 64 bits, which a JSON number (a double) cannot carry.
            "seed": .string(String(seed)),
            "requests": .number(Double(requests)),
            "reloads": .number(Double(reloads)),
            "rules": .array(rules),
            "fired": .object(firedByKind.mapValues { .number(Double($0)) })
        ]
    }

    /// The body of `GET /healthz?faults` when the emulator runs without a fault plan.
    static let disabledJSON: JSONValue = [
        "enabled": false, "requests": 0, "reloads": 0, "rules": [],
        "fired": .object(Dictionary(uniqueKeysWithValues: FaultAction.kinds.map { ($0, JSONValue.number(0)) }))
    ]

    /// `1 rule`, `6 rules`.
    package var rulesSummary: String { rules.count == 1 ? "1 rule" : "\(rules.count) rules" }

    /// Lines for the console: a header, then one line per rule.
    package var consoleText: String {
        let totals = firedByKind
        var lines = [
            "faults (seed \(seed), \(requests) API \(requests == 1 ? "request" : "requests")): "
                + FaultAction.kinds.map { "\($0) \(totals[$0] ?? 0)" }.joined(separator: ", ")
        ]
        for (index, counters) in rules.enumerated() {
            let origin = counters.rule.origin.map { "  (\($0))" } ?? ""
            lines.append(
                "  rule \(index + 1): \(counters.rule.match.summary) → \(counters.rule.action.summary): "
                    + "fired \(counters.fired) of \(counters.matched) matched\(origin)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
