/// One `Chunk` of execute input or output: bytes, a MIME type and metadata attributes.
package struct Chunk: Sendable, Hashable {
    package var data: [UInt8]
    package var mimeType: String?
    /// `metadata.attributes`: attribute name → raw bytes (base64 on the wire).
    package var attributes: [String: [UInt8]]

    package init(data: [UInt8], mimeType: String?, attributes: [String: [UInt8]] = [:]) {
        self.data = data
        self.mimeType = mimeType
        self.attributes = attributes
    }

    /// The `file_name` attribute decoded as UTF-8, for file chunks.
    package var fileName: String? { attributes["file_name"].map { String(decoding: $0, as: UTF8.self) } }

    /// Reads a chunk (`strict` for requests).
    package init(json: JSONValue, at path: String, strict: Bool) throws(GoogleError) {
        var f = try FieldReader(json, at: path, strict: strict)
        data = try f.bytes("data") ?? []
        mimeType = try f.string("mimeType")
        attributes = [:]
        if var metadata = try f.object("metadata") {
            if let attrs = metadata.take("attributes") {
                guard case .object(let map) = attrs else {
                    throw GoogleError.invalid("Invalid value at '\(path).metadata.attributes': expected an object.")
                }
                for (key, value) in map {
                    guard case .string(let s) = value, let bytes = Base64.decode(s) else {
                        throw GoogleError.invalid("Invalid value at '\(path).metadata.attributes[\(key)]' (TYPE_BYTES): not valid base64.")
                    }
                    attributes[key] = bytes
                }
            }
            try metadata.finish()
        }
        try f.finish()
    }

    /// Proto-JSON form (lowerCamelCase, standard base64); metadata is omitted when empty.
    package var json: JSONValue {
        var o: [String: JSONValue] = ["data": .string(Base64.encode(data))]
        if let mimeType { o["mimeType"] = .string(mimeType) }
        if !attributes.isEmpty {
            o["metadata"] = ["attributes": .object(attributes.mapValues { .string(Base64.encode($0)) })]
        }
        return .object(o)
    }
}

/// A file carried into or out of a sandbox.
public struct SandboxFile: Sendable, Hashable {
    package var name: String
    package var content: [UInt8]
    package var mimeType: String?

    package init(name: String, content: [UInt8], mimeType: String? = nil) {
        self.name = name
        self.content = content
        self.mimeType = mimeType
    }
}

/// `ExecuteSandboxEnvironmentRequest`: a JSON code chunk plus file chunks.
package struct ExecuteRequest: Sendable, Hashable {
    package var inputs: [Chunk]

    package init(inputs: [Chunk]) { self.inputs = inputs }

    /// The request the official SDK builds for `code` and `files`.
    package init(code: String?, files: [SandboxFile] = []) {
        var inputs: [Chunk] = []
        if let code {
            inputs.append(Chunk(data: JSONValue.object(["code": .string(code)]).serialized(), mimeType: "application/json"))
        }
        for file in files {
            inputs.append(Chunk(data: file.content, mimeType: file.mimeType ?? "", attributes: ["file_name": Array(file.name.utf8)]))
        }
        self.inputs = inputs
    }

    /// Reads a request body strictly.
    package init(json: JSONValue) throws(GoogleError) {
        var f = try FieldReader(json, at: "execute_sandbox_environment_request", strict: true)
        let list = try f.array("inputs")
        try f.finish()
        guard let list else {
            throw GoogleError.invalid("Missing required field 'inputs' in the execute request.")
        }
        inputs = []
        for (i, item) in list.enumerated() {
            inputs.append(try Chunk(json: item, at: "inputs[\(i)]", strict: true))
        }
    }

    package var json: JSONValue { ["inputs": .array(inputs.map(\.json))] }

    /// Splits the inputs into the code to run and the files to place, validating as the service does:
    /// chunks with a `file_name` are files; the rest must be one `application/json` chunk holding `{"code": …}`.
    package func decoded() throws(GoogleError) -> (code: String?, files: [SandboxFile]) {
        var code: String?
        var files: [SandboxFile] = []
        for (i, chunk) in inputs.enumerated() {
            if let name = chunk.fileName {
                files.append(SandboxFile(name: name, content: chunk.data, mimeType: chunk.mimeType.flatMap { $0.isEmpty ? nil : $0 }))
                continue
            }
            if let mime = chunk.mimeType, mime.hasPrefix("application/x.sandbox-request-") {
                throw GoogleError(
                    .unimplemented,
                    "inputs[\(i)]: \(mime) chunks (execute_bash, proxied container requests) are not implemented: "
                        + "this emulator runs code-execution sandboxes only.",
                    reason: "SANDBOX_REQUEST_NOT_IMPLEMENTED")
            }
            guard chunk.mimeType == "application/json" else {
                throw GoogleError.invalid(
                    "inputs[\(i)]: a chunk without a file_name attribute must have mimeType \"application/json\" "
                        + "and hold {\"code\": ...}; got mimeType \"\(chunk.mimeType ?? "")\"."
                )
            }
            guard code == nil else { throw GoogleError.invalid("inputs[\(i)]: more than one code chunk.") }
            let body: JSONValue
            do { body = try JSONValue.parse(chunk.data) } catch {
                throw GoogleError.invalid("inputs[\(i)]: the code chunk is not JSON (\(error)).")
            }
            guard case .string(let text)? = body["code"] else {
                throw GoogleError.invalid("inputs[\(i)]: the code chunk must be a JSON object with a string field \"code\".")
            }
            code = text
        }
        return (code, files)
    }
}

/// `ExecuteSandboxEnvironmentResponse`: the console chunk first, then one chunk per file.
package struct ExecuteResponse: Sendable, Hashable {
    package var outputs: [Chunk]

    package init(outputs: [Chunk]) { self.outputs = outputs }

    /// Builds the response as the service shapes it.
    package init(stdout: String, stderr: String, files: [SandboxFile]) {
        let console = JSONValue.object(["msg_out": .string(stdout), "msg_err": .string(stderr)])
        var outputs = [Chunk(data: console.serialized(), mimeType: "application/json")]
        for file in files {
            outputs.append(Chunk(data: file.content, mimeType: file.mimeType, attributes: ["file_name": Array(file.name.utf8)]))
        }
        self.outputs = outputs
    }

    /// Reads a response body tolerantly (unknown fields are ignored, as clients do).
    package init(json: JSONValue) throws(GoogleError) {
        var f = try FieldReader(json, at: "execute_sandbox_environment_response", strict: false)
        outputs = []
        for (i, item) in (try f.array("outputs") ?? []).enumerated() {
            outputs.append(try Chunk(json: item, at: "outputs[\(i)]", strict: false))
        }
    }

    package var json: JSONValue { ["outputs": .array(outputs.map(\.json))] }

    /// `msg_out` of the console chunk (the first chunk without a file name).
    package var stdout: String { console?["msg_out"]?.stringValue ?? "" }
    /// `msg_err` of the console chunk.
    package var stderr: String { console?["msg_err"]?.stringValue ?? "" }

    /// The console JSON object, if present.
    package var console: JSONValue? {
        guard let chunk = outputs.first(where: { $0.fileName == nil }) else { return nil }
        return try? JSONValue.parse(chunk.data)
    }

    /// Files returned by the call.
    package var files: [SandboxFile] {
        outputs.compactMap { c in c.fileName.map { SandboxFile(name: $0, content: c.data, mimeType: c.mimeType) } }
    }
}
