import HarnessCore
import HarnessParity
import SandboxAPI
import Testing

@Suite struct NormaliserTests {
    func record(_ responses: [JSONValue]) -> ScenarioRecord {
        ScenarioRecord(
            name: "s", file: "s.yaml", outcome: .passed,
            steps: responses.enumerated().map {
                StepRecord(name: "\($0.offset + 1)", operation: "get", outcome: .passed, response: $0.element)
            })
    }

    func normalised(_ responses: [JSONValue], _ normaliser: Normaliser = Normaliser()) -> [JSONValue] {
        normaliser.normalise(record(responses)).steps.compactMap(\.response)
    }

    @Test func resourceIDsGetReferenceNumberingAcrossSteps() {
        let engine = "projects/sandbench/locations/us-central1/reasoningEngines/4074523125362"
        let first = "\(engine)/sandboxEnvironments/4074523126607"
        let second = "\(engine)/sandboxEnvironments/4074523199999"
        let out = normalised([
            ["name": .string(first), "op": .string("\(first)/operations/77")],
            ["name": .string(second)],
            ["sandboxes": [.string(first), .string(second)], "message": .string("sandbox 4074523126607 is busy")]
        ])
        let base = "projects/<project:1>/locations/<location:1>/reasoningEngines/<engine:1>"
        #expect(
            out[0] == [
                "name": .string("\(base)/sandboxEnvironments/<sandbox:1>"),
                "op": .string("\(base)/sandboxEnvironments/<sandbox:1>/operations/<operation:1>")
            ])
        #expect(out[1] == ["name": .string("\(base)/sandboxEnvironments/<sandbox:2>")])
        #expect(
            out[2]["sandboxes"] == [.string("\(base)/sandboxEnvironments/<sandbox:1>"), .string("\(base)/sandboxEnvironments/<sandbox:2>")])
        #expect(out[2]["message"] == "sandbox <sandbox:1> is busy", "a known ID standing alone is replaced too")
    }

    @Test func twoRunsWithDifferentIDsNormaliseToTheSameDocuments() {
        func run(_ project: String, _ e: String, _ s: String) -> [JSONValue] {
            let name = "projects/\(project)/locations/us-central1/reasoningEngines/\(e)/sandboxEnvironments/\(s)"
            return normalised([
                ["name": .string(name), "createTime": "2026-11-30T21:11:57.887667Z", "state": "STATE_RUNNING"],
                ["@status": 404, "error": ["code": 404, "status": "NOT_FOUND", "message": .string("SandboxEnvironment \(name) not found.")]]
            ])
        }
        #expect(run("sandbench", "11", "22") == run("123456789", "987654321", "555"))
    }

    @Test func shortIDsAreNotReplacedWhereTheyStandAlone() {
        let out = normalised([["name": "projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2", "count": "1 and 2"]])
        #expect(out[0]["count"] == "1 and 2")
    }

    @Test(arguments: [
        ("created 2026-11-30T21:11:57.887667Z", "created <timestamp>"),
        ("at 2026-11-30T21:11:57Z and 2026-11-30 21:11:57+01:00", "at <timestamp> and <timestamp>"),
        ("took 12.5ms, then 250ms, then 0.25s", "took <duration>, then <duration>, then <duration>"),
        ("ttl 3600s", "ttl 3600s"),
        ("File \"/tmp/sb-x1/main.py\", line 3", "File \"<file>\", line 3"),
        ("wrote /tmp/sb-x1/out.csv", "wrote <tmp>"),
        ("\u{1B}[31mred\u{1B}[0m at 0x7f3a2c1b9d60", "red at 0x<addr>"),
        ("killed pid 4242 (process 77)", "killed pid <pid> (process <pid>)"),
        ("HTTPConnectionPool(host='db.internal', port=5432)", "HTTPConnectionPool(host='<host>', port=5432)"),
        ("connect to 127.0.0.1:8080 failed", "connect to <address> failed"),
        ("plain text 42", "plain text 42")
    ])
    func volatileTextIsReplaced(_ pair: (String, String)) {
        #expect(normalised([["msg": .string(pair.0)]])[0]["msg"] == .string(pair.1))
    }

    @Test func unorderedListsCompareEqualInAnyOrder() {
        let engine = "projects/p/locations/l/reasoningEngines/9000001"
        func list(_ names: [(String, String)]) -> JSONValue {
            [
                "sandboxEnvironments": .array(
                    names.map { ["name": .string("\(engine)/sandboxEnvironments/\($0.0)"), "displayName": .string($0.1)] })
            ]
        }
        let a = normalised([list([("1000001", "alpha"), ("1000002", "beta")])])
        let b = normalised([list([("2000002", "beta"), ("2000001", "alpha")])])
        #expect(a == b)
        // Known sandboxes keep their numbers whatever the order they are listed in.
        let created: JSONValue = ["name": .string("\(engine)/sandboxEnvironments/1000002"), "displayName": "beta"]
        let c = normalised([created, list([("1000001", "alpha"), ("1000002", "beta")])])
        let createdB: JSONValue = ["name": .string("\(engine)/sandboxEnvironments/3000002"), "displayName": "beta"]
        let d = normalised([createdB, list([("3000002", "beta"), ("3000001", "alpha")])])
        #expect(c == d)
        #expect(c[1]["sandboxEnvironments"]?.arrayValue?.compactMap { $0["displayName"]?.stringValue } == ["alpha", "beta"])
    }

    @Test func errorMessagesAreComparedByClass() {
        #expect(Normaliser.messageClass("SandboxEnvironment <sandbox:1> not found.") == "sandboxenvironment … not found")
        #expect(Normaliser.messageClass("Invalid filter value \"STATE_X\" for state.") == "invalid filter value … for state")
        #expect(Normaliser.messageClass("pageSize must not be   negative (got -5)") == "pagesize must not be negative (got …)")
        #expect(Normaliser.messageClass("can't run: 'x' is 12 bytes") == "can't run: … is … bytes")
        #expect(Normaliser.messageClass(String(repeating: "word ", count: 200)).count <= 200)
        let out = normalised([
            [
                "@status": 404,
                "error": ["message": "SandboxEnvironment projects/p/locations/l/reasoningEngines/1/sandboxEnvironments/2 not found."]
            ]
        ])
        #expect(out[0]["error"]?["message"] == "sandboxenvironment … not found")
    }

    @Test func gapsFileRulesAndRunLabelsApply() throws {
        var normaliser = Normaliser(rules: [
            TextRule(pattern: "worker-[0-9]+", replacement: "<worker>", numbered: true),
            TextRule(pattern: "Python 3\\.[0-9]+", replacement: "Python 3.x", paths: [try ParityPath(parsing: "outputs[*].msg_out")])
        ])
        normaliser.runLabels = ["sb-1a2b3c"]
        let out = normalised(
            [
                [
                    "outputs": [["msg_out": "Python 3.11 on worker-17", "msg_err": "worker-17, worker-3, Python 3.11"]],
                    "displayName": "sb-1a2b3c-quickstart"
                ]
            ], normaliser)
        #expect(
            out[0]["outputs"]?.arrayValue?.first == [
                "msg_out": "Python 3.x on <worker:1>", "msg_err": "<worker:1>, <worker:2>, Python 3.11"
            ])
        #expect(out[0]["displayName"] == "<run>-quickstart")
    }

    @Test func normalisingTwiceChangesNothing() {
        let name = "projects/p/locations/us-central1/reasoningEngines/4074523125362/sandboxEnvironments/4074523126607"
        let once = Normaliser().normalise(record([["name": .string(name), "t": "2026-11-30T21:11:57Z", "msg": "pid 7 in /tmp/x"]]))
        #expect(Normaliser().normalise(once) == once)
    }

    @Test func executeAnswersAreDecodedWithFilesSortedByName() throws {
        let response = ExecuteResponse(
            stdout: "hi\n", stderr: "",
            files: [
                SandboxFile(name: "z.txt", content: Array("last".utf8), mimeType: "text/plain"),
                SandboxFile(name: "a.bin", content: [0xFF, 0x00], mimeType: nil)
            ])
        let body = StepRecord.executeBody(response)
        let outputs = try #require(body["outputs"]?.arrayValue)
        #expect(outputs[0] == ["msg_out": "hi\n", "msg_err": ""])
        #expect(outputs[1]["file_name"] == "a.bin" && outputs[1]["text"] == nil && outputs[1]["size"] == 2)
        #expect(outputs[2]["file_name"] == "z.txt" && outputs[2]["text"] == "last" && outputs[2]["mime_type"] == "text/plain")
        #expect(outputs[2]["sha256"] == .string(SHA256.hex(Array("last".utf8))))
    }
}
