import Foundation
import Testing

/// `sandbench run` and `validate` end to end: the shipped suite against the embedded emulator.
@Suite(.serialized) struct RunCommandTests {
    @Test func shippedSuitePassesAndWritesValidJUnit() async throws {
        let dir = CLI.temporaryDirectory()
        let junit = dir + "/junit.xml"
        let json = dir + "/run.json"
        let out = try await CLI.run(["run", "scenarios", "--junit", junit, "--json", json])
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("PASS"))
        #expect(!out.stdout.contains("FAIL"))
        let (status, messages) = try CLI.validateJUnit(junit)
        #expect(status == 0, "xmllint: \(messages)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("quickstart lifecycle"))
        // The data-analysis agent's turn (pandas, matplotlib) ran on the runtime image the set-up builds.
        #expect(xml.contains("csv in, pandas summary out, chart png out"))
        #expect(!xml.contains("<failure"))
        let results = try String(contentsOfFile: json, encoding: .utf8)
        #expect(results.contains("\"execute with an input file\""))
    }

    @Test func aBrokenExpectationExitsOneWithAFailureElement() async throws {
        let dir = CLI.temporaryDirectory()
        let scenario = dir + "/broken.yaml"
        try """
        scenarios:
          - name: wrong answer
            steps:
              - create: {}
              - name: compute
                execute: print(6 * 7)
                expect:
                  stdout: "41\\n"
          - name: right answer
            steps:
              - create: {}
              - execute: print(6 * 7)
                expect: {stdout: "42\\n"}
        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let junit = dir + "/junit.xml"
        let out = try await CLI.run(["run", scenario, "--junit", junit])
        #expect(out.status == 1, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("FAIL"))
        #expect(out.stdout.contains("41"), "expected vs actual shown")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<failure"))
        #expect(xml.contains("compute"))
        let (status, messages) = try CLI.validateJUnit(junit)
        #expect(status == 0, "xmllint: \(messages)")
    }

    @Test func aFailedExecuteShowsItsTracebackInEveryReport() async throws {
        let dir = CLI.temporaryDirectory()
        let scenario = dir + "/import.yaml"
        try """
        scenarios:
          - name: missing module
            steps:
              - create: {}
              - name: import
                execute: |
                  print("about to import <&> ]]>")
                  import nonexistent_module
                  print(3)
                expect: {stdout: "3\\n"}
        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let junit = dir + "/junit.xml"
        let json = dir + "/run.json"
        let out = try await CLI.run(["run", scenario, "--junit", junit, "--json", json])
        #expect(out.status == 1, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        let cause = "ModuleNotFoundError: No module named 'nonexistent_module'"
        #expect(out.stdout.contains("stderr (last"), "console:\n\(out.stdout)")
        #expect(out.stdout.contains("Traceback (most recent call last)"), "console:\n\(out.stdout)")
        #expect(out.stdout.contains(cause), "console:\n\(out.stdout)")
        #expect(out.stdout.contains("about to import <&> ]]>"), "console:\n\(out.stdout)")

        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("ModuleNotFoundError: No module named &apos;nonexistent_module&apos;") || xml.contains(cause), "\(xml)")
        #expect(xml.contains("about to import &lt;&amp;&gt; ]]&gt;"), "\(xml)")
        let (status, messages) = try CLI.validateJUnit(junit)
        #expect(status == 0, "xmllint: \(messages)")

        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let steps = try #require(((document["scenarios"] as? [[String: Any]])?.first?["steps"]) as? [[String: Any]])
        let output = try #require(steps.first { $0["name"] as? String == "import" }?["output"] as? [String: Any])
        #expect((output["stderr"] as? String)?.contains(cause) == true, "\(output)")
        #expect((output["stdout"] as? String) == "about to import <&> ]]>")
        #expect(steps.first?["output"] is NSNull, "a passed step carries no output")
    }

    @Test func invalidScenarioFilesExitTwoWithLocations() async throws {
        let dir = CLI.temporaryDirectory()
        let scenario = dir + "/bad.yaml"
        try "scenarios:\n  - name: x\n    steps:\n      - exeucte: print(1)\n".write(toFile: scenario, atomically: true, encoding: .utf8)
        for command in ["validate", "run"] {
            let out = try await CLI.run([command, scenario])
            #expect(out.status == 2)
            #expect(out.stderr.contains("\(scenario):4:9: unknown key 'exeucte'"), "\(out.stderr)")
            #expect(out.stderr.contains("did you mean 'execute'"))
        }
        let ok = try await CLI.run(["validate", "scenarios"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test func theQuickstartPassesThroughLibcurlToo() async throws {
        // The built-in HTTP/1.1 client is the default for the emulator; libcurl must do the same job.
        let out = try await CLI.run(["run", "scenarios/quickstart.yaml", "--http-client", "curl"])
        #expect(out.status == 0, "stdout:\n\(out.stdout)\nstderr:\n\(out.stderr)")
        #expect(out.stdout.contains("PASS") && !out.stdout.contains("FAIL"))
    }

    @Test func usageErrorsExitTwo() async throws {
        #expect(try await CLI.run(["run", "--http-client", "nghttp2"]).status == 2)
        #expect(try await CLI.run(["run", "--concurrency", "0"]).status == 2)
        #expect(try await CLI.run(["run", "--target", "ftp://x"]).status == 2)
        #expect(try await CLI.run(["load", "scenarios/load/execute-session.yaml", "--threshold", "execute.p99 under 1s"]).status == 2)
        #expect(try await CLI.run(["bogus-command"]).status != 0)
    }
}
