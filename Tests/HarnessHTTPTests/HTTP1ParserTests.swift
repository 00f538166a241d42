import HarnessCore
import Testing

@testable import HarnessHTTP

/// The built-in HTTP/1.1 client's pure parts: the response parser fed hostile bytes in every
/// split, the URL filter, and the request encoder.
@Suite struct HTTP1ParserTests {
    /// The parser's result for `bytes` fed in pieces of `piece` bytes, then (if `close`) the
    /// connection closing.
    static func parse(
        _ text: String, piece: Int = .max, isHead: Bool = false, limit: Int = 1 << 20, close: Bool = false
    ) -> Result<(parser: HTTP1ResponseParser, consumed: Int), HTTP1ResponseParser.Failure> {
        let bytes = Array(text.utf8)
        var parser = HTTP1ResponseParser(isHead: isHead, bodyLimit: limit)
        var offset = 0
        do {
            while offset < bytes.count {
                let end = offset + min(piece, bytes.count - offset)
                let progress = try bytes[offset..<end].withUnsafeBytes { try parser.feed($0) }
                if case .complete(let consumed) = progress { return .success((parser, offset + consumed)) }
                offset = end
            }
            if close {
                try parser.finishAtClose()
                return .success((parser, offset))
            }
        } catch let error as HTTP1ResponseParser.Failure {
            return .failure(error)
        } catch {
            return .failure(.malformed("unexpected \(error)"))
        }
        return .failure(.closedEarly(nothing: offset == 0))
    }

    static let framings: [(String, String)] = [
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", "hello"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nTrailer: x\r\n\r\n", "hello"),
        ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", "ok"),
        ("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "ok") // bare line feeds, as libcurl accepts
    ]

    @Test(arguments: framings)
    func everySplitOfAResponseParsesTheSame(response: String, body: String) throws {
        let whole = try Self.parse(response).get()
        #expect(String(decoding: whole.parser.body, as: UTF8.self) == body)
        #expect(whole.consumed == response.utf8.count)
        #expect(whole.parser.keepAlive)
        for piece in 1..<response.utf8.count {
            let split = try Self.parse(response, piece: piece).get()
            #expect(split.parser.body == whole.parser.body, "pieces of \(piece)")
            #expect(split.parser.status == whole.parser.status)
            #expect(split.parser.rawHeaders == whole.parser.rawHeaders)
        }
    }

    @Test func bothFramingsAtOnceFollowChunkedButEndTheConnection() throws {
        let both = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
        let parsed = try Self.parse(both).get()
        #expect(parsed.parser.body == Array("x".utf8))
        #expect(!parsed.parser.keepAlive)
        let old = try Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").get()
        #expect(!old.parser.keepAlive)
    }

    @Test func onlyTheFinalResponsesHeadersAreKept() throws {
        let parsed = try Self.parse(
            "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nX-Final: 1\r\nContent-Length: 0\r\n\r\n"
        ).get()
        #expect(parsed.parser.status == 200)
        #expect(HeaderLines.parse(parsed.parser.rawHeaders).map(\.name) == ["X-Final", "Content-Length"])
    }

    @Test func bodylessAnswersEndAtTheirHeaders() throws {
        let head = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", isHead: true).get()
        #expect(head.parser.body.isEmpty && head.parser.keepAlive)
        for status in [204, 304] {
            let parsed = try Self.parse("HTTP/1.1 \(status) X\r\nContent-Length: 9\r\n\r\nextra").get()
            #expect(parsed.consumed == "HTTP/1.1 \(status) X\r\nContent-Length: 9\r\n\r\n".utf8.count)
        }
    }

    @Test func aBodyWithoutLengthRunsUntilTheConnectionCloses() throws {
        let parsed = try Self.parse("HTTP/1.1 200 OK\r\n\r\nall of it", close: true).get()
        #expect(String(decoding: parsed.parser.body, as: UTF8.self) == "all of it")
        #expect(!parsed.parser.keepAlive)
        let gzip = try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabc", close: true).get()
        #expect(gzip.parser.body.count == 3 && !gzip.parser.keepAlive)
    }

    @Test func keepAliveFollowsVersionAndConnectionHeader() throws {
        #expect(try !Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").get().parser.keepAlive)
        #expect(try !Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").get().parser.keepAlive)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").get().parser.keepAlive)
    }

    @Test func bytesAfterTheResponseAreNotConsumed() throws {
        let parsed = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n").get()
        #expect(parsed.consumed == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8.count)
    }

