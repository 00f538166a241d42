import Foundation
import HarnessCassettes
import HarnessCore
import HarnessReplay
import HarnessScenarios
import SandboxAPI
import Testing

/// The repository root, from this file's path.
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    while let last = parts.last, last != "Tests" { parts.removeLast() }
    parts.removeLast()
    return parts.joined(separator: "/")
}()

let shippedQuickstart = repositoryRoot + "/scenarios/recorded/quickstart.yaml"

/// Cassette → scenario: which steps, which names, which expectations.
@Suite struct ReplayPlanTests {
    @Test func theShippedQuickstartBecomesTheseSteps() throws {
        let plan = try ReplayPlan.load(path: shippedQuickstart)
        let steps = plan.scenario.steps
        #expect(plan.scenario.name == "quickstart")
        #expect(
            steps.map(\.action.operation) == [
                "request", "create", "get", "create", "get", "execute", "execute", "list", "list", "list", "get",
                "execute", "execute", "execute", "execute", "delete", "get", "delete", "get"
            ])
        #expect(steps.map(\.name) == steps.indices.map { "\($0 + 1)-\(steps[$0].action.operation)" })
        #expect(plan.origins.count == steps.count)
        // The engine's creation, its operation poll, its forced delete and the GET of the deleted engine.
        #expect(plan.skipped.map(\.exchange) == [0, 1, 19, 20])

        // The recorded engine is the run's engine.
        guard case .request("GET", "${engine}", nil, let headers) = steps[0].action else {
            Issue.record("\(steps[0].action)")
            return
        }
        #expect(headers.isEmpty)
        #expect(steps[0].expectations == [.httpStatus(200)])

