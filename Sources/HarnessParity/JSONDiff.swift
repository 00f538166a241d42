package import SandboxAPI

/// One place where the reference and the candidate answered differently.
package struct Difference: Sendable, Hashable {
    /// Where, e.g. `outputs[0].msg_err` or `@status`.
    package var path: ParityPath
    /// The reference's value; nil when the reference has nothing there.
    package var reference: JSONValue?
    /// The candidate's value; nil when the candidate has nothing there.
    package var candidate: JSONValue?
    /// The known gap that explains it, when one does.
    package var gap: KnownGap?

    package init(path: ParityPath, reference: JSONValue?, candidate: JSONValue?, gap: KnownGap? = nil) {
        self.path = path
        self.reference = reference
        self.candidate = candidate
        self.gap = gap
    }

    /// `~` changed, `-` only in the reference, `+` only in the candidate.
    package var mark: String {
        switch (reference, candidate) {
        case (nil, _): "+"
        case (_, nil): "-"
        default: "~"
        }
    }
}

/// Structural comparison of two JSON documents, reporting each differing leaf by path.
package enum JSONDiff {
    /// Most differences reported for one step; the rest are counted.
    package static let maxDifferences = 200

    /// Every place `reference` and `candidate` differ: members present on one side only, array
    /// items beyond the shorter array, values of different kinds or contents. Object members are
    /// visited in sorted order, so the result is stable.
    /// - Returns: at most ``maxDifferences`` differences, and how many more there were.
    package static func differences(_ reference: JSONValue, _ candidate: JSONValue) -> (differences: [Difference], more: Int) {
        var out: [Difference] = []
        var more = 0
        func add(_ path: ParityPath, _ a: JSONValue?, _ b: JSONValue?) {
            if out.count < maxDifferences { out.append(Difference(path: path, reference: a, candidate: b)) } else { more += 1 }
        }
        func walk(_ a: JSONValue, _ b: JSONValue, _ path: ParityPath) {
            switch (a, b) {
            case (.object(let left), .object(let right)):
                for key in Set(left.keys).union(right.keys).sorted() {
                    switch (left[key], right[key]) {
                    case (let x?, let y?): walk(x, y, path.appending(.key(key)))
                    case (let x?, nil): add(path.appending(.key(key)), x, nil)
                    case (nil, let y?): add(path.appending(.key(key)), nil, y)
                    case (nil, nil): break
                    }
                }
            case (.array(let left), .array(let right)):
                for index in 0..<max(left.count, right.count) {
                    let at = path.appending(.index(index))
                    // Typed: JSONValue is ExpressibleByNilLiteral, and a bare nil here would read as JSON null.
                    let x: JSONValue? = index < left.count ? left[index] : Optional.none
                    let y: JSONValue? = index < right.count ? right[index] : Optional.none
                    switch (x, y) {
                    case (let x?, let y?): walk(x, y, at)
                    case (let x?, nil): add(at, x, nil)
                    case (nil, let y?): add(at, nil, y)
                    case (nil, nil): break
                    }
                }
            default:
                if a != b { add(path, a, b) }
            }
        }
        walk(reference, candidate, .root)
        return (out, more)
    }
}
