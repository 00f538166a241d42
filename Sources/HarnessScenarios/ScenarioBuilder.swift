import Foundation
import HarnessCore
import SandboxAPI
import Yams

/// Turns one scenario's YAML nodes into the model; problems go to the shared ``NodeReader``.
struct ScenarioBuilder {
    let reader: NodeReader
    let baseDirectory: String

    func scenario(_ node: Node) -> Scenario? {
        guard let entries = reader.mapping(node, "a scenario", allowed: ScenarioLoader.scenarioKeys) else { return nil }
        var name: String?
        var tags: [String] = []
        var sandbox = SandboxTemplate()
        var steps: [Step] = []
        var sawSteps = false
        var skip: String?
        var load: LoadPlan?
        // The sandbox block first: create steps start from it.
        for (key, _, value) in entries where key == "sandbox" { sandbox = template(value, "sandbox") ?? sandbox }
        for (key, _, value) in entries {
            switch key {
            case "name": name = reader.string(value, "name")
            case "description": _ = reader.string(value, "description")
            case "tags": tags = reader.strings(value, "tags") ?? []
            case "sandbox": break
            case "skip":
                if case .scalar(let s) = value, let b = Bool(s.string.lowercased()) {
                    skip = b ? "skipped in the scenario file" : nil
                } else {
                    skip = reader.string(value, "skip")
                }
            case "load": load = LoadBuilder(reader: reader).plan(value)
            case "steps":
                sawSteps = true
                for (i, stepNode) in (reader.list(value, "steps") ?? []).enumerated() {
                    if let step = step(stepNode, index: i + 1, base: sandbox) { steps.append(step) }
                }
            default: break
            }
        }
        if name == nil { reader.fail(node, "a scenario needs a 'name'") }
        // The name is shown cut: a message must stay short whatever the file holds.
        if !sawSteps { reader.fail(node, "scenario '\((name ?? "?").prefix(80))' needs 'steps'") }
        guard let name else { return nil }
        return Scenario(name: name, tags: tags, sandbox: sandbox, steps: steps, skip: skip, load: load, location: reader.location(node))
    }

    /// A sandbox block; fields not given keep `base`'s values.
    func template(_ node: Node, _ what: String, base: SandboxTemplate = SandboxTemplate()) -> SandboxTemplate? {
        if NodeReader.isNull(node) { return nil }
        guard let entries = reader.mapping(node, what, allowed: ScenarioLoader.sandboxKeys) else { return nil }
        if entries.isEmpty { return nil }
        var t = base
        for (key, _, value) in entries {
            switch key {
            case "language": t.language = reader.language(value) ?? t.language
            case "machine_config": t.machineConfig = reader.machine(value) ?? t.machineConfig
            case "display_name": t.displayName = reader.string(value, "display_name")
            case "ttl": t.ttl = reader.duration(value, "ttl")
            case "snapshot": t.snapshot = reader.string(value, "snapshot")
            case "template": t.template = reader.string(value, "template")
            case "owner": t.owner = reader.string(value, "owner")
            default: break
            }
        }
        return t
    }

    func step(_ node: Node, index: Int, base: SandboxTemplate) -> Step? {
        guard let entries = reader.mapping(node, "step \(index)", allowed: ScenarioLoader.stepKeys) else { return nil }
        let kinds = entries.filter { ScenarioLoader.stepKinds.contains($0.key) }
        guard kinds.count == 1, let (kind, _, body) = kinds.first else {
            reader.fail(
                node,
                kinds.isEmpty
                    ? "step \(index) needs one action: \(ScenarioLoader.stepKinds.joined(separator: ", "))"
                    : "step \(index) has \(kinds.count) actions (\(kinds.map(\.key).joined(separator: ", "))); give one per step")
            return nil
        }
        guard let action = action(kind, body, base: base) else { return nil }
        var name = "\(index)-\(kind)"
        var expectations: [Expectation] = []
        var captures: [Capture] = []
        for (key, _, value) in entries {
            switch key {
            case "name": name = reader.string(value, "name") ?? name
            case "expect": expectations = ExpectationBuilder(reader: reader).expectations(value)
            case "save": captures = self.captures(value)
            default: break
            }
        }
        return Step(name: name, action: action, expectations: expectations, captures: captures, location: reader.location(node))
    }