        // Each create saves the minted name; the first sends no language, as recorded.
        guard case .create(let python?) = steps[1].action, case .create(let javascript?) = steps[3].action else {
            Issue.record("creates: \(steps[1].action), \(steps[3].action)")
            return
        }
        #expect(python == SandboxTemplate(language: .unspecified, displayName: "quickstart-sandbox"))
        #expect(
            javascript
                == SandboxTemplate(
                    language: .javascript, machineConfig: .vcpu4Ram4GiB, displayName: "quickstart-js",
                    ttl: .seconds(3600)))
        #expect(steps[1].captures == [Capture(variable: "sandbox_1", source: .jsonPath("name"))])
        #expect(steps[3].captures == [Capture(variable: "sandbox_2", source: .jsonPath("name"))])
        #expect(steps[1].expectations == [.state(.running)])

        // The JavaScript sandbox is current after its create; the Python one is named.
        guard case .execute(let code, [], nil) = steps[5].action else {
            Issue.record("\(steps[5].action)")
            return
        }
        #expect(code == "const answer = 6 * 7; console.log('js says', answer)")
        #expect(steps[5].expectations == [.stdout(.normalized("js says 42\n")), .stderr(.equals("")), .fileCount(0)])
        guard case .get("${sandbox_1}") = steps[10].action, case .execute(_, let files, "${sandbox_1}") = steps[11].action else {
            Issue.record("\(steps[10].action) / \(steps[11].action)")
            return
        }
        #expect(files == [FileInput(name: "input.txt", content: Array("Hello, world!".utf8), isText: true)])
        #expect(
            steps[11].expectations.contains(
                .file(
                    name: "output.txt",
                    .sha256("315f5bdb76d078c43b8ac0064e4a0164612b1fce77c869345bfc94c75894edd3"))))
        #expect(
            steps[12].expectations.contains(
                .stderr(
                    .normalized(
                        "Traceback (most recent call last):\n  File \"<cell>\", line 3, in <module>\n"
                            + "NameError: name 'lines' is not defined\n"
                    ))))

        // Lists: counts as recorded, the page token minted by the second list is saved and sent by the third.
        #expect(steps[7].expectations == [.count(2)])
        #expect(steps[8].captures == [Capture(variable: "page_token_1", source: .jsonPath("nextPageToken"))])
        guard case .list(1, "${page_token_1}", "state=\"STATE_RUNNING\"") = steps[9].action else {
            Issue.record("\(steps[9].action)")
            return
        }

        // Delete, the 404 after it, the sandbox the forced engine delete removed, and its 404.
        guard case .delete("${sandbox_1}") = steps[15].action, case .get("${sandbox_1}") = steps[16].action,
            case .delete(nil) = steps[17].action, case .get(nil) = steps[18].action
        else {
            Issue.record("\(steps[15...].map(\.action))")
            return
        }
        #expect(steps[16].expectations == [.httpStatus(404), .errorStatus("NOT_FOUND")])
        #expect(plan.origins[17].response == nil && plan.origins[17].note?.contains("forced engine delete") == true)
        #expect(steps[18].expectations == [.httpStatus(404), .errorStatus("NOT_FOUND")])
    }

    @Test func eachStepNamesItsExchangeAndItsRecordedAnswer() throws {
        let plan = try ReplayPlan.load(path: shippedQuickstart)
        let text = try String(contentsOfFile: shippedQuickstart, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (step, origin) in zip(plan.scenario.steps, plan.origins) {
            #expect(step.location == origin.location)
            #expect(origin.location.file == shippedQuickstart)
            // The location is the exchange's `- method:` line.
            let line = lines[origin.location.line - 1]
            #expect(line.hasPrefix("- method: \(plan.cassette.exchanges[origin.exchange].method)"), "\(origin.location): \(line)")
        }
        let execute = try #require(plan.recorded(step: 11))
        #expect(execute.status == 200 && execute.execute?.msgOut == "Hello, world!\n")
        let create = try #require(plan.recorded(step: 3))
        #expect(create.state == .running && create.json?["displayName"]?.stringValue == "quickstart-js")
        let gone = try #require(plan.recorded(step: 16))
        #expect(gone.status == 404 && gone.errorStatus == "NOT_FOUND" && gone.errorMessage?.contains("not found") == true)
        #expect(plan.recorded(step: 17) == nil)
        #expect(plan.recorded(step: 99) == nil)
    }

    @Test func aFileRecordedByHashOnlyIsAnErrorNamingItsLine() throws {
        let yaml = Cassettes.quickstart.replacingOccurrences(of: "        text: Hello, world!", with: "        omitted: true")
        do {
            _ = try ReplayPlan(yaml: yaml, path: "big.yaml")
            Issue.record("an omitted input file was accepted")
        } catch {
            #expect(error.code == .notReplayable)
            let line = yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("omitted: true") }.map {
                $0 + 1
            }
            #expect(error.location == SourceLocation(file: "big.yaml", line: line ?? -1, column: 9))
            #expect(error.description.hasPrefix("big.yaml:\(line ?? -1):9: request.execute.files[0] (input.txt, 13 bytes)"), "\(error)")
            #expect(error.message.contains("--keep-bodies"))
        }
    }

    @Test(arguments: [
        ("format: sandbench-cassette/2", "format is"),
        ("exchanges: {}", "must be a list"),
        ("exchanges: [", "not YAML"),
        ("exchanges:\n- method: GET", "missing")
    ])
    func aBrokenCassetteIsALayoutError(_ broken: (String, String)) throws {
        let head = "format: sandbench-cassette/1\nrecorded_at: x\nupstream: emulator\ninline_limit: 1\n"
        let yaml = broken.0.hasPrefix("format") ? broken.0 + "\nrecorded_at: x\nupstream: e\ninline_limit: 1\n" : head + broken.0
        #expect(throws: ReplayError.self) { try ReplayPlan(yaml: yaml, path: "x.yaml") }
        do { _ = try ReplayPlan(yaml: yaml, path: "x.yaml") } catch {
            #expect(error.code == .layout && error.description.hasPrefix("x.yaml:") && error.message.contains(broken.1), "\(error)")
        }
    }

    @Test func namesMintedByTheTargetAreSubstitutedWherever() throws {
        let plan = try ReplayPlan(yaml: Cassettes.correlation, path: "c.yaml")
        let steps = plan.scenario.steps
        #expect(steps.map(\.action.operation) == ["create", "create", "execute", "execute", "request", "request", "request", "get"])
        // The create whose operation was not done at once: its polls are absorbed, the state comes from the last.
        #expect(plan.origins[0].absorbed == [1, 2])
        #expect(steps[0].expectations == [.state(.running)])
        // `${` in recorded code stays literal.
        guard case .execute("console.log(`$${a}`)", [], "${sandbox_1}") = steps[2].action else {
            Issue.record("\(steps[2].action)")
            return
        }
        guard case .execute("print(2)", [], nil) = steps[3].action else {
            Issue.record("\(steps[3].action)")
            return
        }
        // A raw request: the sandbox name substituted; its operation saved and polled by name.
        guard case .request("POST", "${sandbox_1}:pause", "{}", _) = steps[4].action else {
            Issue.record("\(steps[4].action)")
            return
        }
        #expect(steps[4].captures == [Capture(variable: "operation_1", source: .jsonPath("name"))])
        guard case .request("GET", "${operation_1}", nil, _) = steps[5].action else {
            Issue.record("\(steps[5].action)")
            return
        }
        // A name inside a body, a longer ID that only starts like a known one, and the engine.
        guard case .request("POST", "${engine}/sandboxEnvironments/1234:resume", let body?, _) = steps[6].action else {
            Issue.record("\(steps[6].action)")
            return
        }
        #expect(body == #"{"note":"${sandbox_2} and ${engine}/sandboxEnvironments/123x"}"#)
        #expect(steps[6].expectations == [.httpStatus(404), .errorStatus("NOT_FOUND")])
        guard case .get("${sandbox_1}") = steps[7].action else {
            Issue.record("\(steps[7].action)")
            return
        }
    }

    @Test func aSandboxIsTheSameWhateverSpellingOfItsProject() throws {
        let plan = try ReplayPlan(yaml: Cassettes.projectNumbers, path: "vertex.yaml")
        let steps = plan.scenario.steps
        #expect(steps.map(\.action.operation) == ["create", "execute", "delete", "get"])
        #expect(plan.origins.map(\.exchange) == [2, 4, 5, 8])
        #expect(plan.origins[0].absorbed == [3])
        #expect(plan.skipped.map(\.exchange) == [0, 1, 5, 6, 7])
        guard case .execute("print(1)", [], nil) = steps[1].action, case .delete(nil) = steps[2].action,
            case .get(nil) = steps[3].action
        else {
            Issue.record("\(steps.map(\.action))")
            return
        }
        #expect(steps[0].expectations == [.state(.running)])
        #expect(steps[3].expectations == [.httpStatus(404), .errorStatus("NOT_FOUND")])
    }

    @Test func emittedYAMLLoadsBackToTheSameScenario() throws {
        for plan in [
            try ReplayPlan.load(path: shippedQuickstart), try ReplayPlan(yaml: Cassettes.correlation, path: "c.yaml"),
            try ReplayPlan(yaml: Cassettes.projectNumbers, path: "v.yaml")
        ] {
            let output = try plan.emitted(attachmentDirectory: "files/x")
            let loaded = try ScenarioLoader.parse(yaml: output.yaml, path: "emitted.yaml", baseDirectory: "/nonexistent")
            let again = try #require(loaded.scenarios.first)
            #expect(loaded.scenarios.count == 1)
            #expect(again.name == plan.scenario.name && again.tags == plan.scenario.tags)
            // Written without comments, both read the same: the writer covers every field a step holds.
            let writer = ScenarioWriter(attachmentDirectory: "files/x")
            #expect(try writer.write([again]).yaml == (try writer.write([plan.scenario]).yaml))
            #expect(again.steps.count == plan.scenario.steps.count)
            for (a, b) in zip(again.steps, plan.scenario.steps) {
                #expect(a.name == b.name && a.expectations == b.expectations && a.captures == b.captures)
            }
            #expect(output.yaml.contains("# exchange "))
        }
    }

    @Test func largeByteFilesAreEmittedBesideTheYAML() throws {
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let encoded = Base64.encode(bytes)
        let yaml = Cassettes.quickstart.replacingOccurrences(of: "        text: Hello, world!", with: "        base64: \(encoded)")
        let plan = try ReplayPlan(yaml: yaml, path: "big.yaml")
        let dir = NSTemporaryDirectory() + "sandbench-emit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let written = try ReplayPlan.emit([plan], to: dir + "/out/big.yaml")
        #expect(written == [dir + "/out/big.yaml"])
        let file = try ScenarioLoader.load(path: dir + "/out/big.yaml")
        let sent = file.scenarios.first?.steps.compactMap { step -> [FileInput]? in
            if case .execute(_, let files, _) = step.action, !files.isEmpty { files } else { nil }
        }
        let files = try #require(sent?.first)
        #expect(files.first?.content == bytes && files.first?.isText == false)
        #expect(FileManager.default.fileExists(atPath: dir + "/out/files/big"))
        // Two cassettes go into a directory, one file each.
        let both = try ReplayPlan.emit([plan, plan], to: dir + "/many")
        #expect(both == [dir + "/many/big.yaml", dir + "/many/big-2.yaml"])
    }

    @Test func loadingDispatchesOnTheFileItself() throws {
        let file = try ScenarioSources.load(path: shippedQuickstart, options: ReplayOptions(listCounts: false))
        #expect(file.scenarios.first?.steps.count == 19)
        #expect(
            file.scenarios.first?.steps.allSatisfy { !$0.expectations.contains { if case .count = $0 { true } else { false } } } == true)
        // A directory's cassettes are left to replay; named, one is replayed.
        let files = try ScenarioSources.load(paths: [repositoryRoot + "/scenarios/recorded"])
        #expect(files.isEmpty)
        #expect(try ScenarioSources.load(paths: [shippedQuickstart]).count == 1)
        #expect(try ScenarioSources.cassettes([repositoryRoot + "/scenarios/recorded"]).map(\.path) == [shippedQuickstart])
        #expect(throws: ScenarioErrors.self) { try ScenarioSources.cassettes([repositoryRoot + "/scenarios/quickstart.yaml"]) }
    }

    @Test func hostileCassettesAreErrorsNotCrashes() throws {
        let head = "format: sandbench-cassette/1\nrecorded_at: x\nupstream: emulator\ninline_limit: 1\nexchanges:\n"
        let deep =
            head + "- method: GET\n  path: /v1beta1/x\n  status: 200\n  timing: {sent_ms: 0}\n  request: {}\n  response:\n    json: "
            + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "\n"
        _ = try? ReplayPlan(yaml: deep, path: "deep.yaml")
        let hugePath =
            head + "- method: GET\n  path: /v1beta1/" + String(repeating: "a/", count: 100_000) + "\n  status: 200\n"
            + "  timing: {sent_ms: 0}\n  request: {}\n  response: {}\n"
        let plan = try ReplayPlan(yaml: hugePath, path: "long.yaml")
        #expect(plan.scenario.steps.map(\.action.operation) == ["request"])
        let badTTL = Cassettes.quickstart.replacingOccurrences(of: "ttl: 3600s", with: "ttl: 315576000000s")
        #expect(throws: ReplayError.self) { try ReplayPlan(yaml: badTTL, path: "ttl.yaml") }
        for (from, to, field) in [("status: 200", "status: 99999", "status"), ("- method: GET", "- method: GET /x HTTP/1.1", "method")] {
            let bad = Cassettes.quickstart.replacingOccurrences(of: from, with: to)
            do {
                _ = try ReplayPlan(yaml: bad, path: "bad.yaml")
                Issue.record("\(to) was accepted")
            } catch {
                #expect(error.code == .notReplayable && error.message.hasPrefix(field) && error.location.line > 0, "\(error)")
            }
        }
    }

    @Test func onlyRegularFilesAreRead() throws {
        let dir = NSTemporaryDirectory() + "sandbench-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/cassette.yaml"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Neither sniffing nor loading opens the FIFO (which would block with no writer).
        #expect(!ScenarioSources.isCassette(fifo))
        #expect(throws: ReplayError.self) { try ReplayPlan.load(path: fifo) }
        #expect(throws: ReplayError.self) { try ReplayPlan.load(path: dir) }
        let link = dir + "/link.yaml"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: shippedQuickstart)
        #expect(ScenarioSources.isCassette(link))
        #expect(try ReplayPlan.load(path: link).scenario.name == "link")
    }
}
