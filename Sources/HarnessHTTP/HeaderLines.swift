/// Response header lines as both clients keep them, split into names and values.
enum HeaderLines {
    /// Splits `Name: value` lines; continuation lines and the blank end line are skipped.
    static func parse(_ raw: [UInt8]) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for line in raw.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            var valueStart = colon + 1
            var valueEnd = line.endIndex
            while valueStart < valueEnd, line[valueStart] <= UInt8(ascii: " ") { valueStart += 1 }
            while valueEnd > valueStart, line[valueEnd - 1] <= UInt8(ascii: " ") { valueEnd -= 1 }
            headers.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: line[valueStart..<valueEnd], as: UTF8.self)))
        }
        return headers
    }
}