    func action(_ kind: String, _ body: Node, base: SandboxTemplate) -> StepAction? {
        let empty = NodeReader.isNull(body)
        switch kind {
        case "create":
            return .create(empty ? nil : template(body, "create", base: base))
        case "execute":
            if case .scalar = body, let code = reader.string(body, "execute") { return .execute(code: code, files: []) }
            guard let entries = reader.mapping(body, "execute", allowed: ["code", "files", "sandbox"]) else { return nil }
            var code: String?
            var files: [FileInput] = []
            var sandbox: String?
            for (key, _, value) in entries {
                switch key {
                case "code": code = reader.string(value, "code")
                case "files": files = (reader.list(value, "files") ?? []).compactMap(file)
                default: sandbox = reader.string(value, "sandbox")
                }
            }
            if code == nil, files.isEmpty { reader.fail(body, "execute needs 'code' (and optionally 'files')") }
            return .execute(code: code ?? "", files: files, sandbox: sandbox)
        case "get", "delete":
            var sandbox: String?
            if !empty, let entries = reader.mapping(body, kind, allowed: ["sandbox"]) {
                sandbox = entries.first.flatMap { reader.string($0.value, "sandbox") }
            }
            return kind == "get" ? .get(sandbox: sandbox) : .delete(sandbox: sandbox)
        case "list":
            var pageSize: Int?
            var token: String?
            var filter: String?
            if !empty, let entries = reader.mapping(body, "list", allowed: ["page_size", "page_token", "filter"]) {
                for (key, _, value) in entries {
                    switch key {
                    case "page_size": pageSize = reader.int(value, "page_size", min: 0, max: Int(Int32.max))
                    case "page_token": token = reader.string(value, "page_token")
                    default: filter = reader.string(value, "filter")
                    }
                }
            }
            return .list(pageSize: pageSize, pageToken: token, filter: filter)
        case "wait":
            guard let entries = reader.mapping(body, "wait", allowed: ["state", "status", "timeout", "interval"]) else { return nil }
            var condition: WaitCondition?
            var timeout: Duration = .seconds(60)
            var interval: Duration = .milliseconds(200)
            for (key, _, value) in entries {
                switch key {
                case "state": if let s = reader.state(value) { condition = .state(s) }
                case "status": if let n = reader.int(value, "status", min: 100, max: 599) { condition = .httpStatus(n) }
                case "timeout": timeout = reader.duration(value, "timeout") ?? timeout
                default: interval = reader.duration(value, "interval") ?? interval
                }
            }
            guard let condition else {
                reader.fail(body, "wait needs 'state' (e.g. STATE_RUNNING) or 'status' (e.g. 404)")
                return nil
            }
            return .wait(condition, timeout: timeout, interval: interval)
        default:
            guard let entries = reader.mapping(body, "request", allowed: ["method", "path", "body", "headers"]) else { return nil }
            var method = "GET"
            var path: String?
            var payload: String?
            var headers: [String: String] = [:]
            for (key, _, value) in entries {
                switch key {
                case "method": method = reader.string(value, "method")?.uppercased() ?? method
                case "path": path = reader.string(value, "path")
                case "body":
                    if case .scalar(let s) = value { payload = s.string } else { payload = json(value).jsonString }
                default:
                    for (k, _, v) in reader.freeMapping(value, "headers") ?? [] { headers[k] = reader.string(v, "header \(k)") }
                }
            }
            guard let path else {
                reader.fail(body, "request needs a 'path' (relative to /v1beta1/, or absolute like /healthz)")
                return nil
            }
            return .request(method: method, path: path, body: payload, headers: headers)
        }
    }

