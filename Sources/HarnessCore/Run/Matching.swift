public import SandboxAPI

/// What a step observed: the material expectations are checked against.
public struct StepObservation: Sendable {
    /// HTTP status of the step's main response.
    public var status: Int?
    /// Its JSON body.
    public var json: JSONValue?
    /// An execute's standard output.
    public var stdout: String?
    /// An execute's standard error.
    public var stderr: String?
    /// Files an execute returned.
    public var files: [SandboxFile]?
    /// The sandbox state a get or wait saw.
    public var state: SandboxState?
    /// The Google error body of an error response.
    public var error: GoogleError?
    /// How many items a list returned.
    public var listCount: Int?
    /// Transport time of the main request (send to last byte).
    public var elapsed: Duration
    /// Named parts of the step's time, copied into ``StepResult/phases``.
    public var phases: [(name: String, duration: Duration)] = []

    /// An observation; anything the step did not see stays nil.
    public init(
        status: Int? = nil, json: JSONValue? = nil, stdout: String? = nil, stderr: String? = nil, files: [SandboxFile]? = nil,
        state: SandboxState? = nil, error: GoogleError? = nil, listCount: Int? = nil, elapsed: Duration = .zero
    ) {
        self.status = status
        self.json = json
        self.stdout = stdout
        self.stderr = stderr
        self.files = files
        self.state = state
        self.error = error
        self.listCount = listCount
        self.elapsed = elapsed
    }
}

extension TextMatch {
    /// Whether `text` satisfies this match; regex errors count as a mismatch with the reason.
    package func check(_ text: String) -> (ok: Bool, note: String?) {
        switch self {
        case .equals(let s): return (text == s, nil)
        case .contains(let s): return (text.contains(s), nil)
        case .notContains(let s): return (!text.contains(s), nil)
        case .matches(let pattern):
            do {
                // ^ and $ match at line boundaries, as users of multi-line output expect.
                let regex = try Regex(pattern).anchorsMatchLineEndings()
                return (text.contains(regex), nil)
            } catch {
                return (false, "invalid regular expression /\(pattern)/: \(error)")
            }
        case .normalized(let s): return (TextNormalizer.normalize(text) == TextNormalizer.normalize(s), nil)
        }
    }

    /// This match with `${…}` interpolated.
    package func interpolated(_ variables: Variables) throws(Variables.Undefined) -> TextMatch {
        switch self {
        case .equals(let s): .equals(try variables.interpolate(s))
        case .contains(let s): .contains(try variables.interpolate(s))
        case .notContains(let s): .notContains(try variables.interpolate(s))
        case .matches(let s): .matches(try variables.interpolate(s))
        case .normalized(let s): .normalized(try variables.interpolate(s))
        }
    }
}

