/// Response header lines as both clients keep them, split into names and values.
package enum HeaderLines {
    /// Splits `Name: value` lines; continuation lines and the blank end line are skipped.
    package static func parse(_ raw: [UInt8]) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        raw.withUnsafeBufferPointer { bytes in
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                var colon = lineStart
                while colon < lineEnd, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
                guard colon < lineEnd else { continue }
                var valueStart = colon + 1
                var valueEnd = lineEnd
                while valueStart < valueEnd, bytes[valueStart] <= UInt8(ascii: " ") { valueStart += 1 }
                while valueEnd > valueStart, bytes[valueEnd - 1] <= UInt8(ascii: " ") { valueEnd -= 1 }
                headers.append(
                    (
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<colon]), as: UTF8.self),
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
                    ))
            }
        }
        return headers
    }
}
