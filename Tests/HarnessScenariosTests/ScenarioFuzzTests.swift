import Foundation
import HarnessCore
import HarnessScenarios
import Testing

/// Hostile scenario files: every value out of range is a `file:line:column` error, and mutated
/// copies of the shipped scenarios load or fail with located errors, never a trap.
@Suite struct ScenarioFuzzTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A located error: `t.yaml:LINE:COLUMN: message`, with a message of sane size.
    static func isLocated(_ error: ScenarioError, file: String) -> Bool {
        error.location.file == file && error.location.line >= 1 && error.location.column >= 1 && error.message.utf8.count < 2_000
    }

    static let outOfRange: [(label: String, yaml: String, line: Int)] = [
        ("ttl of 10^20 s", "sandbox: {ttl: 100000000000000000000s}\nsteps: [create: {}]", 1),
        ("timeout of 10^30 h", "steps:\n  - create: {}\n  - wait: {state: STATE_RUNNING, timeout: 1000000000000000000000000000000h}", 3),
        ("within of 400 digits", "steps:\n  - create: {}\n    expect: {within: \(String(repeating: "9", count: 400))ms}", 3),
        ("random file of 10^18 bytes", "steps:\n  - create: {}\n  - execute: {files: [{name: a, random: {size: 1000000000000000000}}]}", 3),
        (
            "random file of 10^40 bytes",
            "steps:\n  - create: {}\n  - execute: {files: [{name: a, random: {size: 10000000000000000000000000000000000000000}}]}", 3
        ),
        ("page size of 2^40", "steps:\n  - create: {}\n  - list: {page_size: 1099511627776}", 3),
        ("status 10^6", "steps:\n  - create: {}\n    expect: {status: 1000000}", 3),
        ("vus 10^12", "load: {vus: 1000000000000, iterations: 1}\nsteps: [create: {}]", 1),
        ("rate 1e300", "load: {rate: 1e300, duration: 1s}\nsteps: [create: {}]", 1),
        ("rate .inf", "load: {rate: .inf, duration: 1s}\nsteps: [create: {}]", 1),
        ("negative stage target", "load: {stages: [{duration: 1s, target: -5}]}\nsteps: [create: {}]", 1),
        ("duration of 10^20 s", "load: {vus: 1, duration: 100000000000000000000s}\nsteps: [create: {}]", 1)
    ]

    @Test(arguments: outOfRange.indices)
    func outOfRangeValuesAreLocatedErrors(_ index: Int) throws {
        let c = Self.outOfRange[index]
        let yaml =
            "scenarios:\n  - name: x\n"
            + c.yaml.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, path: "t.yaml", baseDirectory: ".")
            Issue.record("\(c.label): loaded without an error")
        } catch {
            #expect(!error.errors.isEmpty, "\(c.label)")
            for e in error.errors {
                #expect(Self.isLocated(e, file: "t.yaml"), "\(c.label): \(e)")
            }
            #expect(error.errors.contains { $0.location.line == c.line + 2 }, "\(c.label): \(error)")
        }
    }

    /// Values that break parsers and converters, put in place of one scalar at a time.
    static let hostileValues = [
        "99999999999999999999s", "1e308", "-1", "-9223372036854775808", "18446744073709551616", ".nan", ".inf", "0", "",
        "~", "[", "{a: b}", "[[[[[[[[[[]]]]]]]]]]", "\"\\u0000\"", "!!binary AAAA", "*nope", "&a x", "'", "%", "@",
        String(repeating: "x", count: 100_000), "\"" + String(repeating: "é", count: 5_000) + "\"",
        "1.5.5ms", "5µs", "0x7fffffffffffffff", "1_000", "true", "STATE_", "${", "${nope}"
    ]

    /// A small deterministic generator (SplitMix64), so a failure names a seed that reproduces it.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(truncatingIfNeeded: next() % UInt64(n)) }
    }

    /// One mutation of `text`: a scalar replaced, a line deleted, duplicated or re-indented, or the text cut short.
    static func mutate(_ text: String, _ random: inout Random) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return text }
        let i = random.below(lines.count)
        switch random.below(6) {
        case 0, 1:
            // Replace what follows the first ": " (a value) or "- " (a list item).
            let line = lines[i]
            let value = hostileValues[random.below(hostileValues.count)]
            if let r = line.range(of: ": ") {
                lines[i] = String(line[..<r.upperBound]) + value
            } else if let r = line.range(of: "- ") {
                lines[i] = String(line[..<r.upperBound]) + value
            } else {
                lines[i] = line + value
            }
        case 2: lines.remove(at: i)
        case 3: lines.insert(lines[i], at: i)
        case 4: lines[i] = String(repeating: " ", count: random.below(12)) + lines[i].drop { $0 == " " }
        default:
            let cut = random.below(text.utf8.count)
            return String(decoding: Array(text.utf8).prefix(cut), as: UTF8.self)
        }
        return lines.joined(separator: "\n")
    }

    @Test func mutatedShippedScenariosNeverTrap() throws {
        let scenarios = Self.repository.appendingPathComponent("scenarios")
        let files = try FileManager.default.subpathsOfDirectory(atPath: scenarios.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        try #require(!files.isEmpty, "no shipped scenarios under \(scenarios.path)")
        var loaded = 0
        var rejected = 0
        for file in files {
            let original = try String(contentsOf: scenarios.appendingPathComponent(file), encoding: .utf8)
            let base = scenarios.appendingPathComponent(file).deletingLastPathComponent().path
            for seed in 0..<60 {
                var random = Random(state: UInt64(seed) &* 7919 &+ UInt64(file.utf8.count))
                var text = original
                for _ in 0...random.below(3) { text = Self.mutate(text, &random) }
                do {
                    _ = try ScenarioLoader.parse(yaml: text, path: "t.yaml", baseDirectory: base)
                    loaded += 1
                } catch {
                    rejected += 1
                    for e in error.errors {
                        #expect(Self.isLocated(e, file: "t.yaml"), "\(file) seed \(seed): \(e)")
                    }
                }
            }
        }
        // Both outcomes must occur, or the mutations are not reaching the loader's checks.
        #expect(loaded > 0 && rejected > 0, "loaded \(loaded), rejected \(rejected)")
    }

    @Test func duplicateKeysArePointedAt() throws {
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - execute:\n          code: print(1)\n          code: print(2)\n"
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, path: "t.yaml", baseDirectory: ".")
            Issue.record("a duplicated key loaded")
        } catch {
            let e = try #require(error.errors.first)
            #expect(e.location.line >= 4 && e.location.line <= 6, "\(e)")
            #expect(e.message.contains("'code'"), "\(e)")
        }
    }

    @Test func deeplyNestedYAMLIsALocatedError() throws {
        let depth = 10_000
        let yaml =
            "scenarios:\n  - name: x\n    steps: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, path: "t.yaml", baseDirectory: ".")
            Issue.record("a 10,000-deep list loaded")
        } catch {
            #expect(error.errors.allSatisfy { Self.isLocated($0, file: "t.yaml") }, "\(error)")
        }
    }
}
