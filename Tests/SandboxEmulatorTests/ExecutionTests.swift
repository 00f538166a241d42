import Foundation
import SandboxAPI
import SandboxEmulator
import Testing

/// Section 3: running code — state, errors, files, JavaScript, output limits, serialisation.
extension EmulatorTests {
    @Suite struct Execution {
        @Test func pythonStatePersistsAndErrorsAreReported() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)

                let a = try await client.execute(sb, code: "x = 41")
                #expect(a.status == 200 && a.stdout == "" && a.stderr == "", "\(a)")
                let b = try await client.execute(sb, code: "print(x + 1)")
                #expect(b.stdout == "42\n", "\(b)")

                let c = try await client.execute(sb, code: "import math\ndef area(r):\n    return round(math.pi * r * r, 2)\n")
                #expect(c.stderr == "", "\(c)")
                let d = try await client.execute(sb, code: "print(area(2), math.sqrt(16))")
                #expect(d.stdout == "12.57 4.0\n", "\(d)")

                // An exception: 200, traceback in msg_err, output before it kept, state survives.
                let e = try await client.execute(sb, code: "print('before')\ny = 'set before raising'\nraise ValueError('boom')")
                #expect(e.status == 200, "\(e)")
                #expect(e.stdout == "before\n", "\(e)")
                #expect(e.stderr.contains("Traceback"), "\(e)")
                #expect(e.stderr.contains("ValueError: boom"), "\(e)")
                let f = try await client.execute(sb, code: "print(x, y)")
                #expect(f.stdout == "41 set before raising\n", "\(f)")

