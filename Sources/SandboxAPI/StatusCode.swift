/// The canonical Google RPC status codes, with their numeric gRPC value and HTTP mapping.
public enum StatusCode: String, Sendable, CaseIterable, Codable {
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
    public var rpcCode: Int {
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
    public var httpStatus: Int {
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
    public init?(rpcCode: Int) {
        guard let match = Self.allCases.first(where: { $0.rpcCode == rpcCode }) else { return nil }
        self = match
    }
}

/// A Google API error: the body `{"error":{"code","message","status"}}` and its HTTP status.
public struct GoogleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The canonical status.
    public var status: StatusCode
    /// A message that says what was wrong and, where possible, what to do.
    public var message: String
    /// HTTP status code; defaults to the canonical mapping of ``status``.
    public var httpStatus: Int

    /// An error with the canonical HTTP status for `status`.
    public init(_ status: StatusCode, _ message: String, httpStatus: Int? = nil) {
        self.status = status
        self.message = message
        self.httpStatus = httpStatus ?? status.httpStatus
    }

    public var description: String { "\(httpStatus) \(status.rawValue): \(message)" }

    /// The Google error body.
    public var json: JSONValue {
        ["error": ["code": .number(Double(httpStatus)), "message": .string(message), "status": .string(status.rawValue)]]
    }

    /// Reads a Google error body; nil when `body` is not one.
    public init?(httpStatus: Int, body: JSONValue) {
        guard let error = body["error"]?.objectValue else { return nil }
        self.httpStatus = httpStatus
        self.message = error["message"]?.stringValue ?? ""
        self.status = error["status"]?.stringValue.flatMap(StatusCode.init(rawValue:)) ?? .unknown
    }

    static func notFound(_ what: String) -> GoogleError { GoogleError(.notFound, what) }
    static func invalid(_ message: String) -> GoogleError { GoogleError(.invalidArgument, message) }
}

/// `google.rpc.Status` as carried in a failed long-running operation.
public struct RPCStatus: Sendable, Hashable {
    /// Numeric gRPC code.
    public var code: Int
    /// Human-readable message.
    public var message: String

    /// A status from a canonical code and message.
    public init(_ status: StatusCode, _ message: String) {
        self.code = status.rpcCode
        self.message = message
    }

    public var json: JSONValue { ["code": .number(Double(code)), "message": .string(message), "details": []] }

    /// Reads a status object (tolerant: missing fields become defaults).
    public init(json: JSONValue) {
        // An upstream can send any number here; one that is not a small integer reads as UNKNOWN (2).
        code = json["code"]?.numberValue.flatMap { Int(exactly: $0) }.flatMap { (0...1_000).contains($0) ? $0 : nil } ?? 2
        message = json["message"]?.stringValue ?? ""
    }
}
