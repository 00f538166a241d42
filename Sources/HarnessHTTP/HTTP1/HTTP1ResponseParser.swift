/// Reads one HTTP/1.x response from the bytes a connection delivers, in whatever pieces they come:
/// a pure state machine, so tests feed it hostile bytes directly.
///
/// Interim `1xx` answers are skipped; the body is framed by `Transfer-Encoding: chunked`, by
/// `Content-Length`, or by the connection closing, and is none at all for HEAD, 204 and 304. Every
/// size the server announces is checked before anything is allocated for it: header block and
/// body have caps, and a length or chunk size that does not fit them fails the response.
struct HTTP1ResponseParser {
    /// What ``feed(_:)`` made of the bytes.
    enum Progress: Equatable {
        /// The response is not complete yet.
        case needMore
        /// The response is complete after `consumed` of the bytes given; any bytes after it are
        /// not part of it.
        case complete(consumed: Int)
    }

    /// Why the bytes are not a usable response.
    enum Failure: Error, Equatable {
        /// The first bytes are not an HTTP/1.x status line.
        case notHTTP
        /// A line of the message breaks the protocol; the text says which.
        case malformed(String)
        /// The header block grew past ``maxHeaderBytes``.
        case headersTooLarge
        /// The body (announced or received) is larger than the limit.
        case bodyTooLarge
        /// The connection closed before the response was complete (`nothing`: before any byte).
        case closedEarly(nothing: Bool)
    }

    private enum State {
        case statusLine, headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd, trailers, untilClose, done
    }

    /// Most bytes of one response's status line and headers (and of a chunked body's trailers).
    static let maxHeaderBytes = 1 << 20
    /// Longest chunk-size line accepted (hex digits and extensions).
    static let maxChunkLine = 4096

    /// The final response's status code (0 until its status line is read).
    private(set) var status = 0
    /// The final response's header lines, each with its line end; the status line is not included.
    private(set) var rawHeaders: [UInt8] = []
    /// The body as far as it has arrived, de-chunked.
    private(set) var body: [UInt8] = []
    /// Whether the connection can carry another request after this response.
    private(set) var keepAlive = false
    /// Whether any byte has arrived.
    private(set) var started = false

    private var state = State.statusLine
    private var line: [UInt8] = []
    private var headerBytes = 0
    private var isHTTP10 = false
    private var contentLength: Int?
    private var chunked = false
    /// A transfer coding other than chunked frames the body: it runs until the connection closes.
    private var otherCoding = false
    private var closeRequested = false
    private var keepAliveRequested = false
    private let isHead: Bool
    /// Most body bytes accepted.
    let bodyLimit: Int

    /// A parser for the answer to a HEAD request (no body) or another, with a body of at most
    /// `bodyLimit` bytes.
    init(isHead: Bool, bodyLimit: Int) {
        self.isHead = isHead
        self.bodyLimit = max(0, bodyLimit)
    }

    /// Takes the next bytes from the connection.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Progress {
        if !bytes.isEmpty { started = true }
        var index = 0
        while index < bytes.count {
            switch state {
            case .statusLine, .headers, .chunkSize, .chunkEnd, .trailers:
                guard let newline = bytes[index...].firstIndex(of: 0x0A) else {
                    try appendToLine(bytes[index...])
                    return .needMore
                }
                if line.isEmpty {
                    // The whole line came in this read, as it usually does: read it where it lies.
                    try checkLength(adding: newline - index)
                    let end = newline > index && bytes[newline - 1] == 0x0D ? newline - 1 : newline
                    try endOfLine(UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
                } else {
                    try appendToLine(bytes[index..<newline])
                    if line.last == 0x0D { line.removeLast() }
                    let whole = line
                    line.removeAll(keepingCapacity: true)
                    var failure: Failure?
                    whole.withUnsafeBytes { buffer in
                        do throws(Failure) { try endOfLine(buffer) } catch { failure = error }
                    }
                    if let failure { throw failure }
                }
                index = newline + 1
            case .body(let remaining):
                let take = min(remaining, bytes.count - index)
                body.append(contentsOf: bytes[index..<(index + take)])
                index += take
                state = take == remaining ? .done : .body(remaining: remaining - take)
            case .chunkData(let remaining):
                let take = min(remaining, bytes.count - index)
                body.append(contentsOf: bytes[index..<(index + take)])
                index += take
                state = take == remaining ? .chunkEnd : .chunkData(remaining: remaining - take)
            case .untilClose:
                guard bytes.count - index <= bodyLimit - body.count else { throw .bodyTooLarge }
                body.append(contentsOf: bytes[index...])
                return .needMore
            case .done:
                return .complete(consumed: index)
            }
            if case .done = state { return .complete(consumed: index) }
        }
        if case .done = state { return .complete(consumed: index) }
        return .needMore
    }

