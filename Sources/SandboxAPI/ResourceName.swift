/// A parsed Vertex resource path below `/{version}/`.
///
/// `projects/P/locations/L/reasoningEngines/E/sandboxEnvironments/S/operations/O` and its prefixes.
package struct ResourceName: Sendable, Hashable, CustomStringConvertible {
    package var project: String
    package var location: String
    package var engine: String?
    package var sandbox: String?
    package var operation: String?
    /// `sandboxEnvironmentSnapshots/{id}` below the engine.
    package var snapshot: String?
    /// `sandboxEnvironmentTemplates/{id}` below the engine.
    package var template: String?

    package init(project: String, location: String, engine: String? = nil, sandbox: String? = nil, operation: String? = nil) {
        self.project = project
        self.location = location
        self.engine = engine
        self.sandbox = sandbox
        self.operation = operation
    }

    /// Parses a full resource name; nil for anything that is not one of the shapes above.
    package init?(_ path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts.count % 2 == 0, parts[0] == "projects", parts[2] == "locations",
            parts.allSatisfy({ !$0.isEmpty })
        else { return nil }
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

    package var locationPath: String { "projects/\(project)/locations/\(location)" }
    package var enginePath: String? { engine.map { "\(locationPath)/reasoningEngines/\($0)" } }
    package var sandboxPath: String? {
        guard let e = enginePath, let sandbox else { return nil }
        return "\(e)/sandboxEnvironments/\(sandbox)"
    }

    /// `{engine}/sandboxEnvironmentSnapshots/{id}`, when the name is (or is below) a snapshot.
    package var snapshotPath: String? {
        guard let e = enginePath, let snapshot else { return nil }
        return "\(e)/sandboxEnvironmentSnapshots/\(snapshot)"
    }

    /// `{engine}/sandboxEnvironmentTemplates/{id}`, when the name is (or is below) a template.
    package var templatePath: String? {
        guard let e = enginePath, let template else { return nil }
        return "\(e)/sandboxEnvironmentTemplates/\(template)"
    }

    package var description: String {
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
package struct SandboxPage: Sendable, Hashable {
    package var sandboxes: [SandboxEnvironment]
    /// Token for the next page; nil or empty on the last page.
    package var nextPageToken: String?

    package init(sandboxes: [SandboxEnvironment], nextPageToken: String?) {
        self.sandboxes = sandboxes
        self.nextPageToken = nextPageToken
    }

    package init(json: JSONValue) throws(GoogleError) {
        var f = try FieldReader(json, at: "list_sandbox_environments_response", strict: false)
        sandboxes = []
        for item in try f.array("sandboxEnvironments") ?? [] {
            sandboxes.append(try SandboxEnvironment(json: item, strict: false))
        }
        nextPageToken = try f.string("nextPageToken")
    }

    package var json: JSONValue {
        var o: [String: JSONValue] = ["sandboxEnvironments": .array(sandboxes.map(\.json))]
        if let nextPageToken, !nextPageToken.isEmpty { o["nextPageToken"] = .string(nextPageToken) }
        return .object(o)
    }
}

/// MIME types of returned files, as Python's `mimetypes.guess_type(name)[0]` gives them on a Debian
/// host (Python 3.11 with `/etc/mime.types`): the SDK fills in a missing `mimeType` with exactly
/// that guess, so an emulator that answered otherwise would differ from what a client sees.
/// A compression suffix (`.gz`, `.bz2`, `.xz`, `.br`, `.Z`) is an encoding, not a type: `data.csv.gz`
/// is `text/csv`, `archive.tgz` `application/x-tar`, `blob.gz` none.
package enum MIMEType {
    static let table: [String: String] = [
        "txt": "text/plain", "csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
        "html": "text/html", "htm": "text/html", "md": "text/markdown", "xml": "application/xml", "css": "text/css",
        "py": "text/x-python", "js": "text/javascript", "sh": "text/x-sh", "c": "text/x-csrc", "h": "text/x-chdr", "tex": "text/x-tex",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml", "bmp": "image/bmp",
        "ico": "image/vnd.microsoft.icon", "tif": "image/tiff", "tiff": "image/tiff", "webp": "image/webp",
        "pdf": "application/pdf", "ps": "application/postscript", "eps": "application/postscript", "rtf": "application/rtf",
        "zip": "application/zip", "tar": "application/x-tar", "bin": "application/octet-stream", "h5": "application/x-hdf5",
        "wav": "audio/x-wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "mp4": "video/mp4", "mpeg": "video/mpeg",
        "avi": "video/x-msvideo", "mov": "video/quicktime", "webm": "video/webm",
        "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ppt": "application/vnd.ms-powerpoint", "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet"
    ]
    /// Suffixes Python reads as an encoding of the type before them (any case; `Z` only in upper case).
    static let encodings: Set<String> = ["gz", "bz2", "xz", "br", "Z"]
    /// Suffixes Python reads as two (`tgz` = `tar.gz`), in lower case only.
    static let compounds: Set<String> = ["tgz", "taz", "tz", "tbz2", "txz"]

    /// The MIME type for `fileName`, nil when Python's `mimetypes` knows none.
    package static func forFile(_ fileName: String) -> String? {
        let base = fileName.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? fileName
        var parts = base.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // A leading dot starts a hidden name, not an extension (".bashrc" has none, as in os.path.splitext).
        guard parts.count > 1, !(parts.count == 2 && parts[0].isEmpty) else { return nil }
        let last = parts[parts.count - 1]
        if compounds.contains(last) { return table["tar"] }
        if encodings.contains(last) || encodings.contains(last.lowercased()) {
            parts.removeLast()
            guard parts.count > 1, !(parts.count == 2 && parts[0].isEmpty) else { return nil }
        }
        return table[parts[parts.count - 1].lowercased()]
    }
}
