package import HarnessCore
import SandboxAPI
import Yams

/// Writes scenarios as the YAML ``ScenarioLoader`` reads, so that writing a scenario and loading
/// the file gives the same scenario back (`sandbench replay --emit`). Everything a scenario holds is
/// written except a `load:` block; a step's name is left out when it is the default (`N-action`).
///
/// Execute input files are written as `text:` when they are text, as `base64:` when they are bytes
/// up to ``inlineLimit``, and otherwise as `path:` files beside the YAML (returned as
/// ``Output/attachments`` for the caller to write).
///
/// ```swift
/// let output = try ScenarioWriter(attachmentDirectory: "files/quickstart").write([scenario], header: ["made by hand"])
/// try output.yaml.write(toFile: "quickstart.yaml", atomically: true, encoding: .utf8)
/// ```
package struct ScenarioWriter: Sendable {
    /// Largest byte file (not text) written into the YAML as base64; larger ones become attachments.
    package var inlineLimit: Int
    /// Where attachments go, relative to the YAML file's directory. Keep it under a directory named
    /// `files`, which `sandbench run` does not search for scenarios.
    package var attachmentDirectory: String

    package init(inlineLimit: Int = 64 * 1024, attachmentDirectory: String = "files") {
        self.inlineLimit = inlineLimit
        self.attachmentDirectory = attachmentDirectory
    }

    /// A file to write beside the YAML.
    package struct Attachment: Sendable, Hashable {
        /// Path relative to the YAML file's directory.
        package var path: String
        package var content: [UInt8]

        package init(path: String, content: [UInt8]) {
            self.path = path
            self.content = content
        }
    }

    /// The YAML text and the files it refers to.
    package struct Output: Sendable {
        package var yaml: String
        package var attachments: [Attachment]
    }

    /// Why YAML could not be written (the emitter failed).
    package struct WriteError: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// The scenario file holding `scenarios`.
    /// - Parameters:
    ///   - header: comment lines written at the top.
    ///   - stepComments: for scenario `i`, step `j`, a one-line comment written above the step (nil or missing: none).
    package func write(_ scenarios: [Scenario], header: [String] = [], stepComments: [[String?]] = []) throws(WriteError) -> Output {
        var text = header.map { "# \(Self.oneLine($0))\n" }.joined() + "scenarios:\n"
        var attachments: [Attachment] = []
        for (i, scenario) in scenarios.enumerated() {
            var pairs: [(String, Node)] = [("name", Self.string(scenario.name))]
            if !scenario.tags.isEmpty { pairs.append(("tags", .sequence(.init(scenario.tags.map(Self.string), .implicit, .flow)))) }
            if scenario.sandbox != SandboxTemplate() { pairs.append(("sandbox", Self.template(scenario.sandbox, base: SandboxTemplate()))) }
            if let skip = scenario.skip { pairs.append(("skip", Self.string(skip))) }
            text += Self.indent(try Self.serialize(.sequence(.init([Self.mapping(pairs)]))), by: 2)
            guard !scenario.steps.isEmpty else {
                text += "    steps: []\n"
                continue
            }
            text += "    steps:\n"
            let comments = i < stepComments.count ? stepComments[i] : []
            for (j, step) in scenario.steps.enumerated() {
                if j < comments.count, let comment = comments[j] { text += "      # \(Self.oneLine(comment))\n" }
                let node = self.step(step, index: j + 1, scenario: scenario, prefix: "\(i + 1)-\(j + 1)", attachments: &attachments)
                text += Self.indent(try Self.serialize(.sequence(.init([node]))), by: 6)
            }
        }
        return Output(yaml: text, attachments: attachments)
    }

    // MARK: Steps

    func step(_ step: Step, index: Int, scenario: Scenario, prefix: String, attachments: inout [Attachment]) -> Node {
        var pairs: [(String, Node)] = []
        let kind = step.action.operation
        if step.name != "\(index)-\(kind)" { pairs.append(("name", Self.string(step.name))) }
        pairs.append((kind, action(step.action, base: scenario.sandbox, prefix: prefix, attachments: &attachments)))
        if !step.expectations.isEmpty { pairs.append(("expect", Self.expectations(step.expectations))) }
        if !step.captures.isEmpty {
            pairs.append(
                (
                    "save",
                    Self.mapping(
                        step.captures.map { capture in
                            switch capture.source {
                            case .jsonPath(let path): (capture.variable, Self.string(path))
                            case .stdoutRegex(let pattern):
                                (capture.variable, Self.mapping([("stdout_regex", Self.string(pattern))], flow: true))
                            }
                        })
                ))
        }
        return Self.mapping(pairs)
    }

    func action(_ action: StepAction, base: SandboxTemplate, prefix: String, attachments: inout [Attachment]) -> Node {
        switch action {
        case .create(let template):
            return template.map { Self.template($0, base: base) } ?? Self.mapping([], flow: true)
        case .execute(let code, let files, let sandbox):
            if files.isEmpty, sandbox == nil, !code.isEmpty { return Self.string(code) }
            var pairs: [(String, Node)] = []
            if !code.isEmpty || files.isEmpty { pairs.append(("code", Self.string(code))) }
            if !files.isEmpty {
                var written: [Node] = []
                for (k, file) in files.enumerated() {
                    written.append(
                        self.file(file, attachmentName: "\(prefix)-\(k + 1)-\(Self.safeFileName(file.name))", attachments: &attachments))
                }
                pairs.append(("files", .sequence(.init(written, .implicit, .block))))
            }
            if let sandbox { pairs.append(("sandbox", Self.string(sandbox))) }
            return Self.mapping(pairs)
        case .get(let sandbox), .delete(let sandbox):
            return Self.mapping(sandbox.map { [("sandbox", Self.string($0))] } ?? [], flow: true)
        case .list(let pageSize, let pageToken, let filter):
            var pairs: [(String, Node)] = []
            if let pageSize { pairs.append(("page_size", Self.integer(pageSize))) }
            if let pageToken { pairs.append(("page_token", Self.string(pageToken))) }
            if let filter { pairs.append(("filter", Self.string(filter))) }
            return Self.mapping(pairs, flow: true)
        case .wait(let condition, let timeout, let interval):
            let wanted: (String, Node) =
                switch condition {
                case .state(let state): ("state", Self.string(state.rawValue))
                case .httpStatus(let status): ("status", Self.integer(status))
                }
            return Self.mapping(
                [wanted, ("timeout", Self.string(Self.duration(timeout))), ("interval", Self.string(Self.duration(interval)))],
                flow: true)
        case .request(let method, let path, let body, let headers):
            var pairs: [(String, Node)] = [("method", Self.string(method)), ("path", Self.string(path))]
            if let body { pairs.append(("body", Self.string(body))) }
            if !headers.isEmpty {
                pairs.append(("headers", Self.mapping(headers.keys.sorted().map { ($0, Self.string(headers[$0] ?? "")) })))
            }
            return Self.mapping(pairs)
        }
    }

    func file(_ file: FileInput, attachmentName: String, attachments: inout [Attachment]) -> Node {
        var pairs: [(String, Node)] = [("name", Self.string(file.name))]
        if file.isText {
            pairs.append(("text", Self.string(String(decoding: file.content, as: UTF8.self))))
        } else if file.content.count <= inlineLimit {
            pairs.append(("base64", Self.folded(Base64.encode(file.content))))
        } else {
            let path = "\(attachmentDirectory)/\(attachmentName)"
            attachments.append(Attachment(path: path, content: file.content))
            pairs.append(("path", Self.string(path)))
        }
        if let mimeType = file.mimeType { pairs.append(("mime_type", Self.string(mimeType))) }
        return Self.mapping(pairs, flow: pairs.count <= 3 && !Self.isMultiLine(pairs))
    }

    // MARK: Expectations

    static func expectations(_ expectations: [Expectation]) -> Node {
        var order: [String] = []
        var text: [String: [TextMatch]] = [:]
        var json: [(String, [TextMatch])] = []
        var files: [(String, [FileMatch])] = []
        var single: [String: Node] = [:]
        func note(_ key: String) { if !order.contains(key) { order.append(key) } }
        for expectation in expectations {
            switch expectation {
            case .stdout(let m):
                note("stdout")
                text["stdout", default: []].append(m)
            case .stderr(let m):
                note("stderr")
                text["stderr", default: []].append(m)
            case .errorMessage(let m):
                note("error_message")
                text["error_message", default: []].append(m)
            case .json(let path, let m):
                note("json")
                if let k = json.firstIndex(where: { $0.0 == path }) { json[k].1.append(m) } else { json.append((path, [m])) }
            case .file(let name, let m):
                note("files")
                if let k = files.firstIndex(where: { $0.0 == name }) { files[k].1.append(m) } else { files.append((name, [m])) }
            case .fileCount(let n):
                note("file_count")
                single["file_count"] = integer(n)
            case .httpStatus(let n):
                note("status")
                single["status"] = integer(n)
            case .errorStatus(let s):
                note("error")
                single["error"] = string(s)
            case .errorReason(let s):
                note("error_reason")
                single["error_reason"] = string(s)
            case .state(let s):
                note("state")
                single["state"] = string(s.rawValue)
            case .within(let d):
                note("within")
                single["within"] = string(duration(d))
            case .count(let n):
                note("count")
                single["count"] = integer(n)
            }
        }
        var pairs: [(String, Node)] = []
        for key in order {
            switch key {
            case "json": pairs.append((key, mapping(json.map { ($0.0, textMatches($0.1)) })))
            case "files": pairs.append((key, mapping(files.map { ($0.0, fileMatches($0.1)) })))
            default: pairs.append((key, text[key].map(textMatches) ?? single[key] ?? string("")))
            }
        }
        return mapping(pairs)
    }

    /// One `equals` as a plain string; anything else as a mapping of `equals`/`contains`/….
    static func textMatches(_ matches: [TextMatch]) -> Node {
        if matches.count == 1, case .equals(let s) = matches[0] { return string(s) }
        let pairs: [(String, Node)] = matches.map { match in
            switch match {
            case .equals(let s): ("equals", string(s))
            case .contains(let s): ("contains", string(s))
            case .notContains(let s): ("not_contains", string(s))
            case .matches(let s): ("matches", string(s))
            case .normalized(let s): ("normalized", string(s))
            }
        }
        return mapping(pairs, flow: !isMultiLine(pairs))
    }

    static func fileMatches(_ matches: [FileMatch]) -> Node {
        if matches.count == 1 {
            switch matches[0] {
            case .present: return string("present")
            case .absent: return string("absent")
            case .text(.equals(let s)) where s != "present" && s != "absent": return string(s)
            default: break
            }
        }
        let pairs: [(String, Node)] = matches.map { match in
            switch match {
            case .present: ("present", .scalar(.init("true")))
            case .absent: ("absent", .scalar(.init("true")))
            case .text(.equals(let s)): ("text", string(s))
            case .text(.contains(let s)): ("contains", string(s))
            case .text(.notContains(let s)): ("not_contains", string(s))
            case .text(.matches(let s)): ("matches", string(s))
            case .text(.normalized(let s)): ("text", string(s))
            case .bytes(let bytes): ("base64", folded(Base64.encode(bytes)))
            case .sha256(let digest): ("sha256", string(digest))
            case .size(let n): ("size", integer(n))
            case .mimeType(let type): ("mime_type", string(type))
            case .prefix(let bytes): ("prefix_hex", string(bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()))
            }
        }
        return mapping(pairs, flow: !isMultiLine(pairs))
    }

    static func template(_ template: SandboxTemplate, base: SandboxTemplate) -> Node {
        var pairs: [(String, Node)] = []
        if template.language != base.language {
            let language =
                switch template.language {
                case .python: "python"
                case .javascript: "javascript"
                case .unspecified: "LANGUAGE_UNSPECIFIED"
                }
            pairs.append(("language", string(language)))
        }
        if template.machineConfig != base.machineConfig { pairs.append(("machine_config", string(template.machineConfig.rawValue))) }
        if template.displayName != base.displayName, let name = template.displayName { pairs.append(("display_name", string(name))) }
        if template.ttl != base.ttl, let ttl = template.ttl { pairs.append(("ttl", string(duration(ttl)))) }
        if template.snapshot != base.snapshot, let snapshot = template.snapshot { pairs.append(("snapshot", string(snapshot))) }
        if template.template != base.template, let name = template.template { pairs.append(("template", string(name))) }
        if template.owner != base.owner, let owner = template.owner { pairs.append(("owner", string(owner))) }
        return mapping(pairs, flow: true)
    }

    // MARK: YAML

    static func serialize(_ node: Node) throws(WriteError) -> String {
        do {
            return try Yams.serialize(node: node, indent: 2, width: -1, allowUnicode: true)
        } catch {
            throw WriteError(description: "could not write the scenario as YAML: \(error)")
        }
    }

    /// `text` with every non-empty line moved right by `spaces`: block structure, literal blocks
    /// and their indentation indicators are relative, so the YAML means the same one level deeper.
    static func indent(_ text: String, by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }

    static func mapping(_ pairs: [(String, Node)], flow: Bool = false) -> Node {
        .mapping(.init(pairs.map { (Node.scalar(.init($0.0)), $0.1) }, .implicit, flow || pairs.isEmpty ? .flow : .block))
    }

    static func string(_ text: String) -> Node {
        if text.contains("\n") { return .scalar(.init(text, Tag(.str), .literal)) }
        return .scalar(text.represented())
    }

    static func integer(_ value: Int) -> Node { .scalar(.init(String(value))) }

    static func isMultiLine(_ pairs: [(String, Node)]) -> Bool {
        pairs.contains { if case .scalar(let s) = $0.1 { s.string.contains("\n") } else { true } }
    }

    /// Base64 in lines of 76 characters (a literal block) when longer than one line.
    static func folded(_ encoded: String) -> Node {
        guard encoded.utf8.count > 76 else { return string(encoded) }
        var lines: [Substring] = []
        var rest = Substring(encoded)
        while !rest.isEmpty {
            lines.append(rest.prefix(76))
            rest = rest.dropFirst(76)
        }
        return .scalar(.init(lines.joined(separator: "\n") + "\n", Tag(.str), .literal))
    }

    /// A duration as the loader reads it back exactly: the largest whole unit of s, ms, us or ns.
    static func duration(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (nanoseconds, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !overflow, !overflow2, nanoseconds >= 0 else { return "\(max(0, seconds))s" }
        for (unit, scale) in [("s", Int64(1_000_000_000)), ("ms", 1_000_000), ("us", 1000)] where nanoseconds % scale == 0 {
            return "\(nanoseconds / scale)\(unit)"
        }
        return "\(nanoseconds)ns"
    }

    /// A file name reduced to letters, digits, `.`, `-` and `_`, at most 100 bytes, never hidden.
    static func safeFileName(_ name: String) -> String {
        let kept = String(
            name.unicodeScalars.prefix(100).map { scalar -> Character in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "_"
            })
        let trimmed = kept.drop { $0 == "." }
        return trimmed.isEmpty ? "file" : String(trimmed)
    }

    static func oneLine(_ text: String) -> String {
        let flat = text.map { $0.isNewline ? " " : $0 }
        return flat.count > 200 ? String(flat.prefix(200)) + "…" : String(flat)
    }
}