    /// The connection closed: completes a body framed by the close, or fails.
    mutating func finishAtClose() throws(Failure) {
        switch state {
        case .untilClose:
            keepAlive = false
            state = .done
        case .done:
            return
        default:
            throw .closedEarly(nothing: !started)
        }
    }

    /// Fails when `count` more bytes would make the current line longer than its cap allows.
    private func checkLength(adding count: Int) throws(Failure) {
        switch state {
        case .chunkSize, .chunkEnd:
            guard count <= Self.maxChunkLine - line.count else {
                throw .malformed("a chunk-size line longer than \(Self.maxChunkLine) bytes")
            }
        default:
            guard count <= Self.maxHeaderBytes - headerBytes - line.count else { throw .headersTooLarge }
        }
    }

    private mutating func appendToLine(_ bytes: Slice<UnsafeRawBufferPointer>) throws(Failure) {
        try checkLength(adding: bytes.count)
        line.append(contentsOf: bytes)
        if case .statusLine = state, !line.isEmpty {
            // Junk that will never be a status line fails at once instead of at the header cap.
            let prefix = "HTTP/".utf8.prefix(line.count)
            guard line.prefix(prefix.count).elementsEqual(prefix) else { throw .notHTTP }
        }
    }

    /// Acts on one complete line, its line end removed.
    private mutating func endOfLine(_ line: UnsafeRawBufferPointer) throws(Failure) {
        switch state {
        case .statusLine:
            headerBytes += line.count + 2
            try readStatusLine(line)
            state = .headers
        case .headers:
            headerBytes += line.count + 2
            if line.isEmpty {
                try endOfHeaders()
            } else {
                try readHeader(line)
                rawHeaders.append(contentsOf: line)
                rawHeaders.append(contentsOf: [0x0D, 0x0A])
            }
        case .chunkSize:
            let size = try Self.chunkSize(line)
            guard size <= bodyLimit - body.count else { throw .bodyTooLarge }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkEnd:
            guard line.isEmpty else { throw .malformed("chunk data longer than its size") }
            state = .chunkSize
        case .trailers:
            headerBytes += line.count + 2
            if line.isEmpty { state = .done }
        case .body, .chunkData, .untilClose, .done:
            break
        }
    }