/// Checks expectations against an observation.
package enum ExpectationChecker {
    /// Every expectation that does not hold, as expected-vs-actual pairs.
    package static func mismatches(_ expectations: [Expectation], _ seen: StepObservation, variables: Variables) -> [Mismatch] {
        var out: [Mismatch] = []
        func text(_ what: String, _ match: TextMatch, _ actual: String?) {
            guard let actual else {
                return out.append(Mismatch(what: what, expected: match.description, actual: "nothing (the step produced no \(what))"))
            }
            let resolved = (try? match.interpolated(variables)) ?? match
            let (ok, note) = resolved.check(actual)
            if !ok { out.append(Mismatch(what: what, expected: resolved.description, actual: note ?? Self.show(actual))) }
        }
        for expectation in expectations {
            switch expectation {
            case .stdout(let m): text("stdout", m, seen.stdout)
            case .stderr(let m): text("stderr", m, seen.stderr)
            case .errorMessage(let m): text("error message", m, seen.error?.message ?? (seen.status == 200 ? "no error (HTTP 200)" : nil))
            case .json(let path, let m): text("json \(path)", m, seen.json.map { $0.at(path: path)?.plainText ?? "null" })
            case .httpStatus(let code):
                if seen.status != code {
                    out.append(Mismatch(what: "HTTP status", expected: "\(code)", actual: seen.status.map(String.init) ?? "no response"))
                }
            case .errorStatus(let status):
                let actual = seen.error?.status.rawValue ?? (seen.status == 200 ? "success (HTTP 200)" : "no Google error body")
                if actual != status { out.append(Mismatch(what: "error status", expected: status, actual: actual)) }
            case .errorReason(let reason):
                let actual =
                    seen.error.map { $0.reason.isEmpty ? "no ErrorInfo reason" : $0.reason }
                    ?? (seen.status == 200 ? "success (HTTP 200)" : "no Google error body")
                if actual != reason { out.append(Mismatch(what: "error reason", expected: reason, actual: actual)) }
            case .state(let state):
                if seen.state != state {
                    out.append(Mismatch(what: "sandbox state", expected: state.rawValue, actual: seen.state?.rawValue ?? "unknown"))
                }
            case .within(let limit):
                if seen.elapsed > limit {
                    out.append(
                        Mismatch(
                            what: "latency", expected: "within \(HumanDuration.format(limit))", actual: HumanDuration.format(seen.elapsed)))
                }
            case .count(let n):
                if seen.listCount != n {
                    out.append(Mismatch(what: "item count", expected: "\(n)", actual: seen.listCount.map(String.init) ?? "not a list"))
                }
            case .fileCount(let n):
                let actual = seen.files?.count
                if actual != n {
                    out.append(
                        Mismatch(
                            what: "returned files", expected: "\(n) file(s)",
                            actual: "\(actual ?? 0): \(seen.files?.map(\.name).joined(separator: ", ") ?? "")"))
                }
            case .file(let name, let match):
                let resolvedName = (try? variables.interpolate(name)) ?? name
                let file = seen.files?.first { $0.name == resolvedName }
                let what = "file \(resolvedName)"
                let returned = seen.files?.map(\.name).joined(separator: ", ") ?? ""
                switch match {
                case .present:
                    if file == nil {
                        out.append(
                            Mismatch(
                                what: what, expected: "returned", actual: "not returned (got: \(returned.isEmpty ? "none" : returned))"))
                    }
                case .absent:
                    if file != nil {
                        out.append(Mismatch(what: what, expected: "not returned", actual: "returned (\(file!.content.count) bytes)"))
                    }
                case .text(let m):
                    guard let file else {
                        out.append(
                            Mismatch(
                                what: what, expected: m.description, actual: "not returned (got: \(returned.isEmpty ? "none" : returned))"))
                        continue
                    }
                    text(what, m, String(decoding: file.content, as: UTF8.self))
                case .bytes(let bytes):
                    guard let file else {
                        out.append(Mismatch(what: what, expected: "\(bytes.count) given bytes", actual: "not returned"))
                        continue
                    }
                    if file.content != bytes {
                        let at =
                            zip(file.content, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                            ?? min(file.content.count, bytes.count)
                        out.append(
                            Mismatch(
                                what: what, expected: "\(bytes.count) given bytes",
                                actual: "\(file.content.count) bytes, first difference at byte \(at)"))
                    }
                case .sha256(let digest):
                    guard let file else {
                        out.append(Mismatch(what: what, expected: "sha256 \(digest)", actual: "not returned"))
                        continue
                    }
                    let actual = SHA256.hex(file.content)
                    if actual != digest.lowercased() {
                        out.append(Mismatch(what: what, expected: "sha256 \(digest.lowercased())", actual: "sha256 \(actual)"))
                    }
                case .size(let n):
                    guard let file else {
                        out.append(Mismatch(what: what, expected: "\(n) bytes", actual: "not returned"))
                        continue
                    }
                    if file.content.count != n {
                        out.append(Mismatch(what: what, expected: "\(n) bytes", actual: "\(file.content.count) bytes"))
                    }
                case .mimeType(let type):
                    guard let file else {
                        out.append(Mismatch(what: what, expected: "mime type \(type)", actual: "not returned"))
                        continue
                    }
                    if file.mimeType != type {
                        out.append(Mismatch(what: what, expected: "mime type \(type)", actual: "mime type \(file.mimeType ?? "none")"))
                    }
                case .prefix(let bytes):
                    let expected = "starting with \(Self.hex(bytes))"
                    guard let file else {
                        out.append(Mismatch(what: what, expected: expected, actual: "not returned"))
                        continue
                    }
                    if !file.content.starts(with: bytes) {
                        out.append(
                            Mismatch(what: what, expected: expected, actual: "starting with \(Self.hex(file.content.prefix(bytes.count)))"))
                    }
                }
            }
        }
        return out
    }

    /// Bytes as lowercase hex digits.
    static func hex(_ bytes: some Collection<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// A value for people: quoted, escaped, cut after 500 characters.
    static func show(_ text: String) -> String {
        let cut = text.count > 500 ? String(text.prefix(500)) + "… (\(text.count) characters)" : text
        return cut.debugDescription
    }
}
