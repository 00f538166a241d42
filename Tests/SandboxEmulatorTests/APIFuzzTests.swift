import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// A seeded generator that mutates valid requests for every route of the API: the emulator answers
/// each with a 2xx or 4xx (never a 5xx, never a dropped connection) and is healthy afterwards.
///
/// `SANDBENCH_FUZZ_REQUESTS=N` runs N requests instead of the default (for longer runs outside CI);
/// `SANDBENCH_FUZZ_TRACE=1` prints each request before it is sent.
extension EmulatorTests {
    @Suite struct APIFuzz {
        /// SplitMix64: deterministic, so a failure names the seed and request index that reproduce it.
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
            mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
            mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
        }

        /// One request before mutation.
        struct Seed {
            var method: String
            var target: String
            var body: JSONValue?
        }

        static let extremeNumbers: [JSONValue] = [
            .number(1e308), .number(-1e308), .number(-1), .number(0), .number(9_223_372_036_854_775_807), .number(1.5),
            .number(5e-324), .number(18_446_744_073_709_551_616), .number(2_147_483_648)
        ]

        static let oddStrings: [String] = [
            "", " ", "-1s", "1e400s", "99999999999999999999999s", "NaN", "\u{0}", "../../etc/passwd", "/", "%", "%00",
            "STATE_RUNNING", "LANGUAGE_COBOL", "9999-12-31T23:59:59Z", "0000-00-00T00:00:00Z", "after:1", "!!!", "====",
            String(repeating: "A", count: 70_000), String(repeating: "é", count: 20_000)
        ]

        /// A value of a different JSON type than `value`, or an extreme one of the same type.
        static func swapped(_ value: JSONValue, _ random: inout Random) -> JSONValue {
            switch random.below(9) {
            case 0: return .null
            case 1: return .bool(random.chance(50))
            case 2: return random.pick(extremeNumbers)
            case 3: return .string(random.pick(oddStrings))
            case 4:
                // A huge list of a small value: 10,000 copies of a 1 MiB string would be a 10 GB body,
                // which tests the generator's memory, not the emulator.
                let count = random.pick([0, 1, 10_000])
                return .array(Array(repeating: count > 1 && value.serialized().count > 1024 ? .null : value, count: count))
            case 5: return .object(["x": value])
            case 6: return deep(random.pick([100, 511, 600, 5_000]))
            case 7:
                if case .string(let s) = value, s.utf8.count < 4096 {
                    return .string(s + String(repeating: s.isEmpty ? "x" : s, count: 200))
                }
                return .string(String(repeating: "z", count: 1 << 20))
            default: return .array([])
            }
        }

        static func deep(_ depth: Int) -> JSONValue {
            var v: JSONValue = .null
            for _ in 0..<depth { v = .array([v]) }
            return v
        }

        /// Mutates one field somewhere in `value` (deleting, swapping, adding an unknown one).
        static func mutate(_ value: JSONValue, _ random: inout Random) -> JSONValue {
            switch value {
            case .object(var o):
                guard !o.isEmpty, random.chance(80) else {
                    o[random.pick(["bogus", "name", "ttl", "expireTime", "pageSize", "force", "inputs"])] = swapped(.null, &random)
                    return .object(o)
                }
                let key = o.keys.sorted()[random.below(o.count)]
                switch random.below(4) {
                case 0: o.removeValue(forKey: key)
                case 1: o[key] = swapped(o[key] ?? .null, &random)
                default: o[key] = mutate(o[key] ?? .null, &random)
                }
                return .object(o)
            case .array(var a):
                guard !a.isEmpty else { return .array([swapped(.null, &random)]) }
                let i = random.below(a.count)
                if random.chance(30) { a.remove(at: i) } else { a[i] = mutate(a[i], &random) }
                return .array(a)
            default:
                return swapped(value, &random)
            }
        }

        /// Raw body bytes for a mutated request: JSON, sometimes cut short or spiked with invalid UTF-8.
        static func bytes(_ body: JSONValue?, _ random: inout Random) -> [UInt8]? {
            guard let body else { return random.chance(10) ? Array("{\"x\":".utf8) : nil }
            var bytes = body.serialized()
            switch random.below(10) {
            case 0: bytes = Array(bytes.prefix(random.below(bytes.count)))
            case 1:
                let at = random.below(bytes.count)
                bytes.insert(contentsOf: [0xC3, 0x28, 0xFF, 0xFE], at: at)
            case 2:
                // Invalid UTF-8 inside a string value.
                if let quote = bytes.lastIndex(of: UInt8(ascii: "\"")) { bytes.insert(contentsOf: [0xED, 0xA0, 0x80], at: quote) }
            default: break
            }
            return bytes
        }

