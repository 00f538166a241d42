/// The canonical Google RPC status codes, with their numeric gRPC value and HTTP mapping.
package enum StatusCode: String, Sendable, CaseIterable, Codable {
    case ok = "OK"
    case cancelled = "CANCELLED"
    case unknown = "UNKNOWN"
    case invalidArgument = "INVALID_ARGUMENT"
    case deadlineExceeded = "DEADLINE_EXCEEDED"
    case notFound = "NOT_FOUND"
    case alreadyExists = "ALREADY_EXISTS"
    case permissionDenied = "PERMISSION_DENIED"
    case resourceExhausted = "RESOURCE_EXHAUSTED"
    case failedPrecondition = "FAILED_PRECONDITION"
    case aborted = "ABORTED"
    case outOfRange = "OUT_OF_RANGE"
    case unimplemented = "UNIMPLEMENTED"
    case `internal` = "INTERNAL"
    case unavailable = "UNAVAILABLE"
    case dataLoss = "DATA_LOSS"
    case unauthenticated = "UNAUTHENTICATED"

    /// The numeric gRPC code (`google.rpc.Code`), as carried in `LongRunningOperation.error.code`.
    package var rpcCode: Int {
        switch self {
        case .ok: 0
        case .cancelled: 1
        case .unknown: 2
        case .invalidArgument: 3
        case .deadlineExceeded: 4
        case .notFound: 5
        case .alreadyExists: 6
        case .permissionDenied: 7
        case .resourceExhausted: 8
        case .failedPrecondition: 9
        case .aborted: 10
        case .outOfRange: 11
        case .unimplemented: 12
        case .internal: 13
        case .unavailable: 14
        case .dataLoss: 15
        case .unauthenticated: 16
        }
    }

    /// The HTTP status Google's front ends answer with for this code.
    package var httpStatus: Int {
        switch self {
        case .ok: 200
        case .cancelled: 499
        case .unknown, .internal, .dataLoss: 500
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .permissionDenied: 403
        case .resourceExhausted: 429
        case .unimplemented: 501
        case .unavailable: 503
        case .unauthenticated: 401
        }
    }

    /// The code for a numeric gRPC value, if known.
    package init?(rpcCode: Int) {
        guard let match = Self.allCases.first(where: { $0.rpcCode == rpcCode }) else { return nil }
        self = match
    }
}

