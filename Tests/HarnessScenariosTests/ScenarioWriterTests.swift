import Foundation
import HarnessCore
import HarnessScenarios
import Testing

/// Scenarios → YAML → scenarios: what is written loads back as the same scenario.
@Suite struct ScenarioWriterTests {
    static let everything = """
        scenarios:
          - name: "every: kind of step"
            tags: [a, "true"]
            sandbox: {language: javascript, machine_config: MACHINE_CONFIG_VCPU4_RAM4GIB, display_name: x, ttl: 90s}
            skip: not today
            steps:
              - create: {}
              - name: named one
                create: {language: python, ttl: 1500ms}
                save: {first: name, "1": {stdout_regex: "id=(\\\\d+)"}}
              - execute: "console.log('${x}', `$${y}`)"
              - execute:
                  code: |
                    trailing spaces   
                    	tab
                  files:
                    - {name: a.txt, text: "hi ${x}\\n"}
                    - {name: b.bin, base64: "AAEC", mime_type: application/octet-stream}
                  sandbox: ${first}
                expect:
                  stdout: {contains: a, not_contains: b, matches: "^a$", normalized: "pid 1\\n"}
                  stderr: ""
                  files:
                    a.txt: present
                    b.bin: {sha256: "0000000000000000000000000000000000000000000000000000000000000000", size: 3}
                    c.txt: absent
                    d.txt: "present"
                    e.txt: {text: absent}
                  file_count: 2
                  within: 2s
              - get: {sandbox: "${first}"}
                expect: {state: STATE_RUNNING, json: {spec.codeExecutionEnvironment.codeLanguage: LANGUAGE_JAVASCRIPT, \
        "a.0": {equals: "1"}}}
              - list: {page_size: 2, page_token: "${t}", filter: 'state="STATE_RUNNING"'}
                expect: {count: 2}
              - wait: {state: STATE_RUNNING, timeout: 1m, interval: 250us}
              - wait: {status: 404}
              - request:
                  method: post
                  path: ${sandbox}:execute
                  body: '{"inputs": []}'
                  headers: {X-One: "1", Accept: "${x}"}
                expect: {status: 400, error: INVALID_ARGUMENT, error_reason: INVALID_ARGUMENT, error_message: {contains: inputs}}
              - delete: {}
          - name: empty
            steps: []
        """

    @Test func writingThenLoadingGivesTheSameScenarios() throws {
        let original = try ScenarioLoader.parse(yaml: Self.everything, path: "in.yaml", baseDirectory: "/nonexistent")
        let writer = ScenarioWriter()
        let first = try writer.write(original.scenarios, header: ["two", "lines\nof header"], stepComments: [["one", nil, "three"]])
        let loaded = try ScenarioLoader.parse(yaml: first.yaml, path: "out.yaml", baseDirectory: "/nonexistent")
        #expect(try writer.write(loaded.scenarios).yaml == (try writer.write(original.scenarios).yaml))
        #expect(loaded.scenarios.map(\.name) == original.scenarios.map(\.name))
        for (a, b) in zip(loaded.scenarios, original.scenarios) {
            #expect(a.tags == b.tags && a.sandbox == b.sandbox && a.skip == b.skip && a.steps.count == b.steps.count)
            for (x, y) in zip(a.steps, b.steps) {
                #expect(x.name == y.name && x.expectations == y.expectations && x.captures == y.captures, "\(x.name)")
                if case .request(let m1, let p1, let b1, let h1) = x.action, case .request(let m2, let p2, let b2, let h2) = y.action {
                    #expect(m1 == m2 && p1 == p2 && b1 == b2 && h1 == h2)
                } else {
                    #expect(String(describing: x.action) == String(describing: y.action), "\(x.name)")
                }
            }
        }
        #expect(first.yaml.hasPrefix("# two\n# lines of header\nscenarios:\n"))
        #expect(first.yaml.contains("      # one\n      - create: {}\n"))
        #expect(first.yaml.contains("      # three\n"))
        #expect(first.attachments.isEmpty)
    }

    @Test func largeByteFilesBecomeAttachments() throws {
        let big = (0..<100).map { UInt8($0) }
        let scenario = Scenario(
            name: "files",
            steps: [
                Step(
                    name: "1-execute", action: .execute(code: "", files: [FileInput(name: "../x y.bin", content: big, isText: false)]),
                    location: SourceLocation(file: "f", line: 1, column: 1))
            ], location: SourceLocation(file: "f", line: 1, column: 1))
        let output = try ScenarioWriter(inlineLimit: 64, attachmentDirectory: "files/s").write([scenario])
        #expect(output.attachments == [ScenarioWriter.Attachment(path: "files/s/1-1-1-_x_y.bin", content: big)])
        let dir = NSTemporaryDirectory() + "sandbench-writer-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/files/s", withIntermediateDirectories: true)
        try Data(big).write(to: URL(fileURLWithPath: dir + "/files/s/1-1-1-_x_y.bin"))
        let loaded = try ScenarioLoader.parse(yaml: output.yaml, path: dir + "/s.yaml", baseDirectory: dir)
        guard case .execute("", let files, nil)? = loaded.scenarios.first?.steps.first?.action else {
            Issue.record("\(output.yaml)")
            return
        }
        #expect(files == [FileInput(name: "../x y.bin", content: big, isText: false)])
    }
}