    private mutating func readStatusLine(_ line: UnsafeRawBufferPointer) throws(Failure) {
        // "HTTP/1.x NNN[ reason]"
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8) else {
            throw line.starts(with: "HTTP/".utf8) ? .malformed("an HTTP version other than 1.x") : .notHTTP
        }
        let minor = line[7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1"), line[8] == UInt8(ascii: " ") else {
            throw .malformed("the status line \"\(Self.text(line))\"")
        }
        var code = 0
        for byte in line[9..<12] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .malformed("the status line \"\(Self.text(line))\"") }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard line.count == 12 || line[12] == UInt8(ascii: " ") else { throw .malformed("the status line \"\(Self.text(line))\"") }
        guard code >= 100 else { throw .malformed("the status code \(code)") }
        status = code
        isHTTP10 = minor == UInt8(ascii: "0")
        rawHeaders.removeAll(keepingCapacity: true)
        contentLength = nil
        chunked = false
        otherCoding = false
        closeRequested = false
        keepAliveRequested = false
    }

    private mutating func readHeader(_ line: UnsafeRawBufferPointer) throws(Failure) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            // An obsolete folded line or junk: libcurl keeps going, and so does this parser.
            return
        }
        let name = line[..<colon]
        if Self.equalsIgnoringCase(name, "content-length") {
            let value = Self.trimmed(line[(colon + 1)...])
            guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw .malformed("the Content-Length \"\(Self.text(value))\"")
            }
            let length = value.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if let contentLength, contentLength != length { throw .malformed("two different Content-Length headers") }
            contentLength = length
        } else if Self.equalsIgnoringCase(name, "transfer-encoding") {
            // Only the last coding frames the body; chunked must be it when present.
            let codings = line[(colon + 1)...].split(separator: UInt8(ascii: ","))
            chunked = codings.last.map { Self.equalsIgnoringCase(Self.trimmed($0), "chunked") } ?? false
            otherCoding = !chunked
        } else if Self.equalsIgnoringCase(name, "connection") {
            for token in line[(colon + 1)...].split(separator: UInt8(ascii: ",")) {
                let token = Self.trimmed(token)
                if Self.equalsIgnoringCase(token, "close") { closeRequested = true }
                if Self.equalsIgnoringCase(token, "keep-alive") { keepAliveRequested = true }
            }
        }
    }

    private mutating func endOfHeaders() throws(Failure) {
        if status < 200 {
            guard status != 101 else { throw .malformed("101 Switching Protocols, which was not asked for") }
            state = .statusLine // an interim answer: the real one follows
            headerBytes = 0
            return
        }
        // Both framings at once is how responses are smuggled, and HTTP/1.0 has no transfer
        // codings: such a connection is not trusted with another request (RFC 9112 §6.1, §6.3).
        let suspectFraming = (chunked || otherCoding) && (contentLength != nil || isHTTP10)
        keepAlive = !closeRequested && (!isHTTP10 || keepAliveRequested) && !suspectFraming
        if isHead || status == 204 || status == 304 {
            state = .done
        } else if chunked {
            state = .chunkSize
        } else if !otherCoding, let contentLength {
            guard contentLength <= bodyLimit else { throw .bodyTooLarge }
            body.reserveCapacity(min(contentLength, 1 << 20)) // announced is not sent: grow past 1 MiB as it arrives
            state = contentLength == 0 ? .done : .body(remaining: contentLength)
        } else {
            keepAlive = false
            state = .untilClose
        }
    }

    /// The size of a `chunk-size[;ext]` line.
    private static func chunkSize(_ line: UnsafeRawBufferPointer) throws(Failure) -> Int {
        let digits = trimmed(line.prefix { $0 != UInt8(ascii: ";") }[...])
        guard !digits.isEmpty, digits.count <= 15 else { throw .malformed("the chunk size \"\(text(line))\"") }
        var size = 0
        for byte in digits {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            default: throw .malformed("the chunk size \"\(text(line))\"")
            }
            size = size * 16 + value // 15 hex digits stay below 2^60
        }
        return size
    }

    private static func trimmed<C: BidirectionalCollection>(_ bytes: C) -> C.SubSequence where C.Element == UInt8 {
        var slice = bytes[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }

    private static func equalsIgnoringCase<C: Collection>(_ bytes: C, _ lowercase: StaticString) -> Bool where C.Element == UInt8 {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { HTTP1Target.lowercased($0) == $1 }
        }
    }

    /// At most 80 bytes of `bytes`, for an error message.
    private static func text<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.prefix(80), as: UTF8.self)
    }
}
