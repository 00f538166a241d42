import SandboxAPI
import Yams

extension Cassette {
    /// The cassette as YAML: fixed key order, multi-line text as literal blocks, base64 folded to
    /// 76 columns, so that two recordings diff line by line. Layout: `docs/cassettes.md`.
    /// - Throws: ``CassetteError`` when the YAML emitter fails.
    package func yaml() throws(CassetteError) -> String {
        let root = YAMLNodes.mapping([
            ("format", .scalar(.init(Self.format))),
            ("recorded_at", YAMLNodes.string(recordedAt)),
            ("upstream", YAMLNodes.string(upstream)),
            ("inline_limit", YAMLNodes.integer(inlineLimit)),
            ("keep_bodies", YAMLNodes.bool(keepBodies)),
            ("exchanges", .sequence(.init(exchanges.map(YAMLNodes.exchange), .implicit, .block)))
        ])
        do {
            let body = try Yams.serialize(node: root, indent: 2, width: -1, allowUnicode: true)
            return "# sandbench cassette: HTTP exchanges recorded by `sandbench record`; layout in docs/cassettes.md\n" + body
        } catch {
            throw CassetteError(.yaml, "could not write the cassette as YAML: \(error)")
        }
    }
}

/// Builds the YAML node tree of a cassette.
enum YAMLNodes {
    static func mapping(_ pairs: [(String, Node)], flow: Bool = false) -> Node {
        .mapping(.init(pairs.map { (Node.scalar(.init($0.0)), $0.1) }, .implicit, flow ? .flow : .block))
    }

    static func string(_ text: String) -> Node {
        if text.contains("\n") { return .scalar(.init(text, Tag(.str), .literal)) }
        return .scalar(text.represented())
    }

    static func integer(_ value: Int) -> Node { .scalar(.init(String(value))) }
    static func bool(_ value: Bool) -> Node { .scalar(.init(value ? "true" : "false")) }

    static func number(_ value: Double) -> Node {
        if let integer = Int64(exactly: value), integer.magnitude < 1 << 53 { return .scalar(.init(String(integer))) }
        return .scalar(.init(value.isFinite ? "\(value)" : ".nan"))
    }

    static func fields(_ fields: [Field]) -> Node {
        let names = fields.map(\.name)
        if Set(names).count == names.count { return mapping(fields.map { ($0.name, string($0.value)) }) }
        return .sequence(.init(fields.map { mapping([($0.name, string($0.value))], flow: true) }, .implicit, .block))
    }

    static func exchange(_ exchange: Exchange) -> Node {
        var pairs: [(String, Node)] = [("method", string(exchange.method)), ("path", string(exchange.path))]
        if !exchange.query.isEmpty { pairs.append(("query", fields(exchange.query))) }
        if let status = exchange.status { pairs.append(("status", integer(status))) }
        if let error = exchange.error { pairs.append(("error", string(error))) }
        var timing: [(String, Node)] = [("sent_ms", number(exchange.timing.sent))]
        if let firstByte = exchange.timing.firstByte { timing.append(("first_byte_ms", number(firstByte))) }
        if let lastByte = exchange.timing.lastByte { timing.append(("last_byte_ms", number(lastByte))) }
        pairs.append(("timing", mapping(timing, flow: true)))
        pairs.append(("request", message(exchange.request)))
        pairs.append(("response", message(exchange.response)))
        return mapping(pairs)
    }

    static func message(_ message: Message) -> Node {
        var pairs: [(String, Node)] = []
        if !message.headers.isEmpty { pairs.append(("headers", fields(message.headers))) }
        switch message.body {
        case .none: break
        case .json(let json): pairs.append(("json", self.json(json)))
        case .text(let text): pairs.append(("text", string(text)))
        case .bytes(let bytes): pairs.append(("bytes", mapping(self.bytes(bytes))))
        case .executeInput(let input):
            var execute: [(String, Node)] = []
            if let code = input.code { execute.append(("code", string(code))) }
            execute.append(("files", files(input.files)))
            pairs.append(("execute", mapping(execute)))
        case .executeOutput(let output):
            pairs.append(
                (
                    "execute",
                    mapping([
                        ("msg_out", string(output.msgOut)), ("msg_err", string(output.msgErr)),
                        ("files", files(output.files))
                    ])
                ))
        }
        return mapping(pairs, flow: pairs.isEmpty)
    }

    static func files(_ files: [RecordedFile]) -> Node {
        .sequence(
            .init(
                files.map { file in
                    var pairs: [(String, Node)] = [("name", string(file.name))]
                    if let mimeType = file.mimeType { pairs.append(("mime_type", string(mimeType))) }
                    return mapping(pairs + bytes(file.bytes))
                }, .implicit, files.isEmpty ? .flow : .block))
    }

    static func bytes(_ bytes: RecordedBytes) -> [(String, Node)] {
        var pairs: [(String, Node)] = [("size", integer(bytes.size)), ("sha256", string(bytes.sha256))]
        if bytes.redacted { pairs.append(("redacted", bool(true))) }
        switch bytes.content {
        case .text(let text): pairs.append(("text", string(text)))
        case .base64(let encoded): pairs.append(("base64", folded(encoded)))
        case .omitted: pairs.append(("omitted", bool(true)))
        }
        return pairs
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

    static func json(_ value: JSONValue) -> Node {
        switch value {
        case .null: return .scalar(.init("null"))
        case .bool(let b): return bool(b)
        case .number(let n): return number(n)
        case .string(let s): return string(s)
        case .array(let items): return .sequence(.init(items.map(json), .implicit, items.isEmpty ? .flow : .block))
        case .object(let object):
            return mapping(object.keys.sorted().map { ($0, json(object[$0] ?? .null)) }, flow: object.isEmpty)
        }
    }
}