                // A syntax error likewise.
                let g = try await client.execute(sb, code: "def broken(:\n  pass")
                #expect(g.status == 200, "\(g)")
                #expect(g.stderr.contains("SyntaxError"), "\(g)")
                #expect(g.stdout == "")
                let h = try await client.execute(sb, code: "print(x * 2)")
                #expect(h.stdout == "82\n", "\(h)")
            }
        }

        @Test func inputAndOutputFiles() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)

                // The input file is in the working directory before the code runs; only created/changed files return.
                let code = """
                    import os
                    print(os.getcwd(), sorted(os.listdir('.')))
                    print(open('input.txt').read())
                    with open('out.csv', 'w') as f:
                        f.write('a,b\\n1,2\\n')
                    with open('modified.txt', 'a') as f:
                        f.write(' + more')
                    """
                let r = try await client.execute(
                    sb, code: code,
                    files: [
                        InputFile(name: "input.txt", content: Array("hello input".utf8), mimeType: "text/plain"),
                        InputFile(name: "modified.txt", content: Array("original".utf8))
                    ], sdkStyle: true)
                #expect(r.status == 200 && r.stderr == "", "\(r)")
                #expect(r.stdout.contains("['input.txt', 'modified.txt']"), "\(r)")
                #expect(r.stdout.contains("hello input"), "\(r)")
                #expect(Set(r.files.map(\.name)) == ["out.csv", "modified.txt"], "unchanged input must not come back: \(r)")
                #expect(r.file("out.csv")?.content == Array("a,b\n1,2\n".utf8))
                #expect(r.file("out.csv")?.mimeType == "text/csv", "\(String(describing: r.file("out.csv")))")
                #expect(r.file("modified.txt")?.content == Array("original + more".utf8))
                #expect(r.file("modified.txt")?.mimeType == "text/plain")

                // Files from earlier calls are not returned again; a file written now is.
                let again = try await client.execute(sb, code: "open('data.json', 'w').write('{}')")
                #expect(again.files.map(\.name) == ["data.json"], "\(again)")
                #expect(again.file("data.json")?.mimeType == "application/json")

                // A files-only call (no code) places the files and returns nothing.
                let filesOnly = try await client.execute(sb, code: nil, files: [InputFile(name: "later.txt", content: Array("x".utf8))])
                #expect(filesOnly.status == 200 && filesOnly.files.isEmpty, "\(filesOnly)")
                let seen = try await client.execute(sb, code: "print(open('later.txt').read())")
                #expect(seen.stdout == "x\n", "\(seen)")
            }
        }

        @Test func modifiedFilesAndOddNamesComeBack() async throws {
            try await withTestEmulator { client in
                let sb = try await client.createSandbox(engine: try await client.createEngine())
                // A same-size rewrite right after the file was placed is still a modification.
                let same = try await client.execute(
                    sb, code: "open('same.txt', 'w').write('bbbb')",
                    files: [InputFile(name: "same.txt", content: Array("aaaa".utf8))])
                #expect(same.file("same.txt")?.content == Array("bbbb".utf8), "same-size rewrite not returned: \(same)")
                // Unicode and spaces in names, both ways; unknown extensions have no mime type.
                let odd = try await client.execute(
                    sb,
                    code: """
                        print(open('dir with space/ünï cødé.txt').read())
                        open('résumé 2.data', 'w').write('x')
                        """, files: [InputFile(name: "dir with space/ünï cødé.txt", content: Array("unicode in".utf8))])
                #expect(odd.stdout == "unicode in\n", "\(odd)")
                #expect(odd.files.map(\.name) == ["résumé 2.data"], "\(odd)")
                #expect(odd.file("résumé 2.data")?.mimeType == nil)
                // Deleting a file returns nothing for it.
                let gone = try await client.execute(sb, code: "import os\nos.remove('same.txt')")
                #expect(gone.files.isEmpty, "\(gone)")
            }
        }

        @Test func exitsAndOddOutputDoNotBreakTheSandbox() async throws {
            try await withTestEmulator { client in
                let sb = try await client.createSandbox(engine: try await client.createEngine())
                _ = try await client.execute(sb, code: "survivor = 'yes'")
                let exit = try await client.execute(sb, code: "import sys\nprint('bye')\nsys.exit(3)")
                #expect(exit.status == 200 && exit.stdout == "bye\n", "\(exit)")
                #expect(exit.stderr.contains("SystemExit"), "\(exit)")
                let builtinExit = try await client.execute(sb, code: "exit()")
                #expect(builtinExit.status == 200, "\(builtinExit)")
                // Bytes that are not UTF-8, a NUL and a lone surrogate still make a valid response.
                let odd = try await client.execute(
                    sb,
                    code:
                        "import sys\nsys.stdout.flush()\nsys.stdout.buffer.write(b'\\xff\\xfe ok\\x00\\n')\n"
                        + "print('\\ud800'.encode('utf-8', 'surrogatepass').decode('utf-8', 'replace'))"
                )
                #expect(odd.status == 200, "\(odd)")
                #expect(odd.stdout.contains(" ok"), "\(odd)")
                // Child processes' output is captured too.
                let child = try await client.execute(
                    sb, code: "import subprocess\nsubprocess.run(['echo', 'from child'])\nsubprocess.run('echo err >&2', shell=True)")
                #expect(child.stdout == "from child\n" && child.stderr == "err\n", "\(child)")
                let after = try await client.execute(sb, code: "print(survivor)")
                #expect(after.stdout == "yes\n", "\(after)")
                let state = try await client.ok("GET", sb)
                #expect(state["state"]?.stringValue == "STATE_RUNNING")
            }
        }

        @Test func binaryRoundTripSeveralFilesAndSubdirectories() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let all = (0...255).map { UInt8($0) }
                let code = """
                    import os
                    data = open('bytes.bin', 'rb').read()
                    open('reversed.bin', 'wb').write(data[::-1])
                    print(len(data))
                    os.makedirs('sub/dir', exist_ok=True)
                    open('sub/dir/nested.txt', 'w').write(open('in/deep.txt').read().upper())
                    for i in range(3):
                        open(f'many_{i}.txt', 'w').write(str(i) * (i + 1))
                    """
                let r = try await client.execute(
                    sb, code: code,
                    files: [
                        InputFile(name: "bytes.bin", content: all, mimeType: "application/octet-stream"),
                        InputFile(name: "in/deep.txt", content: Array("deep".utf8))
                    ])
                #expect(r.status == 200 && r.stderr == "", "\(r)")
                #expect(r.stdout == "256\n", "\(r)")
                #expect(r.file("reversed.bin")?.content == all.reversed(), "binary round trip")
                #expect(r.file("sub/dir/nested.txt")?.content == Array("DEEP".utf8), "\(r.files.map(\.name))")
                for i in 0..<3 {
                    #expect(r.file("many_\(i).txt")?.content == Array(String(repeating: "\(i)", count: i + 1).utf8))
                }
                #expect(r.files.count == 5, "\(r.files.map(\.name))")
                #expect(r.file("bytes.bin") == nil && r.file("in/deep.txt") == nil)
            }
        }

        @Test func javascriptSandbox() async throws {
            try await withTestEmulator({ $0.warmPool = [.python: 0, .javascript: 1] }) { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine, language: "LANGUAGE_JAVASCRIPT")
                let a = try await client.execute(sb, code: "console.log('hello', 6 * 7)")
                #expect(a.status == 200 && a.stdout == "hello 42\n" && a.stderr == "", "\(a)")
                let b = try await client.execute(sb, code: "var v = 1; let l = 2; const c = 3; function f(n) { return n * 10 }")
                #expect(b.stderr == "", "\(b)")
                let c = try await client.execute(sb, code: "console.log(v + l + c, f(4))")
                #expect(c.stdout == "6 40\n", "\(c)")
                let d = try await client.execute(
                    sb,
                    code: """
                        const fs = require('fs');
                        fs.writeFileSync('out.txt', fs.readFileSync('in.txt', 'utf8') + ' from node');
                        console.log(fs.readdirSync('.').sort().join(','));
                        """, files: [InputFile(name: "in.txt", content: Array("hi".utf8))])
                #expect(d.stderr == "", "\(d)")
                #expect(d.stdout == "in.txt,out.txt\n", "\(d)")
                #expect(d.files.map(\.name) == ["out.txt"], "\(d)")
                #expect(d.file("out.txt")?.content == Array("hi from node".utf8))
                #expect(d.file("out.txt")?.mimeType == "text/plain")
                let e = try await client.execute(
                    sb, code: "function thrower() { throw new Error('js boom') }\nconsole.log('first'); thrower()")
                #expect(e.status == 200, "\(e)")
                #expect(e.stdout == "first\n", "\(e)")
                #expect(e.stderr.contains("Error: js boom"), "\(e)")
                #expect(e.stderr.contains("at thrower"), "stack expected: \(e)")
                let g = try await client.execute(sb, code: "console.error('to stderr'); console.log(v)")
                #expect(g.stdout == "1\n" && g.stderr == "to stderr\n", "\(g)")
            }
        }

        @Test func unspecifiedLanguageRunsPython() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine, language: "LANGUAGE_UNSPECIFIED")
                let r = try await client.execute(sb, code: "import sys; print(sys.version_info[0], type(None).__name__)")
                #expect(r.stdout == "3 NoneType\n", "\(r)")
                // And an empty spec too.
                let sb2 = try await client.createSandbox(engine: engine)
                let r2 = try await client.execute(sb2, code: "print('py' if True else 'no')")
                #expect(r2.stdout == "py\n", "\(r2)")
            }
        }

        @Test func outputOverTheLimitIsCut() async throws {
            try await withTestEmulator({ $0.maxOutputBytes = 1000 }) { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let r = try await client.execute(sb, code: "import sys\nprint('x' * 5000)\nsys.stderr.write('e' * 5000)")
                #expect(r.status == 200, "\(r)")
                #expect(r.stdout.hasPrefix(String(repeating: "x", count: 1000)), "\(r)")
                #expect(r.stdout.count < 1300, "stdout not cut: \(r.stdout.count) chars")
                #expect(r.stdout.filter { $0 == "x" }.count == 1000)
                #expect(r.stdout.lowercased().contains("truncated"), "the cut must be announced: \(r)")
                #expect(r.stderr.count < 1300 && r.stderr.lowercased().contains("truncated"), "\(r)")
                // Small output is untouched.
                let small = try await client.execute(sb, code: "print('y' * 10)")
                #expect(small.stdout == String(repeating: "y", count: 10) + "\n")
            }
        }

        @Test func concurrentExecutesAreSerialised() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                _ = try await client.execute(sb, code: "import time\nL = []")
                func appender(_ tag: String) -> String {
                    "for i in range(5):\n    L.append('\(tag)')\n    time.sleep(0.05)\nprint('done \(tag)')"
                }
                async let a = client.execute(sb, code: appender("A"))
                async let b = client.execute(sb, code: appender("B"))
                let (ra, rb) = try await (a, b)
                #expect(ra.stdout == "done A\n" && rb.stdout == "done B\n", "\(ra)\n\(rb)")
                let joined = try await client.execute(sb, code: "print(''.join(L))")
                let text = joined.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(text == "AAAAABBBBB" || text == "BBBBBAAAAA", "interleaved or lost appends: \(text)")
            }
        }
    }
}
