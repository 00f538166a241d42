import HarnessCore
import SandboxAPI
import Yams

/// Reads a step's `expect:` block.
struct ExpectationBuilder {
    let reader: NodeReader
    static let keys = [
        "stdout", "stderr", "files", "file_count", "status", "error", "error_reason", "error_message", "state", "within", "json", "count"
    ]
    static let textKeys = ["equals", "contains", "not_contains", "matches", "normalized"]
    static let fileKeys = [
        "present", "absent", "text", "equals", "contains", "not_contains", "matches", "sha256", "size", "base64",
        "mime_type", "prefix_hex"
    ]

    func expectations(_ node: Node) -> [Expectation] {
        guard let entries = reader.mapping(node, "expect", allowed: Self.keys) else { return [] }
        var out: [Expectation] = []
        for (key, _, value) in entries {
            switch key {
            case "stdout": out += textMatches(value, "stdout").map(Expectation.stdout)
            case "stderr": out += textMatches(value, "stderr").map(Expectation.stderr)
            case "error_message": out += textMatches(value, "error_message").map(Expectation.errorMessage)
            case "status": if let n = reader.int(value, "status", min: 100, max: 599) { out.append(.httpStatus(n)) }
            case "error":
                if let s = reader.string(value, "error") {
                    if StatusCode(rawValue: s) == nil {
                        let hint =
                            DidYouMean.suggestion(for: s, among: StatusCode.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" }
                            ?? ""
                        reader.fail(
                            value, "error must be a Google status such as NOT_FOUND or INVALID_ARGUMENT, not \(s.debugDescription)\(hint)")
                    } else {
                        out.append(.errorStatus(s))
                    }
                }
            case "error_reason": if let s = reader.string(value, "error_reason") { out.append(.errorReason(s)) }
            case "state": if let s = reader.state(value) { out.append(.state(s)) }
            case "within": if let d = reader.duration(value, "within") { out.append(.within(d)) }
            case "count": if let n = reader.int(value, "count", min: 0) { out.append(.count(n)) }
            case "file_count": if let n = reader.int(value, "file_count", min: 0) { out.append(.fileCount(n)) }
            case "json":
                for (path, _, match) in reader.freeMapping(value, "json") ?? [] {
                    out += textMatches(match, "json \(path)").map { .json(path: path, $0) }
                }
            default:
                for (name, _, match) in reader.freeMapping(value, "files") ?? [] {
                    out += fileMatches(match, name).map { .file(name: name, $0) }
                }
            }
        }
        return out
    }

    /// A scalar means "equals"; a mapping may combine equals/contains/not_contains/matches.
    func textMatches(_ node: Node, _ what: String) -> [TextMatch] {
        if case .scalar(let s) = node { return [.equals(s.string)] }
        guard let entries = reader.mapping(node, what, allowed: Self.textKeys) else { return [] }
        return entries.compactMap { key, _, value in
            guard let text = reader.string(value, "\(what).\(key)") else { return nil }
            switch key {
            case "equals": return .equals(text)
            case "contains": return .contains(text)
            case "not_contains": return .notContains(text)
            case "normalized": return .normalized(text)
            default:
                if (try? Regex(text)) == nil { reader.fail(value, "\(what).matches is not a valid regular expression") }
                return .matches(text)
            }
        }
    }

    /// `"89504e47"` → its bytes; nil unless it is a non-empty, even number of hex digits.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0, digits.count <= 2048 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    func fileMatches(_ node: Node, _ name: String) -> [FileMatch] {
        if case .scalar(let s) = node {
            switch s.string {
            case "present": return [.present]
            case "absent": return [.absent]
            default: return [.text(.equals(s.string))]
            }
        }
        guard let entries = reader.mapping(node, "file \(name)", allowed: Self.fileKeys) else { return [] }
        var out: [FileMatch] = []
        for (key, _, value) in entries {
            switch key {
            case "present": if reader.bool(value, "present") == true { out.append(.present) } else { out.append(.absent) }
            case "absent": if reader.bool(value, "absent") == true { out.append(.absent) } else { out.append(.present) }
            case "text", "equals": if let t = reader.string(value, key) { out.append(.text(.equals(t))) }
            case "contains": if let t = reader.string(value, key) { out.append(.text(.contains(t))) }
            case "not_contains": if let t = reader.string(value, key) { out.append(.text(.notContains(t))) }
            case "matches": if let t = reader.string(value, key) { out.append(.text(.matches(t))) }
            case "sha256":
                if let t = reader.string(value, key) {
                    if t.count == 64, t.allSatisfy(\.isHexDigit) {
                        out.append(.sha256(t))
                    } else {
                        reader.fail(value, "sha256 must be 64 hex digits")
                    }
                }
            case "size": if let n = reader.int(value, "size", min: 0) { out.append(.size(n)) }
            case "mime_type": if let t = reader.string(value, key) { out.append(.mimeType(t)) }
            case "prefix_hex":
                if let t = reader.string(value, key) {
                    if let bytes = Self.hexBytes(t) {
                        out.append(.prefix(bytes))
                    } else {
                        reader.fail(value, "prefix_hex must be pairs of hex digits")
                    }
                }
            default:
                if let t = reader.string(value, key) {
                    if let bytes = Base64.decode(t) { out.append(.bytes(bytes)) } else { reader.fail(value, "base64 is not valid base64") }
                }
            }
        }
        return out
    }
}

