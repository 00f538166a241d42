import Foundation
import SandboxAPI
import Yams

extension Cassette {
    /// Reads a cassette written by ``yaml()``.
    /// - Throws: ``CassetteError`` `.yaml` for text that is not YAML, `.layout` (with `line:column`)
    ///   for YAML that is not a cassette of this format.
    package init(yaml text: String) throws(CassetteError) {
        try self.init(root: try CassetteReader.compose(text))
    }

    init(root: Node) throws(CassetteError) {
        let top = try CassetteReader.mapping(root, "the cassette")
        let format = try CassetteReader.string(top, "format")
        guard format == Self.format else {
            throw CassetteError(.layout, "format is \"\(format)\"; this sandbench reads \"\(Self.format)\"")
        }
        self.init(
            recordedAt: try CassetteReader.string(top, "recorded_at"), upstream: try CassetteReader.string(top, "upstream"),
            inlineLimit: try CassetteReader.int(top, "inline_limit"),
            keepBodies: try CassetteReader.bool(top, "keep_bodies") ?? false,
            exchanges: try CassetteReader.list(top, "exchanges").map(CassetteReader.exchange))
    }
}

/// A cassette read from YAML together with the node tree it came from, so that a reader of the
/// cassette (replay) can say on which line and column a field it cannot use was written.
package struct CassetteDocument {
    package let cassette: Cassette
    private let root: Node

    /// Reads `text` as ``Cassette/init(yaml:)`` does, keeping the positions.
    package init(yaml text: String) throws(CassetteError) {
        let root = try CassetteReader.compose(text)
        self.cassette = try Cassette(root: root)
        self.root = root
    }

    /// Line and column (1-based) of exchange `index`, or of the field at `path` inside it: mapping
    /// keys (the position is the last key's), and list indexes as decimal strings
    /// (`["request", "execute", "files", "0", "omitted"]`). Where the path ends early, the deepest node found.
    package func location(exchange index: Int, _ path: [String] = []) -> (line: Int, column: Int)? {
        guard case .mapping(let top) = root, case .sequence(let exchanges)? = top["exchanges"], exchanges.indices.contains(index) else {
            return nil
        }
        var node = exchanges[index]
        for (depth, component) in path.enumerated() {
            switch node {
            case .mapping(let mapping):
                guard let pair = mapping.first(where: { $0.key.string == component }) else { return Self.position(node) }
                if depth == path.count - 1 { return Self.position(pair.key) }
                node = pair.value
            case .sequence(let sequence):
                guard let k = Int(component), sequence.indices.contains(k) else { return Self.position(node) }
                node = sequence[k]
            default:
                return Self.position(node)
            }
        }
        return Self.position(node)
    }

    private static func position(_ node: Node) -> (line: Int, column: Int)? {
        node.mark.map { ($0.line, $0.column) }
    }
}

/// Reads the YAML node tree of a cassette, naming the place of any problem.
enum CassetteReader {
    typealias Map = (node: Node, pairs: [String: Node])

    static func compose(_ text: String) throws(CassetteError) -> Node {
        do {
            guard let node = try Yams.compose(yaml: text) else { throw CassetteError(.layout, "the cassette is empty") }
            return node
        } catch let error as CassetteError {
            throw error
        } catch {
            throw CassetteError(.yaml, "the cassette is not YAML: \(error)")
        }
    }

    static func at(_ node: Node?) -> String {
        guard let mark = node?.mark else { return "" }
        return "\(mark.line):\(mark.column): "
    }

    static func mapping(_ node: Node, _ what: String) throws(CassetteError) -> Map {
        guard case .mapping(let mapping) = node else { throw CassetteError(.layout, "\(at(node))\(what) must be a mapping") }
        var pairs: [String: Node] = [:]
        for (key, value) in mapping {
            guard case .scalar(let name) = key else { throw CassetteError(.layout, "\(at(key))keys in \(what) must be names") }
            pairs[name.string] = value
        }
        return (node, pairs)
    }

    static func required(_ map: Map, _ key: String) throws(CassetteError) -> Node {
        guard let node = map.pairs[key] else { throw CassetteError(.layout, "\(at(map.node))missing \"\(key)\"") }
        return node
    }

    static func scalar(_ node: Node, _ key: String) throws(CassetteError) -> Node.Scalar {
        guard case .scalar(let scalar) = node else { throw CassetteError(.layout, "\(at(node))\"\(key)\" must be a single value") }
        return scalar
    }

    static func string(_ map: Map, _ key: String) throws(CassetteError) -> String {
        try scalar(try required(map, key), key).string
    }

    static func optionalString(_ map: Map, _ key: String) throws(CassetteError) -> String? {
        guard let node = map.pairs[key] else { return nil }
        return try scalar(node, key).string
    }