    func file(_ node: Node) -> FileInput? {
        guard let entries = reader.mapping(node, "a file", allowed: ["name", "text", "base64", "path", "random", "mime_type"]) else {
            return nil
        }
        var name: String?
        var content: [UInt8]?
        var isText = false
        var mime: String?
        for (key, _, value) in entries {
            switch key {
            case "name": name = reader.string(value, "name")
            case "text":
                content = reader.string(value, "text").map { Array($0.utf8) }
                isText = true
            case "base64":
                if let s = reader.string(value, "base64") {
                    if let bytes = Base64.decode(s) { content = bytes } else { reader.fail(value, "base64 content is not valid base64") }
                }
            case "path":
                if let p = reader.string(value, "path") {
                    let full = p.hasPrefix("/") ? p : "\(baseDirectory)/\(p)"
                    if let data = FileManager.default.contents(atPath: full) {
                        content = [UInt8](data)
                    } else {
                        reader.fail(value, "cannot read \(full) (paths are relative to the scenario file)")
                    }
                }
            case "random":
                guard let fields = reader.mapping(value, "random", allowed: ["size", "seed"]) else { break }
                var size: Int?
                var seed = 1
                for (k, _, v) in fields {
                    if k == "size" {
                        size = reader.int(v, "size", min: 0, max: FileInput.maxRandomBytes)
                    } else {
                        seed = reader.int(v, "seed", min: 0) ?? seed
                    }
                }
                if let size {
                    content = Self.pseudoRandomBytes(count: size, seed: UInt64(seed))
                } else {
                    reader.fail(value, "random needs a 'size' in bytes")
                }
            default: mime = reader.string(value, "mime_type")
            }
        }
        guard let name else {
            reader.fail(node, "a file needs a 'name'")
            return nil
        }
        guard let content else {
            reader.fail(node, "file '\(name.prefix(80))' needs one of 'text', 'base64' or 'path'")
            return nil
        }
        return FileInput(name: name, content: content, isText: isText, mimeType: mime)
    }

    /// Deterministic bytes (SplitMix64) so a scenario can send a large file and know its digest in advance.
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        // Eight bytes per SplitMix64 step, written in place: a 100 MB file is a loop of 12.5
        // million steps, which a byte-by-byte generic loop made take minutes in a debug build
        // (on the cooperative pool, starving everything else).
        var state = seed
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let bytes = min(8, count - offset)
                withUnsafeBytes(of: z.littleEndian) { word in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + bytes)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: word[0..<bytes]))
                }
                offset += bytes
            }
        }
        return out
    }

    func captures(_ node: Node) -> [Capture] {
        var out: [Capture] = []
        for (variable, _, value) in reader.freeMapping(node, "save") ?? [] {
            if case .scalar = value, let path = reader.string(value, "save \(variable)") {
                out.append(Capture(variable: variable, source: .jsonPath(path)))
                continue
            }
            guard let entries = reader.mapping(value, "save \(variable)", allowed: ["json", "stdout_regex"]), let first = entries.first,
                let text = reader.string(first.value, first.key)
            else { continue }
            if first.key == "stdout_regex", (try? Regex(text)) == nil { reader.fail(first.value, "invalid regular expression") }
            out.append(Capture(variable: variable, source: first.key == "json" ? .jsonPath(text) : .stdoutRegex(text)))
        }
        return out
    }

    /// A YAML subtree as JSON (for request bodies written as mappings).
    func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let s):
            if s.style == .plain {
                if NodeReader.isNull(node) { return .null }
                if let b = Bool(s.string) { return .bool(b) }
                if let n = Double(s.string) { return .number(n) }
            }
            return .string(s.string)
        case .mapping(let m):
            var o: [String: JSONValue] = [:]
            for (k, v) in m { o[k.string ?? ""] = json(v) }
            return .object(o)
        case .sequence(let seq): return .array(seq.map(json))
        case .alias: return .null
        }
    }
}
