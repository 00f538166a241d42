import Foundation
import HarnessCore
import HarnessScenarios
import SandboxAPI
import Testing

@Suite struct ScenarioLoaderTests {
    func parse(_ yaml: String) throws -> ScenarioFile {
        try ScenarioLoader.parse(yaml: yaml, path: "t.yaml", baseDirectory: ".")
    }

    func errors(_ yaml: String) -> [String] {
        do {
            _ = try parse(yaml)
            return []
        } catch let e as ScenarioErrors {
            return e.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func fileMimeTypesAndPrefixesAreReadAndChecked() throws {
        let file = try parse(
            """
            scenarios:
              - name: chart
                steps:
                  - create: {}
                  - execute: print(1)
                    expect:
                      files: {chart.png: {mime_type: image/png, prefix_hex: 89504E47}}
            """)
        let expectations = try #require(file.scenarios.first?.steps.last?.expectations)
        #expect(expectations.contains(.file(name: "chart.png", .mimeType("image/png"))))
        #expect(expectations.contains(.file(name: "chart.png", .prefix([0x89, 0x50, 0x4E, 0x47]))))
        for bad in ["89504", "zz", "\"\""] {
            let found = errors(
                "scenarios:\n  - name: c\n    steps:\n      - execute: x\n        expect: {files: {a: {prefix_hex: \(bad)}}}\n")
            #expect(found.contains { $0.contains("prefix_hex must be pairs of hex digits") }, "\(bad): \(found)")
        }
    }

    @Test func aDirectoryLoadSkipsCassettesButAnExplicitOneIsStillChecked() throws {
        let dir = NSTemporaryDirectory() + "sandbench-loader-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/recorded", withIntermediateDirectories: true)
        try "scenarios:\n  - name: s\n    steps:\n      - create: {}\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        let cassette =
            "# sandbench cassette\nformat: sandbench-cassette/1\nrecorded_at: t\nupstream: emulator\n"
            + "inline_limit: 1\nexchanges: []\n"
        try cassette.write(toFile: dir + "/recorded/q.yaml", atomically: true, encoding: .utf8)
        let files = try ScenarioLoader.load(paths: [dir])
        #expect(files.map(\.path) == [dir + "/a.yaml"])
        #expect(throws: ScenarioErrors.self) { try ScenarioLoader.load(paths: [dir + "/recorded/q.yaml"]) }
    }

    /// `create` restores a snapshot (or starts from a template) named by a saved variable, and the
    /// create body carries it as `sandboxEnvironmentSnapshot`.
    @Test func createTakesSnapshotTemplateAndOwner() throws {
        let file = try parse(
            """
            scenarios:
              - name: restore
                steps:
                  - create: {snapshot: "${snap}", template: tpl, owner: alice}
            """)
        guard case .create(let template?) = try #require(file.scenarios.first?.steps.first).action else {
            Issue.record("not a create with a sandbox block")
            return
        }
        #expect(template.snapshot == "${snap}" && template.template == "tpl" && template.owner == "alice")
        let body = SandboxClient.createBody(template)
        #expect(body["sandboxEnvironmentSnapshot"]?.stringValue == "${snap}")
        #expect(body["sandboxEnvironmentTemplate"]?.stringValue == "tpl" && body["owner"]?.stringValue == "alice")
        #expect(errors("scenarios:\n  - name: s\n    steps:\n      - create: {snapshot: [1]}\n").count == 1)
    }

    @Test func parsesAFullScenario() throws {
        let file = try parse(
            """
            scenarios:
              - name: one
                tags: [a, b]
                sandbox: {language: javascript, machine_config: MACHINE_CONFIG_VCPU4_RAM4GIB, ttl: 90s}
                steps:
                  - create: {}
                    expect: {state: STATE_RUNNING, within: 2s}
                  - execute:
                      code: print(1)
                      files:
                        - {name: a.txt, text: hi}
                        - {name: b.bin, base64: "-_-_"}
                    expect:
                      stdout: {contains: "1", not_contains: "2"}
                      files: {out.txt: present, gone.txt: absent, c.txt: {sha256: "\(String(repeating: "ab", count: 32))"}}
                    save:
                      x: {stdout_regex: "(\\\\d)"}
                  - request: {method: post, path: "${sandbox}:execute", body: {inputs: []}}
                    expect: {status: 400, error: INVALID_ARGUMENT}
                  - wait: {status: 404, timeout: 3s}
            """)
        let s = try #require(file.scenarios.first)
        #expect(s.name == "one" && s.tags == ["a", "b"])
        #expect(s.sandbox.language == .javascript && s.sandbox.machineConfig == .vcpu4Ram4GiB && s.sandbox.ttl == .seconds(90))
        #expect(s.steps.count == 4)
        guard case .execute(_, let files, _) = s.steps[1].action else {
            Issue.record("not execute")
            return
        }
        #expect(files[1].content == [0xfb, 0xff, 0xbf])
        #expect(s.steps[1].expectations.count == 5)
        #expect(s.steps[1].captures == [Capture(variable: "x", source: .stdoutRegex("(\\d)"))])
        guard case .request(let method, _, let body, _) = s.steps[2].action else {
            Issue.record("not request")
            return
        }
        #expect(method == "POST" && body == #"{"inputs":[]}"#)
        #expect(s.steps[2].location.line == 18)
    }

