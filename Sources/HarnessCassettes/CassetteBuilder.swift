import Foundation
import HarnessCore
import SandboxAPI

/// An exchange as a proxy saw it, before decoding.
package struct RawExchange: Sendable {
    package var method: String
    /// The request target as sent: path and query, percent-encoding intact.
    package var target: String
    package var requestHeaders: [(name: String, value: String)]
    package var requestBody: [UInt8]
    /// Nil when no response came (see ``error``).
    package var status: Int?
    package var responseHeaders: [(name: String, value: String)]
    package var responseBody: [UInt8]
    /// When the request went upstream, after the start of recording.
    package var sent: Duration
    /// When the first and last response bytes arrived, after ``sent``.
    package var firstByte: Duration?
    package var lastByte: Duration?
    /// Why no response came.
    package var error: String?

    package init(
        method: String, target: String, requestHeaders: [(name: String, value: String)], requestBody: [UInt8], status: Int?,
        responseHeaders: [(name: String, value: String)], responseBody: [UInt8], sent: Duration, firstByte: Duration?,
        lastByte: Duration?, error: String? = nil
    ) {
        self.method = method
        self.target = target
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
        self.sent = sent
        self.firstByte = firstByte
        self.lastByte = lastByte
        self.error = error
    }
}

/// Builds a ``Cassette`` from raw exchanges: decodes execute bodies into code, output and files,
/// keeps large files by size and hash, and removes secrets (also ones learned after an exchange
/// was added, when ``cassette()`` is called).
///
/// ```swift
/// var builder = CassetteBuilder(upstream: "emulator", recordedAt: "2026-11-30T12:00:00Z")
/// builder.add(raw)
/// let yaml = try builder.cassette().yaml()
/// ```
package struct CassetteBuilder: Sendable {
    private var draft: Cassette
    private var redactor = Redactor()
    /// JSON bodies other than execute's larger than this are kept as bytes (size and hash) unless bodies are kept.
    private var jsonLimit: Int { draft.inlineLimit.multipliedReportingOverflow(by: 16).overflow ? Int.max : draft.inlineLimit * 16 }

    package init(upstream: String, recordedAt: String, inlineLimit: Int = Cassette.defaultInlineLimit, keepBodies: Bool = false) {
        draft = Cassette(recordedAt: recordedAt, upstream: upstream, inlineLimit: max(0, inlineLimit), keepBodies: keepBodies)
    }

    /// Remembers a secret that may appear in traffic (e.g. the token the proxy itself sends upstream).
    package mutating func learnSecret(_ value: String) {
        redactor.learn(value)
    }

    /// Decodes `raw` and appends it.
    package mutating func add(_ raw: RawExchange) {
        redactor.learn(headers: raw.requestHeaders)
        redactor.learn(headers: raw.responseHeaders)
        let (path, query) = splitTarget(raw.target)
        let isExecute = raw.method.uppercased() == "POST" && (path.hasSuffix(":execute") || path.hasSuffix("%3Aexecute"))
        let requestBody = body(raw.requestBody, execute: isExecute ? .input : nil)
        let responseBody = body(raw.responseBody, execute: isExecute && raw.status == 200 ? .output : nil)
        let timing = Timing(
            sent: Self.milliseconds(raw.sent), firstByte: raw.firstByte.map(Self.milliseconds),
            lastByte: raw.lastByte.map(Self.milliseconds))
        draft.exchanges.append(
            Exchange(
                method: raw.method, path: path, query: query, status: raw.status, error: raw.error, timing: timing,
                request: Message(headers: redactor.keptHeaders(raw.requestHeaders), body: requestBody),
                response: Message(headers: redactor.keptHeaders(raw.responseHeaders), body: responseBody)
            ))
    }

    /// The cassette so far, with every secret learned until now removed from every exchange.
    package func cassette() -> Cassette {
        var cassette = draft
        // Exchanges arrive as they finish; a cassette lists them as they were sent.
        cassette.exchanges = draft.exchanges.enumerated()
            .sorted { ($0.element.timing.sent, $0.offset) < ($1.element.timing.sent, $1.offset) }
            .map { scrubbed($0.element) }
        return cassette
    }

    // MARK: Decoding

    private enum ExecuteSide { case input, output }

    private mutating func splitTarget(_ target: String) -> (String, [Field]) {
        guard let mark = target.firstIndex(of: "?") else { return (redactor.scrub(target).text, []) }
        var query: [Field] = []
        for pair in target[target.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            if Redactor.isSecretName(name) {
                redactor.learn(value)
                query.append(Field(name, Redactor.placeholder))
            } else {
                query.append(Field(name, value))
            }
        }
        return (redactor.scrub(String(target[..<mark])).text, query)
    }

    private mutating func body(_ bytes: [UInt8], execute side: ExecuteSide?) -> Body {
        guard !bytes.isEmpty else { return .none }
        // Execute bodies are decoded whatever their size (their files are then kept by the inline
        // limit); other JSON is kept as JSON up to a limit of its own.
        let json = side != nil || bytes.count <= jsonLimit || draft.keepBodies ? try? JSONValue.parse(bytes) : nil
        if let json {
            redactor.learn(json: json)
            switch side {
            case .input:
                if let request = try? ExecuteRequest(json: json), let (code, files) = try? request.decoded() {
                    return .executeInput(ExecuteInput(code: code, files: files.map(recorded)))
                }
            case .output:
                if let response = try? ExecuteResponse(json: json), response.console != nil {
                    return .executeOutput(
                        ExecuteOutput(
                            msgOut: response.stdout, msgErr: response.stderr,
                            files: response.files.map(recorded)))
                }
            case nil:
                break
            }
            return .json(json)
        }
        if bytes.count <= draft.inlineLimit || draft.keepBodies, let text = Self.text(bytes) { return .text(text) }
        return .bytes(recordedBytes(bytes))
    }

    private func recorded(_ file: SandboxFile) -> RecordedFile {
        RecordedFile(name: file.name, mimeType: file.mimeType, bytes: recordedBytes(file.content))
    }

    private func recordedBytes(_ bytes: [UInt8]) -> RecordedBytes {
        let content: RecordedBytes.Content
        if bytes.count > draft.inlineLimit, !draft.keepBodies {
            content = .omitted
        } else if let text = Self.text(bytes) {
            content = .text(text)
        } else {
            content = .base64(Base64.encode(bytes))
        }
        return RecordedBytes(size: bytes.count, sha256: SHA256.hex(bytes), content: content)
    }

    /// `bytes` as text when they are UTF-8 without control characters other than tab, newline and return.
    static func text(_ bytes: [UInt8]) -> String? {
        guard !bytes.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F }) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        let micros = Double(seconds) * 1_000_000 + Double(attoseconds / 1_000_000_000_000)
        return micros.rounded() / 1000
    }

    // MARK: Secrets

    private func scrubbed(_ exchange: Exchange) -> Exchange {
        var result = exchange
        result.path = redactor.scrub(exchange.path).text
        result.query = exchange.query.map { Field($0.name, redactor.scrub($0.value).text) }
        result.error = exchange.error.map { redactor.scrub($0).text }
        result.request.body = scrubbed(exchange.request.body)
        result.response.body = scrubbed(exchange.response.body)
        return result
    }

    private func scrubbed(_ body: Body) -> Body {
        switch body {
        case .none: return .none
        case .json(let json): return .json(redactor.scrub(json: json))
        case .text(let text): return .text(redactor.scrub(text).text)
        case .bytes(let bytes): return .bytes(scrubbed(bytes))
        case .executeInput(let input):
            return .executeInput(ExecuteInput(code: input.code.map { redactor.scrub($0).text }, files: input.files.map(scrubbed)))
        case .executeOutput(let output):
            return .executeOutput(
                ExecuteOutput(
                    msgOut: redactor.scrub(output.msgOut).text, msgErr: redactor.scrub(output.msgErr).text,
                    files: output.files.map(scrubbed)))
        }
    }

    private func scrubbed(_ file: RecordedFile) -> RecordedFile {
        RecordedFile(name: redactor.scrub(file.name).text, mimeType: file.mimeType, bytes: scrubbed(file.bytes))
    }

    private func scrubbed(_ bytes: RecordedBytes) -> RecordedBytes {
        var result = bytes
        switch bytes.content {
        case .text(let text):
            let (clean, changed) = redactor.scrub(text)
            result.content = .text(clean)
            result.redacted = bytes.redacted || changed
        case .base64(let encoded):
            guard let raw = Base64.decode(encoded) else { return bytes }
            let (clean, changed) = redactor.scrub(bytes: raw)
            if changed {
                result.content = .base64(Base64.encode(clean))
                result.redacted = true
            }
        case .omitted:
            break
        }
        return result
    }
}
