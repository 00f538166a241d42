package import HarnessCore

/// One problem in a scenario file, located at `file:line:column`.
package struct ScenarioError: Error, Sendable, CustomStringConvertible {
    package var location: SourceLocation
    package var message: String

    package init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    package var description: String { "\(location): \(message)" }
}

/// Every problem found while loading one or more scenario files.
package struct ScenarioErrors: Error, Sendable, CustomStringConvertible {
    package var errors: [ScenarioError]

    package init(_ errors: [ScenarioError]) { self.errors = errors }

    package var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Suggests the closest allowed key for a misspelt one.
enum DidYouMean {
    static func suggestion(for key: String, among allowed: [String]) -> String? {
        let lowered = key.lowercased()
        let scored = allowed.map { ($0, distance(lowered, $0.lowercased())) }.sorted { $0.1 < $1.1 }
        guard let best = scored.first, best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
