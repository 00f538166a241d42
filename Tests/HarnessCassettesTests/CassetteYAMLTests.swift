import Foundation
import HarnessCassettes
import SandboxAPI
import Testing
import Yams

@Suite struct CassetteYAMLTests {
    static let awkward = [
        "", "123", "true", "null", "~", "- item", "key: value", "#hash", " leading", "trailing ", "tab\there",
        "two\nlines\n", "no final newline\nhere", "  indented\nblock\n", "trailing space \nline\n", "unicode ✓ — ü",
        "control \u{7} bell", "'quotes' and \"doubles\"", "%percent", "@at", "*star", "&amp", "!bang", "{brace}", "[x]"
    ]

    static func sample() -> Cassette {
        let files = awkward.enumerated().map { index, text in
            RecordedFile(
                name: "f\(index).txt", mimeType: index % 2 == 0 ? nil : "text/plain",
                bytes: RecordedBytes(size: text.utf8.count, sha256: String(repeating: "a", count: 64), content: .text(text)))
        }
        let binary = RecordedBytes(
            size: 300, sha256: String(repeating: "b", count: 64),
            content: .base64(Base64.encode((0..<300).map { UInt8($0 % 256) })), redacted: true)
        let omitted = RecordedBytes(size: 10_000_000, sha256: String(repeating: "c", count: 64), content: .omitted)
        let inputs = files + [RecordedFile(name: "b", mimeType: nil, bytes: binary)]
        let outputs = ExecuteOutput(
            msgOut: awkward.joined(separator: "\n"), msgErr: "Traceback:\n  x\n",
            files: [RecordedFile(name: "o", mimeType: "a/b", bytes: omitted)])
        let json: JSONValue = [
            "s": "123", "n": 42, "f": 2.5, "neg": -7, "big": 1e300, "b": false, "z": nil, "e": [], "o": [:],
            "list": [["k": "v"], "x", 1], "multi": "a\nb\n"
        ]
        return Cassette(
            recordedAt: "2026-11-30T12:00:00Z", upstream: "http://127.0.0.1:1",
            exchanges: [
                Exchange(
                    method: "POST", path: executePath, query: [Field("a", "1"), Field("a", "2")], status: 200,
                    timing: Timing(sent: 0.5, firstByte: 1.25, lastByte: 2),
                    request: Message(
                        headers: [Field("authorization", "<redacted>"), Field("content-type", "application/json")],
                        body: .executeInput(ExecuteInput(code: "print(1)\n", files: inputs))),
                    response: Message(body: .executeOutput(outputs))),
                Exchange(
                    method: "GET", path: "/x", query: [Field("pageSize", "1")], status: nil, error: "connect error: refused",
                    timing: Timing(sent: 3, firstByte: nil, lastByte: nil), request: Message(), response: Message()),
                Exchange(
                    method: "POST", path: "/j", status: 404, timing: Timing(sent: 4, firstByte: 0.1, lastByte: 0.2),
                    request: Message(body: .json(json)), response: Message(body: .text("not json\n"))),
                Exchange(
                    method: "GET", path: "/b", status: 200, timing: Timing(sent: 5, firstByte: 0.1, lastByte: 0.2),
                    request: Message(), response: Message(body: .bytes(binary)))
            ])
    }

    @Test func yamlReadsBackAsTheSameCassette() throws {
        let cassette = Self.sample()
        let yaml = try cassette.yaml()
        let back = try Cassette(yaml: yaml)
        #expect(back == cassette, "\(yaml)")
        #expect(try back.yaml() == yaml, "writing is deterministic")
    }

    @Test func yamlIsPlainYAMLToAnyReader() throws {
        let yaml = try Self.sample().yaml()
        let loaded = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        #expect(loaded["format"] as? String == Cassette.format)
        let exchanges = try #require(loaded["exchanges"] as? [[String: Any]])
        #expect(exchanges.count == 4)
        let request = try #require(exchanges[0]["request"] as? [String: Any])
        let execute = try #require(request["execute"] as? [String: Any])
        #expect(execute["code"] as? String == "print(1)\n")
        #expect(yaml.contains("code: |\n"), "multi-line text is a literal block:\n\(yaml)")
    }

    @Test func notACassetteIsALayoutErrorWithItsPlace() throws {
        #expect(throws: CassetteError.self) { try Cassette(yaml: "format: something-else/9\n") }
        do {
            let header = "format: \(Cassette.format)\nrecorded_at: t\nupstream: u\ninline_limit: 1\n"
            _ = try Cassette(yaml: header + "exchanges:\n  - method: GET\n")
            Issue.record("accepted an exchange without a path")
        } catch {
            #expect(error.code == .layout)
            #expect(error.message.contains("6:5: missing \"path\""), "\(error.message)")
        }
        do {
            _ = try Cassette(yaml: "[unclosed")
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.code == .yaml)
        }
    }
}
