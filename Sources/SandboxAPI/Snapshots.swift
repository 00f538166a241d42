/// What happens to the source sandbox after `{sandbox}:snapshot` (input only, never stored).
package enum PostSnapshotAction: String, Sendable, CaseIterable {
    case unspecified = "POST_SNAPSHOT_ACTION_UNSPECIFIED"
    /// "Sandbox environment will continue to run after snapshot is taken."
    case running = "RUNNING"
    /// "Sandbox environment will be paused after snapshot is taken."
    case pause = "PAUSE"
}

/// A snapshot of a sandbox (`SandboxEnvironmentSnapshot`), a child of the agent engine.
package struct SandboxEnvironmentSnapshot: Sendable, Hashable {
    package var name: String
    package var displayName: String?
    /// The sandbox the snapshot was taken of.
    package var sourceSandboxEnvironment: String?
    /// The snapshot the source sandbox descends from; nil for a root snapshot.
    package var parentSnapshot: String?
    /// Bytes of snapshot data.
    package var sizeBytes: Int64?
    package var owner: String?
    /// Input only.
    package var postSnapshotAction: PostSnapshotAction?
    /// Input only: time to live in seconds.
    package var ttlSeconds: Double?
    package var expireTime: String?
    package var useGkeTd: Bool?
    package var createTime: String?
    package var updateTime: String?

    package init(
        name: String = "", displayName: String? = nil, sourceSandboxEnvironment: String? = nil, parentSnapshot: String? = nil,
        sizeBytes: Int64? = nil, owner: String? = nil, expireTime: String? = nil, createTime: String? = nil,
        updateTime: String? = nil
    ) {
        self.name = name
        self.displayName = displayName
        self.sourceSandboxEnvironment = sourceSandboxEnvironment
        self.parentSnapshot = parentSnapshot
        self.sizeBytes = sizeBytes
        self.owner = owner
        self.expireTime = expireTime
        self.createTime = createTime
        self.updateTime = updateTime
    }

    /// Reads a snapshot from a `:snapshot` request body (strict) or a response (tolerant).
    package init(json: JSONValue, strict: Bool) throws(GoogleError) {
        var f = try FieldReader(json, at: "sandbox_environment_snapshot", strict: strict)
        name = try f.string("name") ?? ""
        displayName = try f.string("displayName", maxCharacters: Limits.displayName)
        sourceSandboxEnvironment = try f.string("sourceSandboxEnvironment")
        parentSnapshot = try f.string("parentSnapshot")
        if let size = f.take("sizeBytes") {
            // int64 travels as a string in proto-JSON; a number is accepted too.
            switch size {
            case .string(let s): sizeBytes = Int64(s)
            case .number(let n): sizeBytes = Int64(exactly: n)
            default: sizeBytes = nil
            }
        }
        owner = try f.string("owner", maxCharacters: Limits.displayName)
        postSnapshotAction = try f.enumValue("postSnapshotAction", PostSnapshotAction.self)
        expireTime = try f.string("expireTime")
        if let ttl = try f.string("ttl") {
            guard let seconds = ProtoDuration.parse(ttl) else {
                throw GoogleError.invalid(
                    "Invalid value at 'sandbox_environment_snapshot.ttl' (google.protobuf.Duration), "
                        + "\"\(ttl.prefix(64))\": expected a duration such as \"3600s\".")
            }
            ttlSeconds = seconds
        }
        if strict, let expireTime {
            guard ttlSeconds == nil else {
                throw GoogleError.invalid(
                    "Invalid value at 'sandbox_environment_snapshot': ttl and expire_time are one field (oneof "
                        + "'expiration'); give one of them.")
            }
            guard ProtoTimestamp.parse(expireTime) != nil else {
                throw GoogleError.invalid(
                    "Invalid value at 'sandbox_environment_snapshot.expire_time' (google.protobuf.Timestamp), "
                        + "\"\(expireTime.prefix(64))\": expected an RFC 3339 time such as \"2026-12-01T10:00:00Z\".")
            }
        }
        useGkeTd = try f.bool("useGkeTd")
        createTime = try f.string("createTime")
        updateTime = try f.string("updateTime")
        try f.finish()
    }

    /// The lowerCamelCase proto-JSON form (input-only fields are never written).
    package var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name)]
        if let displayName { o["displayName"] = .string(displayName) }
        if let sourceSandboxEnvironment { o["sourceSandboxEnvironment"] = .string(sourceSandboxEnvironment) }
        if let parentSnapshot { o["parentSnapshot"] = .string(parentSnapshot) }
        if let sizeBytes { o["sizeBytes"] = .string(String(sizeBytes)) }
        if let owner { o["owner"] = .string(owner) }
        if let expireTime { o["expireTime"] = .string(expireTime) }
        if let useGkeTd { o["useGkeTd"] = .bool(useGkeTd) }
        if let createTime { o["createTime"] = .string(createTime) }
        if let updateTime { o["updateTime"] = .string(updateTime) }
        return .object(o)
    }
}

extension TypeURL {
    package static let sandboxEnvironmentSnapshot = "type.googleapis.com/google.cloud.aiplatform.v1beta1.SandboxEnvironmentSnapshot"
    package static let sandboxEnvironmentTemplate = "type.googleapis.com/google.cloud.aiplatform.v1beta1.SandboxEnvironmentTemplate"
}