    static let hostile: [(String, HTTP1ResponseParser.Failure)] = [
        ("SSH-2.0-OpenSSH_9.2\r\n", .notHTTP),
        ("\u{0}\u{1}garbage", .notHTTP),
        ("HTTP/2 200\r\n\r\n", .malformed("an HTTP version other than 1.x")),
        ("HTTP/1.1 2x0 OK\r\n\r\n", .malformed("the status line \"HTTP/1.1 2x0 OK\"")),
        ("HTTP/1.1 099 Low\r\n\r\n", .malformed("the status code 99")),
        ("HTTP/1.1 200OK\r\n\r\n", .malformed("the status line \"HTTP/1.1 200OK\"")),
        ("HTTP/1.1 101 Switching Protocols\r\n\r\n", .malformed("101 Switching Protocols, which was not asked for")),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .malformed("the Content-Length \"-1\"")),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            .malformed("the Content-Length \"99999999999999999999999\"")
        ),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .malformed("two different Content-Length headers")),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n", .bodyTooLarge),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", .malformed("the chunk size \"ffffffffffffffff\"")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", .bodyTooLarge),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformed("the chunk size \"zz\"")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n", .malformed("chunk data longer than its size")),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", .closedEarly(nothing: false)),
        ("", .closedEarly(nothing: true))
    ]

    @Test(arguments: hostile)
    func hostileBytesFailWithTheReason(response: String, failure: HTTP1ResponseParser.Failure) {
        for piece in [Int.max, 1, 7] {
            switch Self.parse(response, piece: piece, close: true) {
            case .success: Issue.record("\(response.debugDescription) was accepted")
            case .failure(let error): #expect(error == failure, "pieces of \(piece)")
            }
        }
    }

    @Test func headerBlocksAndChunkLinesHaveCaps() {
        let endlessHeader = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: HTTP1ResponseParser.maxHeaderBytes)
        #expect(throws: HTTP1ResponseParser.Failure.headersTooLarge) { try Self.parse(endlessHeader, piece: 65536).get() }
        let manyHeaders = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Y: z\r\n", count: HTTP1ResponseParser.maxHeaderBytes / 8 + 1)
        #expect(throws: HTTP1ResponseParser.Failure.headersTooLarge) { try Self.parse(manyHeaders, piece: 65536).get() }
        let longChunkLine = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000)
        #expect(throws: HTTP1ResponseParser.Failure.malformed("a chunk-size line longer than 4096 bytes")) {
            try Self.parse(longChunkLine).get()
        }
        let untilClose = "HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "b", count: 101)
        #expect(throws: HTTP1ResponseParser.Failure.bodyTooLarge) { try Self.parse(untilClose, limit: 100, close: true).get() }
    }

    // MARK: - URLs

    @Test(arguments: [
        ("http://127.0.0.1:8080/v1/x?y=1", "127.0.0.1:8080", "/v1/x?y=1", 8080),
        ("HTTP://127.0.0.1", "127.0.0.1", "/", 80),
        ("http://127.0.0.1:80/a#frag", "127.0.0.1", "/a", 80),
        ("http://127.0.0.1:9?q", "127.0.0.1:9", "/?q", 9),
        ("http://[::1]:65535/", "[::1]:65535", "/", 65535)
    ])
    func literalHTTPURLsAreTaken(url: String, host: String, path: String, port: Int) throws {
        let target = try #require(HTTP1Target(url: url))
        #expect(target.host == host)
        #expect(target.path == path)
        #expect(target.endpoint.port == port)
    }

    @Test(arguments: [
        "https://127.0.0.1/", "http://localhost:8080/", "http://example.com/", "http://user@127.0.0.1/", "http://127.0.0.1:0/",
        "http://127.0.0.1:65536/", "http://127.0.0.1:123456/", "http://127.0.0.1:/", "http://127.1/", "http://[::1/",
        "http://127.0.0.1/a b", "http://127.0.0.1/\u{e9}", "http://", "ftp://127.0.0.1/", "http://[::1]x/",
        "http://[::1\u{0}\r\nX-Injected: yes\r\nContent-Length: 5]:8080/x", "http://10.0.0.1\u{0}\r\n\r\nJUNK/x",
        "http://[fe80::1%25eth0]/", "http://127.0.0.1/a/../b", "http://127.0.0.1/a/./b", "http://127.0.0.1/..", "http://127.0.0.1/.?q"
    ])
    func everyOtherURLIsLeftToLibcurl(url: String) {
        #expect(HTTP1Target(url: url) == nil)
    }

    @Test func dotsThatAreNotSegmentsStay() throws {
        #expect(try #require(HTTP1Target(url: "http://127.0.0.1/a/..b/.c?x=/../")).path == "/a/..b/.c?x=/../")
    }

    // MARK: - Requests

    static func encode(_ request: TransportRequest) throws(TransportError) -> String {
        let target = HTTP1Target(url: request.url)!
        return String(decoding: try HTTP1RequestEncoder.encode(request, target: target, userAgent: "ua/1").bytes, as: UTF8.self)
    }

    @Test func requestsCarryLibcurlsDefaultsAndTheirOwnLength() throws {
        let get = try Self.encode(TransportRequest(method: "GET", url: "http://127.0.0.1:81/p?q"))
        #expect(get == "GET /p?q HTTP/1.1\r\nHost: 127.0.0.1:81\r\nUser-Agent: ua/1\r\nAccept: */*\r\n\r\n")
        let post = try Self.encode(
            TransportRequest(
                method: "post", url: "http://127.0.0.1/", headers: [("Host", "h"), ("Content-Length", "99"), ("X-Empty", "")],
                body: Array("{}".utf8)))
        #expect(post == "POST / HTTP/1.1\r\nHost: h\r\nUser-Agent: ua/1\r\nAccept: */*\r\nX-Empty:\r\nContent-Length: 2\r\n\r\n{}")
        #expect(try Self.encode(TransportRequest(method: "brew", url: "http://127.0.0.1/")).hasPrefix("brew / HTTP/1.1\r\n"))
        #expect(try Self.encode(TransportRequest(method: "PUT", url: "http://127.0.0.1/")).hasSuffix("Content-Length: 0\r\n\r\n"))
    }

    @Test(arguments: [
        TransportRequest(method: "GET", url: "http://127.0.0.1/", headers: [("X-A", "1\r\nX-Forged: 2")]),
        TransportRequest(method: "GET", url: "http://127.0.0.1/", headers: [("X A", "1")]),
        TransportRequest(method: "GET", url: "http://127.0.0.1/", headers: [("X-A", "nul\u{0}")]),
        TransportRequest(method: "GE T", url: "http://127.0.0.1/"),
        TransportRequest(method: "", url: "http://127.0.0.1/")
    ])
    func requestsThatWouldForgeHeadersAreRefused(request: TransportRequest) {
        #expect(throws: TransportError.self) { try Self.encode(request) }
    }
}