    static func int(_ map: Map, _ key: String) throws(CassetteError) -> Int {
        let node = try required(map, key)
        guard let value = Int(try scalar(node, key).string) else {
            throw CassetteError(.layout, "\(at(node))\"\(key)\" must be a whole number")
        }
        return value
    }

    static func double(_ map: Map, _ key: String) throws(CassetteError) -> Double? {
        guard let node = map.pairs[key] else { return nil }
        guard let value = Double(try scalar(node, key).string), value.isFinite else {
            throw CassetteError(.layout, "\(at(node))\"\(key)\" must be a number")
        }
        return value
    }

    static func bool(_ map: Map, _ key: String) throws(CassetteError) -> Bool? {
        guard let node = map.pairs[key] else { return nil }
        switch try scalar(node, key).string {
        case "true": return true
        case "false": return false
        default: throw CassetteError(.layout, "\(at(node))\"\(key)\" must be true or false")
        }
    }

    static func list(_ map: Map, _ key: String) throws(CassetteError) -> [Node] {
        guard let node = map.pairs[key] else { return [] }
        guard case .sequence(let sequence) = node else { throw CassetteError(.layout, "\(at(node))\"\(key)\" must be a list") }
        return Array(sequence)
    }

    static func fields(_ node: Node?, _ key: String) throws(CassetteError) -> [Field] {
        guard let node else { return [] }
        var fields: [Field] = []
        switch node {
        case .mapping(let mapping):
            for (name, value) in mapping { fields.append(Field(try scalar(name, key).string, try scalar(value, key).string)) }
        case .sequence(let sequence):
            for item in sequence { fields += try self.fields(item, key) }
        case .scalar, .alias:
            throw CassetteError(.layout, "\(at(node))\"\(key)\" must be a mapping of names to values")
        }
        return fields
    }

    static func exchange(_ node: Node) throws(CassetteError) -> Exchange {
        let map = try mapping(node, "an exchange")
        let method = try string(map, "method")
        let path = try string(map, "path")
        let timing = try mapping(try required(map, "timing"), "timing")
        let status: Int? = map.pairs["status"] == nil ? nil : try int(map, "status")
        return Exchange(
            method: method, path: path, query: try fields(map.pairs["query"], "query"),
            status: status, error: try optionalString(map, "error"),
            timing: Timing(
                sent: try double(timing, "sent_ms") ?? 0, firstByte: try double(timing, "first_byte_ms"),
                lastByte: try double(timing, "last_byte_ms")),
            request: try message(try required(map, "request"), output: false),
            response: try message(try required(map, "response"), output: true)
        )
    }

    static func message(_ node: Node, output: Bool) throws(CassetteError) -> Message {
        let map = try mapping(node, output ? "response" : "request")
        let headers = try fields(map.pairs["headers"], "headers")
        if let json = map.pairs["json"] { return Message(headers: headers, body: .json(try self.json(json))) }
        if map.pairs["text"] != nil { return Message(headers: headers, body: .text(try string(map, "text"))) }
        if let bytes = map.pairs["bytes"] { return Message(headers: headers, body: .bytes(try recordedBytes(try mapping(bytes, "bytes")))) }
        guard let executeNode = map.pairs["execute"] else { return Message(headers: headers) }
        let execute = try mapping(executeNode, "execute")
        let files = try list(execute, "files").map(file)
        if output {
            return Message(
                headers: headers,
                body: .executeOutput(
                    ExecuteOutput(
                        msgOut: try string(execute, "msg_out"),
                        msgErr: try string(execute, "msg_err"), files: files)))
        }
        return Message(headers: headers, body: .executeInput(ExecuteInput(code: try optionalString(execute, "code"), files: files)))
    }

    static func file(_ node: Node) throws(CassetteError) -> RecordedFile {
        let map = try mapping(node, "a file")
        return RecordedFile(name: try string(map, "name"), mimeType: try optionalString(map, "mime_type"), bytes: try recordedBytes(map))
    }

    static func recordedBytes(_ map: Map) throws(CassetteError) -> RecordedBytes {
        let content: RecordedBytes.Content
        if let text = try optionalString(map, "text") {
            content = .text(text)
        } else if let encoded = try optionalString(map, "base64") {
            content = .base64(String(encoded.filter { !$0.isWhitespace }))
        } else {
            content = .omitted
        }
        return RecordedBytes(
            size: try int(map, "size"), sha256: try string(map, "sha256"), content: content,
            redacted: try bool(map, "redacted") ?? false)
    }

    static func json(_ node: Node) throws(CassetteError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return .bool(node.bool ?? false)
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                guard let number = Double(scalar.string) ?? node.float, number.isFinite else { return .string(scalar.string) }
                return .number(number)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try json(item)) }
            return .array(items)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[try scalar(key, "json").string] = try json(value) }
            return .object(object)
        case .alias:
            throw CassetteError(.layout, "\(at(node))aliases are not allowed in a cassette")
        }
    }
}