        static func mutatePath(_ target: String, _ random: inout Random) -> String {
            switch random.below(12) {
            case 0: return target + "/" + String(repeating: "a", count: 10_000)
            case 1: return target.replacingOccurrences(of: "/sandboxEnvironments/", with: "/sandboxEnvironments/%FF%FE/")
            case 2: return target + "/../../.."
            case 3: return target + "?pageSize=" + random.pick(["-1", "1e300", "99999999999999999999", "NaN", "", "%00"])
            case 4: return target + "?pageToken=" + random.pick(["%FF", "YWZ0ZXI6LTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "====", "after:1"])
            case 5: return target + ":" + random.pick(["execute", "pause", "resume", "snapshot", "", "%00"])
            case 6: return target + "?filter=" + random.pick(["state%3DSTATE_RUNNING", "display_name%3D%22x", "%28%28%28", "a%3D"])
            default: return target
            }
        }

        @Test func mutatedRequestsGetOnly2xxOr4xx() async throws {
            let total = ProcessInfo.processInfo.environment["SANDBENCH_FUZZ_REQUESTS"].flatMap { Int($0) } ?? 1_500
            let trace = ProcessInfo.processInfo.environment["SANDBENCH_FUZZ_TRACE"] != nil
            try await withTestEmulator({
                $0.warmPool = [.python: 1, .javascript: 0]
                $0.maxSandboxes = 6
                $0.executeTimeout = .seconds(2)
                $0.killGrace = .milliseconds(500)
            }) { client in
                let engine = try await client.createEngine()
                let sandbox = try await client.createSandbox(engine: engine)
                let locations = "/v1beta1/\(client.locationPath)"
                let execute = TestClient.executeBody(code: "x = 1\nprint(x)", files: [InputFile(name: "a.txt", content: Array("hi".utf8))])
                let seeds: [Seed] = [
                    Seed(method: "POST", target: "\(locations)/reasoningEngines", body: ["displayName": "fuzz"]),
                    Seed(method: "GET", target: "\(locations)/reasoningEngines", body: nil),
                    Seed(method: "GET", target: "/v1beta1/\(engine)", body: nil),
                    Seed(method: "DELETE", target: "/v1beta1/\(engine)/sandboxEnvironments/0", body: ["force": true]),
                    Seed(
                        method: "POST", target: "/v1beta1/\(engine)/sandboxEnvironments",
                        body: TestClient.sandboxBody(
                            language: "LANGUAGE_PYTHON", machineConfig: "MACHINE_CONFIG_VCPU4_RAM4GIB", ttl: "60s",
                            displayName: "fuzz")),
                    Seed(method: "GET", target: "/v1beta1/\(engine)/sandboxEnvironments?pageSize=2", body: nil),
                    Seed(method: "GET", target: "/v1beta1/\(sandbox)", body: nil),
                    Seed(method: "POST", target: "/v1beta1/\(sandbox):execute", body: execute),
                    Seed(method: "POST", target: "/v1beta1/\(sandbox)/:execute", body: execute),
                    Seed(method: "POST", target: "/v1/\(sandbox):execute", body: execute),
                    Seed(method: "GET", target: "/v1beta1/\(sandbox)/operations/1", body: nil),
                    Seed(method: "GET", target: "/v1beta1/\(engine)/operations/1", body: nil),
                    Seed(method: "POST", target: "/v1beta1/\(sandbox):pause", body: [:]),
                    Seed(method: "POST", target: "/v1beta1/\(sandbox):resume", body: [:]),
                    Seed(method: "GET", target: "/healthz", body: nil)
                ]
                var random = Random(state: 0x5A4D_BE4C)
                var statuses: [Int: Int] = [:]
                for index in 0..<total {
                    let seed = seeds[index % seeds.count]
                    var body = seed.body
                    if let b = body, random.chance(85) {
                        body = Self.mutate(b, &random)
                        if random.chance(30) { body = Self.mutate(body ?? .null, &random) }
                    }
                    let method = random.chance(3) ? random.pick(["PUT", "PATCH", "HEAD", "OPTIONS", "GET", "POST"]) : seed.method
                    let target = Self.mutatePath(seed.target, &random)
                    let payload = Self.bytes(body, &random)
                    if trace { print("fuzz \(index): \(method) \(target.prefix(160)) body \(payload?.count ?? 0) bytes") }
                    let response: HTTPResult
                    do {
                        response = try await client.raw(method, target, body: payload)
                    } catch {
                        Issue.record("request \(index) (\(method) \(target.prefix(120))) dropped: \(error)")
                        continue
                    }
                    statuses[response.status, default: 0] += 1
                    #expect(
                        (200..<500).contains(response.status),
                        """
                        request \(index): \(method) \(target.prefix(120)) \
                        body \(String(decoding: (payload ?? []).prefix(300), as: UTF8.self)) → \(response)
                        """
                    )
                    if response.status >= 400, method != "HEAD" {
                        #expect(response.errorCode == response.status, "request \(index): not a Google error body: \(response)")
                    }
                }
                // Healthy afterwards: the original sandbox still runs code and new ones can be made.
                #expect(try await client.raw("GET", "/healthz").status == 200)
                // The sequence may end with the sandbox paused (a :pause seed whose :resume was mutated).
                _ = try await client.call("POST", sandbox + ":resume", json: [:])
                let after = try await client.execute(sandbox, code: "print('alive')")
                #expect(after.stdout.hasSuffix("alive\n"), "\(after.http)")
                let four = statuses.filter { (400..<500).contains($0.key) }.values.reduce(0, +)
                let two = statuses.filter { (200..<300).contains($0.key) }.values.reduce(0, +)
                // Both outcomes must occur, or the mutations are not reaching the handlers.
                #expect(four > total / 4 && two > total / 20, "statuses: \(statuses.sorted { $0.key < $1.key })")
            }
        }
    }
}
