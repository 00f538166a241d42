import HarnessCore

/// Writes a ``TransportRequest`` as HTTP/1.1 bytes, with the headers libcurl would send for it.
///
/// `Host`, `User-Agent` and `Accept: */*` come first unless the request sets its own; then the
/// request's headers in order. The body's length is always the transport's own `Content-Length`
/// (a request's `Content-Length` or `Transfer-Encoding` would desynchronise the connection, so
/// they are dropped); POST, PUT and PATCH without a body send `Content-Length: 0`.
enum HTTP1RequestEncoder {
    /// The encoded request.
    struct Encoded {
        var bytes: [UInt8]
        /// The request asks the server to close the connection after answering.
        var closes: Bool
        /// A HEAD request: the answer has no body, whatever its headers say.
        var isHead: Bool
    }

    /// Encodes `request` for `target`.
    /// - Throws: `.other` when the method is not an HTTP token or a header would break the message
    ///   (a line break or NUL in it), since sending it would let scenario text forge headers.
    static func encode(_ request: TransportRequest, target: HTTP1Target, userAgent: String) throws(TransportError) -> Encoded {
        let method = request.method.uppercased()
        guard !method.isEmpty, method.utf8.allSatisfy(isTokenByte),
            !target.host.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }), !target.path.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F })
        else {
            throw TransportError(
                .other, "the method \"\(request.method)\" is not an HTTP token; use GET, POST, DELETE, …", url: request.url)
        }
        var body = request.body
        if body == nil, method == "POST" || method == "PUT" || method == "PATCH" { body = [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + (body?.count ?? 0))
        // As libcurl: GET, POST and HEAD in capitals, any other method as the request spells it.
        append(["GET", "POST", "HEAD"].contains(method) ? method : request.method, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        append(target.path, to: &bytes)
        append(" HTTP/1.1\r\n", to: &bytes)
        var hasAgent = false
        var hasAccept = false
        var closes = false
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(isTokenByte) else {
                throw TransportError(.other, "the header name \"\(header.name)\" is not an HTTP token", url: request.url)
            }
            guard !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw TransportError(
                    .other, "the value of header \(header.name) has a line break or NUL, which would forge headers", url: request.url)
            }
            switch header.name.lowercased() {
            case "user-agent": hasAgent = true
            case "accept": hasAccept = true
            case "connection": closes = closes || header.value.lowercased().contains("close")
            default: break
            }
        }
        if let host = request.headers.first(where: { $0.name.lowercased() == "host" }) {
            line(host.name, host.value, &bytes) // first, where libcurl puts its own
        } else {
            line("Host", target.host, &bytes)
        }
        if !hasAgent { line("User-Agent", userAgent, &bytes) }
        if !hasAccept { line("Accept", "*/*", &bytes) }
        for header in request.headers {
            let name = header.name.lowercased()
            if name == "content-length" || name == "transfer-encoding" || name == "host" { continue }
            line(header.name, header.value, &bytes)
        }
        if let body {
            line("Content-Length", String(body.count), &bytes)
            append("\r\n", to: &bytes)
            bytes.append(contentsOf: body)
        } else {
            append("\r\n", to: &bytes)
        }
        return Encoded(bytes: bytes, closes: closes, isHead: method == "HEAD")
    }

    private static func line(_ name: String, _ value: String, _ bytes: inout [UInt8]) {
        append(name, to: &bytes)
        if value.isEmpty {
            bytes.append(UInt8(ascii: ":"))
        } else {
            append(": ", to: &bytes)
            append(value, to: &bytes)
        }
        append("\r\n", to: &bytes)
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}
