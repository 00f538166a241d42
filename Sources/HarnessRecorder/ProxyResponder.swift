import HTTPTypes
import HarnessCassettes
import HarnessCore
import Hummingbird
import NIOCore
import SandboxAPI

/// Forwards each request upstream unchanged (but for hop-by-hop headers and, when the upstream has
/// credentials of its own, `Authorization`), answers with the upstream's response, and hands the
/// exchange to the recorder.
struct ProxyResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let upstream: Upstream
    let configuration: RecordingConfiguration
    let recorder: AsyncStream<RawExchange>.Continuation
    let start: ContinuousClock.Instant

    /// Headers that belong to one connection, or that the transport sets itself.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "host", "content-length", "expect",
        // Bodies travel uncompressed, so what is recorded is what the client and the upstream meant.
        "accept-encoding"
    ]

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let method = request.method.rawValue
        let target = request.head.path ?? "/"
        let clientHeaders = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
        let sent = ContinuousClock.now
        context.logger.debug("received \(method) \(target)")
        guard target.hasPrefix("/") else {
            let message = "sandbench record: a reverse proxy takes paths such as /v1beta1/projects/…, not \"\(target.prefix(200))\""
            record(method, target, clientHeaders, [], sent: sent, error: message)
            return Self.googleError(400, .invalidArgument, message)
        }
        let body: [UInt8]
        do {
            body = Array(try await request.collectBody(upTo: configuration.maxBodyBytes).readableBytesView)
        } catch {
            let message = "sandbench record: the request body is larger than \(configuration.maxBodyBytes) bytes"
            record(method, target, clientHeaders, [], sent: sent, error: message)
            return Self.googleError(413, .invalidArgument, message)
        }
        var headers = clientHeaders.filter { !Self.hopByHop.contains($0.name) }
        if let credentials = upstream.credentials {
            headers.removeAll { $0.name == "authorization" }
            do {
                if let token = try await credentials.accessToken() { headers.append(("authorization", "Bearer \(token)")) }
            } catch {
                let message = "sandbench record: no access token for the upstream: \(error)"
                record(method, target, clientHeaders, body, sent: sent, error: message)
                return Self.googleError(502, .unavailable, message)
            }
        }
        let forwarded = TransportRequest(
            method: method, url: upstream.baseURL + target, headers: headers, body: body.isEmpty ? nil : body,
            timeout: configuration.requestTimeout, maxResponseBytes: configuration.maxBodyBytes)
        let sentUpstream = ContinuousClock.now
        let answer: TransportResponse
        do {
            answer = try await upstream.transport.send(forwarded)
        } catch {
            let message = "sandbench record: the upstream did not answer: \(error)"
            record(method, target, clientHeaders, body, sent: sentUpstream, error: message)
            return Self.googleError(502, .unavailable, message)
        }
        context.logger.debug("\(method) \(target) → \(answer.status) in \(answer.elapsed)")
        let responseHeaders = answer.headers // split once: the transport keeps them as received
        recorder.yield(
            RawExchange(
                method: method, target: target, requestHeaders: clientHeaders, requestBody: body, status: answer.status,
                responseHeaders: responseHeaders, responseBody: answer.body, sent: sentUpstream - start,
                firstByte: answer.firstByte, lastByte: answer.elapsed
            ))
        var fields = HTTPFields()
        for header in responseHeaders where !Self.hopByHop.contains(header.name.lowercased()) {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private func record(
        _ method: String, _ target: String, _ headers: [(name: String, value: String)], _ body: [UInt8],
        sent: ContinuousClock.Instant, error: String
    ) {
        recorder.yield(
            RawExchange(
                method: method, target: target, requestHeaders: headers, requestBody: body, status: nil,
                responseHeaders: [], responseBody: [], sent: sent - start, firstByte: nil, lastByte: nil, error: error))
    }

    static func googleError(_ httpStatus: Int, _ status: StatusCode, _ message: String) -> Response {
        let bytes = GoogleError(status, message, httpStatus: httpStatus).json.serialized()
        return Response(
            status: .init(code: httpStatus), headers: [.contentType: "application/json; charset=UTF-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
