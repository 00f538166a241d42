/// A parsed Vertex resource path below `/{version}/`.
///
/// `projects/P/locations/L/reasoningEngines/E/sandboxEnvironments/S/operations/O` and its prefixes.
public struct ResourceName: Sendable, Hashable, CustomStringConvertible {
    public var project: String
    public var location: String
    public var engine: String?
    public var sandbox: String?
    public var operation: String?
    /// `sandboxEnvironmentSnapshots/{id}` below the engine.
    public var snapshot: String?
    /// `sandboxEnvironmentTemplates/{id}` below the engine.
    public var template: String?

    public init(project: String, location: String, engine: String? = nil, sandbox: String? = nil, operation: String? = nil) {
        self.project = project
        self.location = location
        self.engine = engine
        self.sandbox = sandbox
        self.operation = operation
    }

    /// Parses a full resource name; nil for anything that is not one of the shapes above.
    public init?(_ path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts.count % 2 == 0, parts[0] == "projects", parts[2] == "locations",
              parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        project = String(parts[1])
        location = String(parts[3])
        var rest = parts.dropFirst(4)
        func next(_ collection: Substring) -> String? {
            guard rest.count >= 2, rest.first == collection else { return nil }
            guard let id = rest.dropFirst().first.map(String.init) else { return nil }
            rest = rest.dropFirst(2)
            return id
        }
        engine = next("reasoningEngines")
        if engine != nil { sandbox = next("sandboxEnvironments") }
        if engine != nil, sandbox == nil { snapshot = next("sandboxEnvironmentSnapshots") }
        if engine != nil, sandbox == nil, snapshot == nil { template = next("sandboxEnvironmentTemplates") }
        if engine != nil { operation = next("operations") }
        guard rest.isEmpty else { return nil }
    }

    public var locationPath: String { "projects/\(project)/locations/\(location)" }
    public var enginePath: String? { engine.map { "\(locationPath)/reasoningEngines/\($0)" } }
    public var sandboxPath: String? {
        guard let e = enginePath, let sandbox else { return nil }
        return "\(e)/sandboxEnvironments/\(sandbox)"
    }

    /// `{engine}/sandboxEnvironmentSnapshots/{id}`, when the name is (or is below) a snapshot.
    public var snapshotPath: String? {
        guard let e = enginePath, let snapshot else { return nil }
        return "\(e)/sandboxEnvironmentSnapshots/\(snapshot)"
    }

    /// `{engine}/sandboxEnvironmentTemplates/{id}`, when the name is (or is below) a template.
    public var templatePath: String? {
        guard let e = enginePath, let template else { return nil }
        return "\(e)/sandboxEnvironmentTemplates/\(template)"
    }

    public var description: String {
        var s = locationPath
        if let engine { s += "/reasoningEngines/\(engine)" }
        if let sandbox { s += "/sandboxEnvironments/\(sandbox)" }
        if let snapshot { s += "/sandboxEnvironmentSnapshots/\(snapshot)" }
        if let template { s += "/sandboxEnvironmentTemplates/\(template)" }
        if let operation { s += "/operations/\(operation)" }
        return s
    }
}

/// A page of sandboxes from `GET {engine}/sandboxEnvironments`.
public struct SandboxPage: Sendable, Hashable {
    public var sandboxes: [SandboxEnvironment]
    /// Token for the next page; nil or empty on the last page.
    public var nextPageToken: String?

    public init(sandboxes: [SandboxEnvironment], nextPageToken: String?) {
        self.sandboxes = sandboxes
        self.nextPageToken = nextPageToken
    }

    public init(json: JSONValue) throws(GoogleError) {
        var f = try FieldReader(json, at: "list_sandbox_environments_response", strict: false)
        sandboxes = []
        for item in try f.array("sandboxEnvironments") ?? [] {
            sandboxes.append(try SandboxEnvironment(json: item, strict: false))
        }
        nextPageToken = try f.string("nextPageToken")
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["sandboxEnvironments": .array(sandboxes.map(\.json))]
        if let nextPageToken, !nextPageToken.isEmpty { o["nextPageToken"] = .string(nextPageToken) }
        return .object(o)
    }
}

/// MIME types by file extension, for returned files.
public enum MIMEType {
    static let table: [String: String] = [
        "txt": "text/plain", "csv": "text/csv", "json": "application/json", "html": "text/html", "htm": "text/html",
        "md": "text/markdown", "xml": "application/xml", "py": "text/x-python", "js": "text/javascript",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
        "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "bin": "application/octet-stream", "yaml": "application/yaml", "yml": "application/yaml", "tsv": "text/tab-separated-values",
        "webp": "image/webp", "wav": "audio/wav", "mp3": "audio/mpeg", "parquet": "application/vnd.apache.parquet",
    ]

    /// The MIME type for `fileName`'s extension, nil when unknown.
    public static func forFile(_ fileName: String) -> String? {
        guard let dot = fileName.lastIndex(of: "."), !fileName.hasSuffix(".") else { return nil }
        return table[fileName[fileName.index(after: dot)...].lowercased()]
    }
}