/// A Google API error: the body `{"error":{"code","message","status","details"}}` and its HTTP status.
///
/// `details` carries what Google's APIs carry: a `google.rpc.ErrorInfo` (``reason`` in the
/// ``domain``) on every error, and a `google.rpc.BadRequest` listing ``fieldViolations`` on
/// INVALID_ARGUMENT.
public struct GoogleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One `google.rpc.BadRequest.FieldViolation`: the request field at fault (empty when the
    /// request as a whole is, such as JSON that does not parse) and what is wrong with it.
    package struct FieldViolation: Sendable, Hashable {
        package var field: String
        package var description: String

        package init(field: String, description: String) {
            self.field = field
            self.description = description
        }
    }

    /// The canonical status.
    package var status: StatusCode
    /// A message that says what was wrong and, where possible, what to do.
    package var message: String
    /// HTTP status code; defaults to the canonical mapping of ``status``.
    package var httpStatus: Int
    /// `ErrorInfo.reason`: a short UPPER_SNAKE_CASE cause, stable for clients to branch on.
    package var reason: String
    /// `ErrorInfo.domain`: the service that decided the error.
    package var domain: String
    /// The BadRequest field violations; for INVALID_ARGUMENT without any, the body lists one
    /// made of ``message`` and the field it names (`at 'a.b'`), if any.
    package var fieldViolations: [FieldViolation]

    /// The domain of the errors the API itself decides.
    package static let serviceDomain = "aiplatform.googleapis.com"

    /// An error with the canonical HTTP status for `status`; the reason defaults to the status name.
    package init(
        _ status: StatusCode, _ message: String, httpStatus: Int? = nil, reason: String? = nil,
        domain: String = GoogleError.serviceDomain, fieldViolations: [FieldViolation] = []
    ) {
        self.status = status
        self.message = message
        self.httpStatus = httpStatus ?? status.httpStatus
        self.reason = reason ?? status.rawValue
        self.domain = domain
        self.fieldViolations = fieldViolations
    }

    /// `HTTP_STATUS STATUS: message`, for logs and the console.
    public var description: String { "\(httpStatus) \(status.rawValue): \(message)" }

    /// The Google error body.
    package var json: JSONValue {
        [
            "error": [
                "code": .number(Double(httpStatus)), "message": .string(message), "status": .string(status.rawValue),
                "details": .array(details)
            ]
        ]
    }

    /// The `details` list: ErrorInfo, then BadRequest for INVALID_ARGUMENT.
    package var details: [JSONValue] {
        var out: [JSONValue] = [
            [
                "@type": .string(TypeURL.errorInfo), "reason": .string(reason), "domain": .string(domain),
                "metadata": ["service": .string(Self.serviceDomain)]
            ]
        ]
        if status == .invalidArgument {
            let violations =
                fieldViolations.isEmpty
                ? [FieldViolation(field: Self.fieldNamed(in: message) ?? "", description: message)]
                : fieldViolations
            out.append([
                "@type": .string(TypeURL.badRequest),
                "fieldViolations": .array(
                    violations.map { v in
                        v.field.isEmpty
                            ? ["description": .string(v.description)]
                            : ["field": .string(v.field), "description": .string(v.description)]
                    })
            ])
        }
        return out
    }

    /// The field a proto-JSON style message names (`… at 'sandbox_environment.ttl' …`), nil when none.
    static func fieldNamed(in message: String) -> String? {
        guard let start = message.range(of: " at '") else { return nil }
        let rest = message[start.upperBound...]
        guard let end = rest.firstIndex(of: "'"), end > rest.startIndex else { return nil }
        return String(rest[..<end])
    }

    /// Reads a Google error body; nil when `body` is not one. Details are read leniently: an
    /// unknown or malformed entry is skipped.
    package init?(httpStatus: Int, body: JSONValue) {
        guard let error = body["error"]?.objectValue else { return nil }
        self.httpStatus = httpStatus
        self.message = error["message"]?.stringValue ?? ""
        self.status = error["status"]?.stringValue.flatMap(StatusCode.init(rawValue:)) ?? .unknown
        self.reason = ""
        self.domain = ""
        self.fieldViolations = []
        for detail in error["details"]?.arrayValue ?? [] {
            switch detail["@type"]?.stringValue {
            case TypeURL.errorInfo:
                reason = detail["reason"]?.stringValue ?? ""
                domain = detail["domain"]?.stringValue ?? ""
            case TypeURL.badRequest:
                for v in detail["fieldViolations"]?.arrayValue ?? [] {
                    fieldViolations.append(
                        FieldViolation(field: v["field"]?.stringValue ?? "", description: v["description"]?.stringValue ?? ""))
                }
            default: continue
            }
        }
    }

    static func notFound(_ what: String) -> GoogleError { GoogleError(.notFound, what) }
    static func invalid(_ message: String, field: String? = nil) -> GoogleError {
        GoogleError(.invalidArgument, message, fieldViolations: field.map { [FieldViolation(field: $0, description: message)] } ?? [])
    }
}

/// `google.rpc.Status` as carried in a failed long-running operation.
public struct RPCStatus: Sendable, Hashable {
    /// Numeric gRPC code.
    package var code: Int
    /// Human-readable message.
    package var message: String
    /// `google.rpc.Status.details`, each with its `@type`.
    package var details: [JSONValue]

    /// A status from a canonical code and message, with an ErrorInfo detail (`reason` defaults to the status name).
    package init(_ status: StatusCode, _ message: String, reason: String? = nil) {
        self.code = status.rpcCode
        self.message = message
        self.details = GoogleError(status, message, reason: reason).details
    }

    /// The status a failed operation carries for `error`: its canonical numeric code, message and details.
    package init(_ error: GoogleError) {
        self.code = error.status.rpcCode
        self.message = error.message
        self.details = error.details
    }

    package var json: JSONValue { ["code": .number(Double(code)), "message": .string(message), "details": .array(details)] }

    /// Reads a status object (tolerant: missing fields become defaults).
    package init(json: JSONValue) {
        // An upstream can send any number here; one that is not a small integer reads as UNKNOWN (2).
        code = json["code"]?.numberValue.flatMap { Int(exactly: $0) }.flatMap { (0...1_000).contains($0) ? $0 : nil } ?? 2
        message = json["message"]?.stringValue ?? ""
        details = json["details"]?.arrayValue ?? []
    }
}
