import Glibc
import HarnessCore

/// Where a plain `http://` request goes: an IP literal and port, no name to resolve.
struct HTTP1Endpoint: Hashable {
    /// `AF_INET` or `AF_INET6`.
    let family: Int32
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    let address: [UInt8]
    let port: Int
}

/// A URL the built-in HTTP/1.1 client can send to by itself; any other goes to libcurl.
///
/// Taken: `http://` with an IPv4 or bracketed IPv6 literal, an optional port in 1...65535, and a
/// path and query of printable ASCII. Left to libcurl, which has the answers for them: `https://`,
/// host names (resolving is a blocking call), user info, and anything unusual in the path.
struct HTTP1Target {
    let endpoint: HTTP1Endpoint
    /// The `Host` header: the URL's authority, without `:80`.
    let host: String
    /// The request target: path and query, at least `/`; a fragment is dropped, as libcurl does.
    let path: String

    /// The target of `url`, or nil when it is not one this client takes.
    init?(url: String) {
        var bytes = Substring(url).utf8[...]
        let scheme = "http://".utf8
        guard bytes.count > scheme.count else { return nil }
        for expected in scheme {
            guard let byte = bytes.popFirst(), HTTP1Target.lowercased(byte) == expected else { return nil }
        }
        let authorityEnd =
            bytes.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.endIndex
        let authority = bytes[bytes.startIndex..<authorityEnd]
        var rest = bytes[authorityEnd...]
        if let fragment = rest.firstIndex(of: UInt8(ascii: "#")) { rest = rest[rest.startIndex..<fragment] }
        guard let (endpoint, host) = Self.endpoint(authority) else { return nil }
        guard rest.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !Self.hasDotSegment(rest) else { return nil }
        self.endpoint = endpoint
        self.host = host
        let path = String(decoding: rest, as: UTF8.self)
        self.path = path.isEmpty ? "/" : path.hasPrefix("?") ? "/" + path : path
    }

    /// The endpoint and `Host` value of `host[:port]`, or nil when the host is not an IP literal.
    private static func endpoint(_ authority: Substring.UTF8View.SubSequence) -> (HTTP1Endpoint, String)? {
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { return nil }
        var hostPart = authority
        var portPart: Substring.UTF8View.SubSequence?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let after = authority.index(after: close)
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            if after < authority.endIndex {
                guard authority[after] == UInt8(ascii: ":") else { return nil }
                portPart = authority[authority.index(after: after)...]
            }
        } else if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            hostPart = authority[authority.startIndex..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        var port = 80
        if let portPart {
            guard (1...5).contains(portPart.count), portPart.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return nil
            }
            port = portPart.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard (1...65535).contains(port) else { return nil }
        }
        let family = authority.first == UInt8(ascii: "[") ? AF_INET6 : AF_INET
        // Only the characters of a literal: inet_pton would stop at a NUL and accept what came
        // before it, and the rest would reach the Host header.
        let allowed: (UInt8) -> Bool =
            family == AF_INET6
            ? { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || HTTP1Target.isHexDigit($0) }
            : { $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
        guard !hostPart.isEmpty, hostPart.allSatisfy(allowed) else { return nil }
        var address = [UInt8](repeating: 0, count: family == AF_INET6 ? 16 : 4)
        let text = String(decoding: hostPart, as: UTF8.self)
        let parsed = address.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
        guard parsed == 1 else { return nil }
        let literal = family == AF_INET6 ? "[\(text)]" : text
        let host = port == 80 ? literal : "\(literal):\(port)"
        return (HTTP1Endpoint(family: family, address: address, port: port), host)
    }

    /// `byte` with ASCII capitals made small.
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }

    /// Whether the path has a `.` or `..` segment, which libcurl removes before sending: such URLs
    /// go to libcurl, so both clients send the same path.
    static func hasDotSegment(_ path: Substring.UTF8View.SubSequence) -> Bool {
        let end = path.firstIndex(of: UInt8(ascii: "?")) ?? path.endIndex
        return path[path.startIndex..<end].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).contains { segment in
            segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8)
        }
    }
}