    @Test func unknownKeysGetLineColumnAndASuggestion() {
        let e = errors(
            """
            scenarios:
              - name: x
                steps:
                  - create: {}
                    expcet: {status: 200}
            """)
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix("t.yaml:5:9: unknown key 'expcet'") == true)
        #expect(e.first?.contains("did you mean 'expect'") == true)
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let e = errors(
            """
            scenarios:
              - name: x
                sandbox: {language: cobol, ttl: soon}
                steps:
                  - execute: {code: 1, files: [{name: a}]}
                  - create: {}
                    wait: {state: STATE_RUNNING}
                  - get: {}
                    expect: {status: "two hundred", error: NOT_FOND, within: fast}
              - steps: []
            """)
        let joined = e.joined(separator: "\n")
        #expect(joined.contains("t.yaml:3:25: language must be python or javascript"))
        #expect(joined.contains("t.yaml:3:37: ttl must be a duration"))
        #expect(joined.contains("file 'a' needs one of 'text', 'base64' or 'path'"))
        #expect(joined.contains("has 2 actions"))
        #expect(joined.contains("status must be an integer"))
        #expect(joined.contains("did you mean 'NOT_FOUND'"))
        #expect(joined.contains("within must be a duration"))
        #expect(joined.contains("a scenario needs a 'name'"))
        #expect(e.count >= 8)
    }

    @Test func brokenYAMLPointsAtTheProblem() {
        let e = errors("scenarios:\n  - name: x\n    steps: [\n")
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix("t.yaml:") == true)
        #expect(e.first?.contains("invalid YAML") == true)
    }

    @Test func loadBlocksAndThresholdsAreChecked() throws {
        let file = try parse(
            """
            name: single
            steps: [{create: {}}]
            load: {rate: 5, duration: 10s, max_in_flight: 3, seed: 9, arrivals: poisson, thresholds: ["execute.p99 < 1s"]}
            """)
        let plan = try #require(file.scenarios.first?.load)
        #expect(plan.model == .open(rate: 5, duration: .seconds(10), maxInFlight: 3))
        #expect(plan.seed == 9 && plan.poissonArrivals)
        let e = errors("name: s\nsteps: [{create: {}}]\nload: {vus: 2, thresholds: [\"execute.p99 under 1s\"]}\n")
        #expect(e.joined().contains("needs 'iterations' or 'duration'"))
        #expect(e.joined().contains("is not of the form"))
    }

    @Test func shippedScenariosAreValid() throws {
        let root = URLPath.repositoryRoot(#filePath)
        let files = try ScenarioLoader.load(paths: [root + "/scenarios"])
        #expect(files.count >= 6)
        #expect(files.flatMap(\.scenarios).count >= 15)
    }
}

enum URLPath {
    /// The repository root, from a test file's path.
    static func repositoryRoot(_ file: String) -> String {
        var parts = file.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last != "Tests" { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }
}

/// `random: {size, seed}` files are SplitMix64 output, byte by byte little-endian: the bytes (and so
/// every sha256 written against them) must not change when the generator is made faster.
@Suite struct RandomFileTests {
    static func reference(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var out: [UInt8] = []
        while out.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for shift in 0..<8 where out.count < count { out.append(UInt8(truncatingIfNeeded: z >> UInt64(8 * shift))) }
        }
        return out
    }

    @Test(arguments: [0, 1, 7, 8, 9, 1001])
    func randomFilesAreSplitMix64Bytes(size: Int) throws {
        let yaml =
            "scenarios:\n  - name: r\n    steps:\n      - create: {}\n"
            + "      - execute: {code: x, files: [{name: a, random: {size: \(size), seed: 7}}]}\n"
        let file = try ScenarioLoader.parse(yaml: yaml, path: "r.yaml", baseDirectory: NSTemporaryDirectory())
        guard case .execute(_, let files, _) = try #require(file.scenarios.first?.steps.last).action else {
            Issue.record("not an execute step")
            return
        }
        #expect(files.first?.content == Self.reference(count: size, seed: 7))
    }
}
