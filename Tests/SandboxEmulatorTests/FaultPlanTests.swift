import Foundation
import Testing

@testable import SandboxEmulator

/// Fault files, their errors, and the injector's decisions, without a server.
@Suite struct FaultPlanTests {
    static let example = """
        seed: 7
        faults:
          - match: {method: POST, path: "*:execute"}
            error: {status: 503, rate: 0.3}
          - match: {path: "*/sandboxEnvironments"}
            latency: 50ms
            jitter: 20ms
          - match: {method: POST}
            error: {status: 429, rate: 0.1, retry_after: 1s}
          - match: {path: "*"}
            reset: {rate: 0.02}
          - match: {path: "*:execute"}
            slow_body: {bytes_per_second: 1024, rate: 0.05}
          - match: {path: "*"}
            truncate: {rate: 0.01}
        """

    @Test func theDocumentedExampleParses() throws {
        let plan = try FaultPlan.parse(yaml: Self.example, file: "f.yaml")
        #expect(plan.seed == 7)
        #expect(
            plan.rules.map(\.action) == [
                .error(status: 503, rate: 0.3),
                .latency(.milliseconds(50), jitter: .milliseconds(20)),
                .error(status: 429, rate: 0.1, retryAfter: .seconds(1)),
                .reset(rate: 0.02),
                .slowBody(bytesPerSecond: 1024, rate: 0.05),
                .truncate(rate: 0.01)
            ])
        #expect(
            plan.rules.map(\.match) == [
                FaultMatch(method: "POST", path: "*:execute"), FaultMatch(path: "*/sandboxEnvironments"), FaultMatch(method: "POST"),
                FaultMatch(), FaultMatch(path: "*:execute"), FaultMatch()
            ])
        #expect(plan.rules.map(\.origin) == ["f.yaml:3", "f.yaml:5", "f.yaml:8", "f.yaml:10", "f.yaml:12", "f.yaml:14"])
    }

    /// A bad file, the `line:column` the first problem is reported at, and words its message must hold.
    static let badFiles: [(yaml: String, location: String, words: [String])] = [
        ("faults:\n  - error: {status: 503, rate: 1.5}\n", "2:32", ["faults[1].error.rate", "0...1"]),
        ("faults:\n  - error: {status: 700}\n", "2:21", ["faults[1].error.status", "400...599"]),
        ("faults:\n  - error: {status: 99999999999999999999999}\n", "2:21", ["faults[1].error.status", "integer"]),
        ("faults:\n  - eror: {status: 503}\n", "2:5", ["unknown key 'eror'", "allowed"]),
        ("faults:\n  - latency: fast\n", "2:14", ["faults[1].latency", "duration"]),
        ("faults:\n  - latency: 2h\n", "2:14", ["faults[1].latency", "at most"]),
        ("faults:\n  - latency: 99999999999999999999999h\n", "2:14", ["faults[1].latency", "duration"]),
        ("faults:\n  - slow_body: {bytes_per_second: 0}\n", "2:35", ["bytes_per_second", "1..."]),
        ("faults:\n  - slow_body: {rate: 0.5}\n", "2:16", ["needs bytes_per_second"]),
        ("faults:\n  - error: {status: 429, retry_after: -1s}\n", "2:39", ["retry_after", "duration"]),
        ("faults:\n  - reset: {rate: .nan}\n", "2:19", ["rate", "number"]),
        ("faults:\n  - match: {method: \"PO ST\"}\n    reset: {}\n", "2:21", ["faults[1].match.method"]),
        ("faults:\n  - match: {path: \"\"}\n    reset: {}\n", "2:19", ["faults[1].match.path"]),
        ("faults:\n  - reset: {}\n    truncate: {}\n", "2:5", ["reset and truncate", "one fault per rule"]),
        ("faults:\n  - match: {method: GET}\n", "2:5", ["has no fault"]),
        ("seed: -1\nfaults: []\n", "1:7", ["seed", "integer"]),
        ("seed: 7\n", "1:1", ["no 'faults:' list"]),
        ("faults: {a: 1}\n", "1:9", ["faults must be a list"]),
        ("faults:\n  - reset: {rate: 0.5\n", "3:1", ["invalid YAML"]),
        ("faults:\n  - reset: {}\n    reset: {}\n", "2:5", ["more than once"])
    ]

    @Test(arguments: badFiles.indices)
    func badFilesNameFileLineColumnAndField(_ index: Int) {
        let (yaml, location, words) = Self.badFiles[index]
        do {
            let plan = try FaultPlan.parse(yaml: yaml, file: "bad.yaml")
            Issue.record("accepted \(yaml.debugDescription) as \(plan)")
        } catch {
            let first = error.problems.first?.description ?? ""
            #expect(first.hasPrefix("bad.yaml:\(location): "), "\(yaml.debugDescription) → \(error.description)")
            for word in words { #expect(first.contains(word), "\(yaml.debugDescription) → \(error.description)") }
        }
    }

    @Test func bareResetAndTruncateAlwaysFireAndCamelCaseKeysAreAccepted() throws {
        let yaml = "faults:\n  - reset:\n  - truncate: ~\n  - slowBody: {bytesPerSecond: 10}\n  - error: {status: 500, retryAfter: 2s}\n"
        let plan = try FaultPlan.parse(yaml: yaml, file: "f.yaml")
        #expect(plan.seed == 0)
        #expect(
            plan.rules.map(\.action) == [
                .reset(rate: 1), .truncate(rate: 1), .slowBody(bytesPerSecond: 10, rate: 1),
                .error(status: 500, rate: 1, retryAfter: .seconds(2))
            ])
    }

    @Test func everyProblemIsReportedNotOnlyTheFirst() {
        let yaml = "seed: x\nfaults:\n  - error: {status: 1, rate: 2}\n  - latency: soon\n"
        #expect(throws: FaultPlanError.self) { try FaultPlan.parse(yaml: yaml, file: "f.yaml") }
        do { _ = try FaultPlan.parse(yaml: yaml, file: "f.yaml") } catch {
            #expect(error.code == .invalidPlan)
            #expect(error.problems.map { "\($0.line):\($0.column)" } == ["1:7", "3:21", "3:30", "4:14"], "\(error)")
        }
    }

    @Test func unreadableFilesAreReportedWithTheirPath() {
        do { _ = try FaultPlan.load(path: "/nonexistent/faults.yaml") } catch {
            #expect(error.code == .unreadable)
            #expect(error.description.hasPrefix("/nonexistent/faults.yaml: cannot open"), "\(error)")
        }
    }

    @Test(arguments: [
        ("*:execute", "projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2:execute", true),
        ("*:execute", "projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2/:execute", true),
        ("*:execute", "projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2", false),
        ("*/sandboxEnvironments", "projects/p/locations/l/reasoningEngines/1/sandboxEnvironments", true),
        ("*/sandboxEnvironments", "projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2", false),
        ("*", "", true),
        ("projects/?/locations/*", "projects/p/locations/l", true),
        ("projects/?/locations/*", "projects/pp/locations/l", false),
        ("*a*b*c", "xxaxxbxxbxxc", true),
        ("*a*b*c", "xxaxxcxxb", false)
    ])
    func globsMatchThePathAfterTheVersion(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(FaultMatch(path: pattern).matches(method: "GET", path: path) == expected)
    }

    @Test func methodsMatchCaseInsensitively() {
        #expect(FaultMatch(method: "post").matches(method: "POST", path: "x"))
        #expect(!FaultMatch(method: "POST").matches(method: "GET", path: "x"))
    }

    /// The outcomes of `count` requests alternating GET and POST on an execute path.
    static func outcomes(_ injector: FaultInjector, count: Int) -> [String] {
        (0..<count).map { i in
            let decision = injector.decide(method: i % 2 == 0 ? "GET" : "POST", path: "projects/p/x:execute")
            return "\(decision.outcome?.summary ?? "-") +\(decision.delay)"
        }
    }

    @Test func decisionsAreDeterministicForASeedAndOrder() throws {
        let plan = try FaultPlan.parse(yaml: Self.example, file: "f.yaml")
        let first = Self.outcomes(FaultInjector(plan: plan), count: 500)
        let second = Self.outcomes(FaultInjector(plan: plan), count: 500)
        #expect(first == second)
        var reseeded = plan
        reseeded.seed = 8
        #expect(Self.outcomes(FaultInjector(plan: reseeded), count: 500) != first)
        // Every kind of outcome occurs over 500 requests at these rates.
        for kind in ["error 503", "error 429", "reset", "slow_body", "truncate"] {
            #expect(first.contains { $0.hasPrefix(kind) }, "\(kind) never fired")
        }
    }

    @Test func ratesZeroAndOneAndTheFirstOutcomeWins() {
        let injector = FaultInjector(
            plan: FaultPlan(
                seed: 1,
                rules: [
                    FaultRule(action: .error(status: 500, rate: 0)),
                    FaultRule(match: FaultMatch(method: "GET"), action: .error(status: 503, rate: 1)),
                    FaultRule(action: .reset(rate: 1)),
                    FaultRule(action: .latency(.milliseconds(5), jitter: .milliseconds(3)))
                ]))
        for _ in 0..<200 {
            let get = injector.decide(method: "GET", path: "a")
            #expect(get.outcome == .error(status: 503, rate: 1))
            #expect(get.delay >= .milliseconds(5) && get.delay < .milliseconds(8))
            #expect(injector.decide(method: "POST", path: "a").outcome == .reset(rate: 1))
        }
        let report = injector.report
        #expect(report.requests == 400)
        #expect(report.rules.map(\.matched) == [400, 200, 400, 400])
        #expect(report.rules.map(\.fired) == [0, 200, 200, 400])
        #expect(report.firedByKind == ["error": 200, "reset": 200, "latency": 400, "slow_body": 0, "truncate": 0])
    }

    @Test func reloadInstallsAGoodFileAndKeepsThePlanOnABadOne() throws {
        let dir = NSTemporaryDirectory() + "sandbench-faults-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/faults.yaml"
        try "seed: 1\nfaults:\n  - error: {status: 503}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let injector = FaultInjector(plan: try FaultPlan.load(path: path))
        _ = injector.decide(method: "GET", path: "x")

        try "seed: 2\nfaults:\n  - truncate: {}\n  - reset: {rate: 0}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let previous = try injector.reload(fromFile: path)
        #expect(previous.rules.map(\.fired) == [1])
        #expect(injector.decide(method: "GET", path: "x").outcome == .truncate(rate: 1))
        #expect(injector.report.seed == 2 && injector.report.reloads == 1 && injector.report.requests == 1)

        try "seed: 3\nfaults:\n  - truncate: {rate: 7}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: FaultPlanError.self) { try injector.reload(fromFile: path) }
        #expect(injector.report.seed == 2 && injector.report.reloads == 1 && injector.report.requests == 1)
    }
}