/// Reads a scenario's `load:` block.
struct LoadBuilder {
    let reader: NodeReader
    static let keys = [
        "vus", "iterations", "duration", "pacing", "rate", "arrivals", "max_in_flight", "stages", "thresholds", "seed", "abort_on_fail"
    ]

    func plan(_ node: Node) -> LoadPlan? {
        guard let entries = reader.mapping(node, "load", allowed: Self.keys) else { return nil }
        var vus: Int?
        var iterations: Int?
        var duration: Duration?
        var rate: Double?
        var maxInFlight = 1000
        var stages: [LoadPlan.Stage] = []
        var thresholds: [String] = []
        var seed: UInt64?
        var abort = false
        var pacing: Duration?
        var poisson = false
        for (key, _, value) in entries {
            switch key {
            case "vus": vus = reader.int(value, "vus", min: 1, max: LoadPlan.maxVirtualUsers)
            case "iterations": iterations = reader.int(value, "iterations", min: 1)
            case "duration": duration = reader.duration(value, "duration")
            case "rate": rate = reader.number(value, "rate", in: 0...LoadPlan.maxRate)
            case "pacing": pacing = reader.duration(value, "pacing")
            case "arrivals":
                switch reader.string(value, "arrivals") {
                case "uniform"?: poisson = false
                case "poisson"?: poisson = true
                default: reader.fail(value, "arrivals must be uniform or poisson")
                }
            case "max_in_flight": maxInFlight = reader.int(value, "max_in_flight", min: 1, max: LoadPlan.maxVirtualUsers) ?? maxInFlight
            case "thresholds": thresholds = reader.strings(value, "thresholds") ?? []
            case "seed": seed = reader.int(value, "seed", min: 0).map(UInt64.init)
            case "abort_on_fail": abort = reader.bool(value, "abort_on_fail") ?? false
            default:
                for stageNode in reader.list(value, "stages") ?? [] {
                    guard let fields = reader.mapping(stageNode, "a stage", allowed: ["duration", "target"]) else { continue }
                    var d: Duration?
                    var target: Double?
                    for (k, _, v) in fields {
                        if k == "duration" {
                            d = reader.duration(v, "duration")
                        } else {
                            target = reader.number(v, "target", in: 0...LoadPlan.maxRate)
                        }
                    }
                    if let d, let target {
                        stages.append(.init(duration: d, target: target))
                    } else {
                        reader.fail(stageNode, "a stage needs 'duration' and 'target'")
                    }
                }
            }
        }
        let model: LoadPlan.Model
        if let rate {
            let total = duration ?? stages.reduce(Duration.zero) { $0 + $1.duration }
            if total == .zero { reader.fail(node, "an open workload (rate) needs a 'duration' or 'stages'") }
            model = .open(rate: rate, duration: total, maxInFlight: maxInFlight)
        } else if vus != nil || !stages.isEmpty {
            if iterations == nil, duration == nil, stages.isEmpty {
                reader.fail(node, "a closed workload (vus) needs 'iterations' or 'duration'")
            }
            model = .closed(vus: vus ?? 1, iterations: iterations, duration: duration, pacing: pacing)
        } else {
            reader.fail(node, "load needs 'vus' (closed model) or 'rate' (open model)")
            return nil
        }
        for t in thresholds where Threshold.parse(t) == nil {
            reader.fail(
                node,
                "threshold \(t.debugDescription) is not of the form 'METRIC.STAT < VALUE' (e.g. execute.p99 < 250ms, errors.rate < 1%)")
        }
        var plan = LoadPlan(model: model, stages: stages, thresholds: thresholds, seed: seed, abortOnFail: abort)
        plan.poissonArrivals = poisson
        return plan
    }
}
